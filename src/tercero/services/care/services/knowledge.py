"""The knowledge base's articles: written, published, changed and deleted."""

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from tercero.platform.audit.services import record
from tercero.platform.errors import InvalidInput, PermissionDenied
from tercero.platform.security.redact import redact_cards
from tercero.platform.versioning import update_versioned
from tercero.services.care.models import Article

ARTICLE_FIELDS = ("title", "summary", "body", "keywords", "visibility", "kind", "product")
# Agents write drafts; what customers or the whole desk read live needs an editor:
# publishing, changing a published article, making an article public, deleting.
KNOWLEDGE_EDITOR = "knowledge:edit"


def _require_editor(actor, permissions: frozenset[str] | None, why: str) -> None:
    held = actor.permissions if permissions is None and actor is not None else permissions
    if held is not None and KNOWLEDGE_EDITOR not in held:
        raise PermissionDenied(f"{why} needs a knowledge editor ('{KNOWLEDGE_EDITOR}').")


def _clean_article(fields: dict) -> dict:
    unknown = set(fields) - set(ARTICLE_FIELDS) - {"slug"}
    if unknown:
        raise InvalidInput(
            "These fields cannot be set.", fields=dict.fromkeys(sorted(unknown), "unknown")
        )
    cleaned = {k: redact_cards(str(v).strip()) for k, v in fields.items() if v is not None}
    problems = {}
    for name, limit in (("title", 200), ("summary", 300), ("keywords", 500), ("product", 100)):
        if len(cleaned.get(name, "")) > limit:
            problems[name] = f"at most {limit} characters"
    if "title" in cleaned and not cleaned["title"]:
        problems["title"] = "required"
    if "body" in cleaned and not cleaned["body"]:
        problems["body"] = "required"
    if cleaned.get("visibility", "internal") not in Article.Visibility.values:
        problems["visibility"] = "internal or public"
    if cleaned.get("kind", "article") not in Article.Kind.values:
        problems["kind"] = "article or guide"
    if problems:
        raise InvalidInput("Please check the highlighted fields.", fields=problems)
    return cleaned


def _free_slug(client_id: int, title: str, wanted: str = "") -> str:
    base = slugify(wanted or title)[:100] or "article"
    slug, n = base, 1
    while Article.objects.filter(client_id=client_id, slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


def create_article(*, actor, client_id: int, **fields) -> Article:
    """A draft article; `publish_article` puts it live."""
    cleaned = _clean_article(fields)
    for name in ("title", "body"):
        if not cleaned.get(name):
            raise InvalidInput("Please check the highlighted fields.", fields={name: "required"})
    with transaction.atomic():
        cleaned["slug"] = _free_slug(client_id, cleaned["title"], cleaned.get("slug", ""))
        article = Article.objects.create(client_id=client_id, created_by=actor, **cleaned)
        record(
            action="care.article.created",
            actor=actor,
            client=client_id,
            object_type="article",
            object_id=article.pk,
        )
    return article


def update_article(
    *,
    actor,
    article: Article,
    version: int | None,
    changes: dict,
    permissions: frozenset[str] | None = None,
) -> Article:
    """Edit an article if nobody changed it since `version` (else 409). A published
    article, or making an internal one public, needs a knowledge editor (`permissions`:
    the caller's, narrowed by a token; default the actor's role)."""
    cleaned = _clean_article(changes)
    cleaned.pop("slug", None)
    if article.status == Article.Status.PUBLISHED:
        _require_editor(actor, permissions, "Changing a published article")
    if (
        cleaned.get("visibility", article.visibility) == Article.Visibility.PUBLIC
        and article.visibility != Article.Visibility.PUBLIC
    ):
        _require_editor(actor, permissions, "Making an article public")
    with transaction.atomic():
        update_versioned(
            Article,
            pk=article.pk,
            version=version if version is not None else -1,
            changes={**cleaned, "updated_at": timezone.now()},
            what="article",
        )
        record(
            action="care.article.updated",
            actor=actor,
            client=article.client_id,
            object_type="article",
            object_id=article.pk,
            payload={"fields": sorted(cleaned)},
        )
    article.refresh_from_db()
    return article


def publish_article(
    *,
    actor,
    article: Article,
    version: int | None,
    published: bool,
    permissions: frozenset[str] | None = None,
) -> Article:
    """Put an article live (agents; the help centre too when public) or back to draft.
    A knowledge editor's step."""
    _require_editor(actor, permissions, "Publishing an article")
    status = Article.Status.PUBLISHED if published else Article.Status.DRAFT
    with transaction.atomic():
        update_versioned(
            Article,
            pk=article.pk,
            version=version if version is not None else -1,
            changes={
                "status": status,
                "published_at": timezone.now() if published else None,
                "updated_at": timezone.now(),
            },
            what="article",
        )
        record(
            action="care.article.published" if published else "care.article.unpublished",
            actor=actor,
            client=article.client_id,
            object_type="article",
            object_id=article.pk,
        )
    article.refresh_from_db()
    return article


def delete_article(*, actor, article: Article, permissions: frozenset[str] | None = None) -> None:
    _require_editor(actor, permissions, "Deleting an article")
    with transaction.atomic():
        record(
            action="care.article.deleted",
            actor=actor,
            client=article.client_id,
            object_type="article",
            object_id=article.pk,
            payload={"title": article.title},
        )
        article.delete()

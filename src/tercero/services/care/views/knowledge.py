"""Knowledge base pages: the staff list and editor, and each client's public help
centre (reached through its web channel's key)."""

from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from tercero.platform.errors import DomainError
from tercero.platform.pages import page, refused, version_of
from tercero.platform.tenancy.models import Client
from tercero.services.care import selectors, services
from tercero.services.care.models import Article
from tercero.services.care.views.public import channel_page
from tercero.web.lists import Column, Filter, Listing


class ArticleForm(forms.Form):
    title = forms.CharField(max_length=200)
    summary = forms.CharField(max_length=300, required=False)
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 12}))
    keywords = forms.CharField(
        max_length=500,
        required=False,
        help_text="Words customers use for this topic; searched, never shown publicly.",
    )
    visibility = forms.ChoiceField(choices=Article.Visibility.choices)
    kind = forms.ChoiceField(choices=Article.Kind.choices)
    product = forms.CharField(
        max_length=100, required=False, help_text="Links guides to support tickets."
    )


def _listing(request, caller) -> Listing:
    found = selectors.articles(client_ids=caller.client_ids).select_related("client")
    products = sorted({p for p in found.values_list("product", flat=True) if p})

    def search(queryset, text):
        hits = selectors.search_articles(
            client_ids=caller.client_ids, text=text, include_drafts=True, limit=200
        )
        return queryset.filter(pk__in=[a.pk for a in hits])

    return Listing(
        request,
        found,
        columns=[
            Column("title", "Title"),
            Column("client__legal_name", "Client"),
            Column("status", "Status"),
            Column("visibility", "Visibility"),
            Column("kind", "Kind"),
            Column("product", "Product"),
            Column("updated_at", "Updated"),
        ],
        filters=[
            Filter("status", "Status", tuple(Article.Status.choices)),
            Filter("visibility", "Visibility", tuple(Article.Visibility.choices)),
            Filter("kind", "Kind", tuple(Article.Kind.choices)),
            Filter("product", "Product", tuple((p, p) for p in products)),
        ],
        search=search,
        search_label="Search articles",
        default_sort="title",
    )


@page("work:read", staff=True)
def article_list(request, caller):
    listing = _listing(request, caller)
    if listing.wants_csv:
        return listing.csv_response("knowledge-base.csv")
    return render(
        request,
        "care/kb_list.html",
        {"listing": listing, "may_write": "work:write" in caller.permissions},
    )


@page("work:write", staff=True)
def article_new(request, caller):
    clients = Client.objects.filter(pk__in=caller.client_ids).order_by("legal_name")
    form = ArticleForm(request.POST or None)
    chosen = request.POST.get("client", "")
    if request.method == "POST" and form.is_valid():
        client_id = next((c.pk for c in clients if str(c.pk) == chosen), None)
        if client_id is None:
            form.add_error(None, "Choose the client this article belongs to.")
        else:
            try:
                article = services.create_article(
                    actor=request.user, client_id=client_id, **form.cleaned_data
                )
            except DomainError as error:
                _field_errors(form, error)
            else:
                messages.success(request, "Draft saved. Publish it when it is ready.")
                return redirect("care:article", article.pk)
    return render(
        request, "care/kb_edit.html", {"form": form, "clients": clients, "chosen": chosen}
    )


@page("work:read", staff=True)
def article_page(request, caller, article_id: int):
    article = selectors.access_article(client_ids=caller.client_ids, article_id=article_id)
    may_write = "work:write" in caller.permissions
    form = ArticleForm(
        request.POST if request.method == "POST" else None,
        initial={name: getattr(article, name) for name in services.ARTICLE_FIELDS},
    )
    if request.method == "POST":
        if not may_write:
            raise Http404("Not found.")
        if form.is_valid():
            try:
                services.update_article(
                    actor=request.user,
                    article=article,
                    version=version_of(request),
                    changes=form.cleaned_data,
                    permissions=caller.permissions,
                )
            except DomainError as error:
                _field_errors(form, error)
            else:
                messages.success(request, "Article saved.")
                return redirect("care:article", article.pk)
    context = {
        "article": article,
        "form": form,
        "may_write": may_write,
        "may_publish": services.KNOWLEDGE_EDITOR in caller.permissions,
    }
    return render(request, "care/kb_edit.html", context)


@require_POST
@page(services.KNOWLEDGE_EDITOR, staff=True)
def article_publish(request, caller, article_id: int):
    article = selectors.access_article(client_ids=caller.client_ids, article_id=article_id)
    published = request.POST.get("published") == "1"
    try:
        services.publish_article(
            actor=request.user,
            article=article,
            version=version_of(request),
            published=published,
            permissions=caller.permissions,
        )
    except DomainError as error:
        refused(request, error)
    else:
        messages.success(request, "Published." if published else "Back to draft.")
    return redirect("care:article", article.pk)


@require_POST
@page(services.KNOWLEDGE_EDITOR, staff=True)
def article_delete(request, caller, article_id: int):
    article = selectors.access_article(client_ids=caller.client_ids, article_id=article_id)
    services.delete_article(actor=request.user, article=article, permissions=caller.permissions)
    messages.success(request, f"“{article.title}” deleted.")
    return redirect("care:articles")


def _field_errors(form, error: DomainError) -> None:
    for name, problem in error.fields.items():
        form.add_error(name if name in form.fields else None, f"{error.message} ({problem})")
    if not error.fields:
        form.add_error(None, error.message)


@channel_page
def help_centre(request, channel):
    """A client's public help centre: search and the published public articles."""
    query = request.GET.get("q", "").strip()[:200]
    public = selectors.articles(client_ids=[channel.client_id]).filter(
        status=Article.Status.PUBLISHED, visibility=Article.Visibility.PUBLIC
    )
    found = (
        selectors.search_articles(client_ids=[channel.client_id], text=query, audience="public")
        if query
        else None
    )
    groups: dict[str, list[Article]] = {}
    for article in public.order_by("product", "kind", "title"):
        label = article.product or "General"
        groups.setdefault(label, []).append(article)
    context = {"channel": channel, "query": query, "found": found, "groups": groups}
    return render(request, "care/help_centre.html", context)


@channel_page
def help_article(request, channel, slug: str):
    article = (
        selectors.articles(client_ids=[channel.client_id])
        .filter(slug=slug, status=Article.Status.PUBLISHED, visibility=Article.Visibility.PUBLIC)
        .first()
    )
    if article is None:
        raise Http404("No such article.")
    return render(request, "care/help_article.html", {"channel": channel, "article": article})

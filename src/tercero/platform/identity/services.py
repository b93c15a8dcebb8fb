"""Changes to people, grants and tokens. Each writes its audit event."""

from datetime import datetime, timedelta
from importlib import import_module

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.tokens import default_token_generator
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from tercero.platform.audit.services import record
from tercero.platform.errors import Conflict, InvalidInput, PermissionDenied
from tercero.platform.identity import tokens
from tercero.platform.identity.models import ApiToken, Grant, User
from tercero.platform.identity.roles import CLIENT_ROLES, PERMISSIONS, Role
from tercero.platform.tenancy.models import Client
from tercero.platform.tenancy.scoping import all_clients_scope

MAX_TOKEN_LIFETIME = timedelta(days=366)


def record_sign_in(*, user: User) -> None:
    """Stamp the person's last sign-in and audit it. People's rows are changed in the
    all-clients scope (staff belong to no client), here as in every service below."""
    with all_clients_scope(), transaction.atomic():
        User.objects.filter(pk=user.pk).update(last_login=timezone.now())
        record(action="user.signed_in", actor=user, object_type="user", object_id=user.pk)


def create_user(
    *,
    actor: User,
    email: str,
    full_name: str,
    role: str,
    client: Client | None = None,
    password: str | None = None,
) -> User:
    """Provider admins create anyone; client admins create people of their own client."""
    _check_may_manage(actor=actor, role=role, client=client)
    email = email.strip().lower()
    with all_clients_scope():
        taken = User.objects.filter(email=email).exists()
    if taken:
        raise Conflict("A user with this e-mail exists.", fields={"email": "already used"})
    user = User(
        email=email, full_name=full_name, role=role, client=client if role in CLIENT_ROLES else None
    )
    if password:
        try:
            validate_password(password, user)
        except ValidationError as error:
            raise InvalidInput(
                "The password is too weak.", fields={"password": " ".join(error.messages)}
            ) from error
    user.set_password(password)  # None leaves an unusable password until a reset
    with all_clients_scope(), transaction.atomic():
        user.save()
        record(
            action="user.created",
            actor=actor,
            client=user.client_id,
            object_type="user",
            object_id=user.pk,
            payload={"role": role},
        )
    return user


def set_user_active(*, actor: User, user: User, is_active: bool) -> User:
    """Deactivating is off-boarding: the person's API tokens are revoked and their
    sessions deleted in the same step, so re-activating them revives neither."""
    _check_may_manage(actor=actor, role=user.role, client=user.client)
    if user.pk == actor.pk and not is_active:
        raise Conflict("You cannot deactivate yourself.")
    user.is_active = is_active
    ended: dict[str, int] = {}
    with all_clients_scope(), transaction.atomic():
        user.save(update_fields=["is_active"])
        if not is_active:
            ended["tokens_revoked"] = ApiToken.objects.filter(
                user=user, revoked_at__isnull=True
            ).update(revoked_at=timezone.now())
            ended["sessions_ended"] = _end_sessions(user)
        record(
            action="user.reactivated" if is_active else "user.deactivated",
            actor=actor,
            client=user.client_id,
            object_type="user",
            object_id=user.pk,
            payload=ended,
        )
    return user


def _end_sessions(user: User) -> int:
    """Delete the person's stored sessions (database-backed session engines)."""
    if not settings.SESSION_ENGINE.endswith(("sessions.backends.db", "backends.cached_db")):
        return 0
    store = import_module(settings.SESSION_ENGINE).SessionStore
    ended = 0
    live = Session.objects.filter(expire_date__gt=timezone.now())
    for session in live.iterator(chunk_size=500):
        if session.get_decoded().get(SESSION_KEY) == str(user.pk):
            store(session_key=session.session_key).delete()
            ended += 1
    return ended


INVITATION_PATH = "/account/welcome/{uid}/{token}/"


def invite_user(*, actor: User, user: User) -> None:
    """Mail the person a link to choose their password. The link works once: setting a
    password changes what its token was made from. It expires after
    PASSWORD_RESET_TIMEOUT (three days by default)."""
    _check_may_manage(actor=actor, role=user.role, client=user.client)
    if not user.is_active:
        raise Conflict("Re-activate this person before inviting them.")
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    link = settings.PUBLIC_BASE_URL.rstrip("/") + INVITATION_PATH.format(
        uid=uid, token=default_token_generator.make_token(user)
    )
    days = max(1, settings.PASSWORD_RESET_TIMEOUT // 86400)
    try:
        send_mail(
            subject="Your Tercero account: choose a password",
            message=(
                f"Hello {user.full_name},\n\n{actor.full_name} has given you a Tercero "
                f"account for {user.email}. Choose your password here:\n\n{link}\n\n"
                f"The link works once and for {days} days. If you did not expect it, "
                "ignore this message."
            ),
            from_email=None,
            recipient_list=[user.email],
        )
    except OSError as error:
        raise Conflict("The invitation could not be sent: the mail server refused it.") from error
    with all_clients_scope(), transaction.atomic():
        record(
            action="user.invited",
            actor=actor,
            client=user.client_id,
            object_type="user",
            object_id=user.pk,
        )


def accept_invitation(*, user: User, token: str, password: str) -> User:
    """Set the invited person's first password from their one-time link."""
    if not user.is_active or not default_token_generator.check_token(user, token):
        raise InvalidInput(
            "This link has expired or was already used. Ask your administrator for a new one.",
            fields={"token": "expired or used"},
        )
    try:
        validate_password(password, user)
    except ValidationError as error:
        raise InvalidInput(
            "The password is too weak.", fields={"password": " ".join(error.messages)}
        ) from error
    user.set_password(password)
    with all_clients_scope(), transaction.atomic():
        user.save(update_fields=["password", "password_changed_at"])
        record(
            action="user.password_set",
            actor=user,
            client=user.client_id,
            object_type="user",
            object_id=user.pk,
            payload={"how": "invitation"},
        )
    return user


def grant_client_access(
    *,
    actor: User,
    user: User,
    client: Client,
    reason: str = "",
    expires_at: datetime | None = None,
) -> Grant:
    if actor.role != Role.PROVIDER_ADMIN:
        raise PermissionDenied("Only provider admins grant access to clients.")
    if not user.is_provider_staff:
        raise InvalidInput("Only provider staff receive grants.", fields={"user_id": "client user"})
    if Grant.objects.filter(user=user, client=client).exists():
        raise Conflict("This person already has access to this client.")
    with transaction.atomic():
        grant = Grant.objects.create(
            user=user, client=client, granted_by=actor, reason=reason, expires_at=expires_at
        )
        record(
            action="grant.created",
            actor=actor,
            client=client,
            object_type="grant",
            object_id=grant.pk,
            reason=reason,
            payload={"user_id": user.pk},
        )
    return grant


def revoke_client_access(*, actor: User, grant: Grant, reason: str = "") -> None:
    if actor.role != Role.PROVIDER_ADMIN:
        raise PermissionDenied("Only provider admins revoke access to clients.")
    with transaction.atomic():
        record(
            action="grant.revoked",
            actor=actor,
            client=grant.client_id,
            object_type="grant",
            object_id=grant.pk,
            reason=reason,
            payload={"user_id": grant.user_id},
        )
        grant.delete()


def create_api_token(
    *,
    actor: User,
    client: Client,
    name: str,
    scopes: list[str],
    expires_at: datetime | None = None,
    parent: ApiToken | None = None,
) -> tuple[ApiToken, str]:
    """A token for `actor` on one client. Returns the token row and the plain secret,
    which is never stored and cannot be shown again. A token made with a token
    (`parent`) never exceeds it: the same client, a subset of its scopes, and an expiry
    no later than its own (its expiry when none is asked for)."""
    if parent is not None:
        expires_at = _within_parent(parent=parent, client=client, expires_at=expires_at)
    allowed = set(actor.permissions) & set(parent.scopes if parent else PERMISSIONS)
    unknown = sorted(set(scopes) - set(PERMISSIONS))
    beyond = sorted(set(scopes) - allowed)
    if unknown or beyond:
        message = "Scopes must be permissions your role has"
        raise InvalidInput(
            message + (" and the token you call with has." if parent else "."),
            fields={"scopes": f"not allowed: {', '.join(unknown or beyond)}"},
        )
    now = timezone.now()
    if expires_at is not None and not now < expires_at <= now + MAX_TOKEN_LIFETIME:
        raise InvalidInput(
            "Expiry must be in the future and within a year.", fields={"expires_at": "out of range"}
        )
    plain, key_id, secret_hash = tokens.new_token()
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=actor,
            client=client,
            name=name,
            key_id=key_id,
            secret_hash=secret_hash,
            scopes=sorted(set(scopes)),
            expires_at=expires_at,
        )
        record(
            action="api_token.created",
            actor=actor,
            client=client,
            object_type="api_token",
            object_id=token.pk,
            payload={"scopes": token.scopes, "made_with_token": getattr(parent, "pk", None)},
        )
    return token, plain


def _within_parent(
    *, parent: ApiToken, client: Client, expires_at: datetime | None
) -> datetime | None:
    """The child's expiry, after refusing a client or expiry beyond the parent token's."""
    if client.pk != parent.client_id:
        raise InvalidInput(
            "A token can only make tokens for its own client.", fields={"client_id": "not allowed"}
        )
    if parent.expires_at is None:
        return expires_at
    if expires_at is None:
        return parent.expires_at
    if expires_at > parent.expires_at:
        raise InvalidInput(
            "A token cannot make a token that outlives it.",
            fields={"expires_at": "later than the calling token's expiry"},
        )
    return expires_at


def revoke_api_token(*, actor: User, token: ApiToken) -> ApiToken:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        with transaction.atomic():
            token.save(update_fields=["revoked_at"])
            record(
                action="api_token.revoked",
                actor=actor,
                client=token.client_id,
                object_type="api_token",
                object_id=token.pk,
            )
    return token


def _check_may_manage(*, actor: User, role: str, client: Client | None) -> None:
    if actor.role == Role.PROVIDER_ADMIN:
        if role in CLIENT_ROLES and client is None:
            raise InvalidInput("Client users belong to a client.", fields={"client_id": "required"})
        return
    if (
        actor.role == Role.CLIENT_ADMIN
        and role in CLIENT_ROLES
        and client is not None
        and client.pk == actor.client_id
    ):
        return
    raise PermissionDenied("You may not manage this person.")

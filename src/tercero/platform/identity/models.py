"""People who sign in, which clients provider staff may reach, and API tokens."""

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.db import models
from django.db.models import Q
from django.utils import timezone

from tercero.platform.identity.roles import CLIENT_ROLES, PROVIDER_ROLES, Role, permissions_of
from tercero.platform.tenancy.models import Client


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **fields: Any) -> "User":
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def get_by_natural_key(self, username: str | None) -> "User":
        # Addresses are stored in lower case; signing in ignores case.
        return self.get(email=(username or "").strip().lower())

    def create_superuser(self, email: str, password: str | None = None, **fields: Any) -> "User":
        fields.setdefault("role", Role.PROVIDER_ADMIN)
        return self.create_user(email, password, **fields)


class User(AbstractBaseUser):
    """A person. Provider staff reach clients through grants; client users belong to one."""

    email = models.EmailField(unique=True)
    full_name = models.CharField(max_length=200)
    role = models.CharField(max_length=32, choices=Role.choices)
    client = models.ForeignKey(
        Client, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)
    password_changed_at = models.DateTimeField(null=True, blank=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(
                    # sorted: a set's order changes between runs and would churn migrations
                    Q(role__in=sorted(r.value for r in CLIENT_ROLES), client__isnull=False)
                    | Q(role__in=sorted(r.value for r in PROVIDER_ROLES), client__isnull=True)
                ),
                name="user_client_matches_role",
                violation_error_message=(
                    "Client users belong to exactly one client; provider staff to none."
                ),
            )
        ]
        ordering = ["email"]

    def __str__(self) -> str:
        return self.email

    @property
    def is_provider_staff(self) -> bool:
        return self.role in PROVIDER_ROLES

    @property
    def is_staff(self) -> bool:
        """Django admin access: provider admins only."""
        return self.is_active and self.role == Role.PROVIDER_ADMIN

    @property
    def permissions(self) -> frozenset[str]:
        return permissions_of(self.role)

    def set_password(self, raw_password: str | None) -> None:
        """Also stamps the change: API tokens made before it stop working."""
        super().set_password(raw_password)
        if raw_password is not None:
            self.password_changed_at = timezone.now()

    def has_perm(self, perm: str, obj: object = None) -> bool:
        return self.is_staff

    def has_perms(self, perm_list: Iterable[str], obj: object = None) -> bool:
        return self.is_staff

    def has_module_perms(self, app_label: str) -> bool:
        return self.is_staff


class Grant(models.Model):
    """Provider staff member `user` may work for `client`. Reviewed global table:
    it is read to build the scope itself, before any scope exists."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="grants")
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="+")
    granted_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "client"], name="grant_unique_user_client")
        ]
        ordering = ["id"]

    def is_current(self, now: datetime) -> bool:
        return self.expires_at is None or self.expires_at > now


class ApiToken(models.Model):
    """A bearer token bound to one user and one client. Only a SHA-256 of its secret is
    stored: secrets are 256 random bits, so a slow hash adds nothing. Reviewed global
    table: it is read to authenticate, before any scope exists."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=100)
    key_id = models.CharField(max_length=16, unique=True)
    secret_hash = models.CharField(max_length=64)
    scopes = models.JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]

    def is_usable(self, now: datetime) -> bool:
        """Revoked, expired, its person deactivated, or made before their password last
        changed: the token no longer works."""
        unexpired = self.expires_at is None or self.expires_at > now
        changed = self.user.password_changed_at
        current = changed is None or self.created_at >= changed
        return self.revoked_at is None and unexpired and self.user.is_active and current


class TotpDevice(models.Model):
    """A person's authenticator app. The seed is sealed under the master key; a code is
    accepted once (its time step must be later than `last_step`). A new seed waits in
    `pending_secret` until a code from it confirms it, so starting a set-up never
    disarms the authenticator in use. Reviewed global table: read while signing in,
    before any scope exists."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="totp_device")
    secret = models.CharField(max_length=200, blank=True)
    pending_secret = models.CharField(max_length=200, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    last_step = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)


class RecoveryCode(models.Model):
    """A single-use code for when the authenticator is lost: 120 random bits, stored as a
    SHA-256. Reviewed global table: read while signing in."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="recovery_codes")
    code_hash = models.CharField(max_length=64)
    used_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)


class SignInAttempt(models.Model):
    """One sign-in attempt (password or second factor), for lockout and rate limits.
    `device` is the id of the known-device cookie the browser presented for this account,
    empty for an unknown browser. An attempt refused unchecked because the account was
    locked (`was_refused`) counts against its address only, so it cannot stretch the
    lock. Reviewed global table: read before anyone is signed in."""

    account = models.CharField(max_length=254, db_index=True)
    ip = models.GenericIPAddressField(null=True)
    device = models.CharField(max_length=32, blank=True)
    succeeded = models.BooleanField(default=False)
    was_refused = models.BooleanField(default=False)
    at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        indexes = [models.Index(fields=["ip", "at"], name="signin_ip_at")]

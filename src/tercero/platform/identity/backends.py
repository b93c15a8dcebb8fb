"""Finding who someone is: across every client, since no scope exists before it."""

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from tercero.platform.identity.models import User
from tercero.platform.tenancy.scoping import all_clients_scope


class AccountBackend(ModelBackend):
    """Django's password check and session user, read in the all-clients scope: on
    PostgreSQL row-level security shows a person's row only to a verified scope, and
    the scope is built from the person (staff belong to no client)."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        with all_clients_scope():
            return super().authenticate(request, username=username, password=password, **kwargs)

    def get_user(self, user_id: int) -> User | None:
        with all_clients_scope():
            return super().get_user(user_id)

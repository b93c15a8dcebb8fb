"""The one way into client data: an explicit scope naming the clients a caller may see.

Requests, tasks and CLI commands enter `client_scope(clients=[...])`; inside it the
scoped managers filter to those clients and, on PostgreSQL, the row-level-security
setting names the same clients. Outside any scope, client data raises `ScopeError`.
"""

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from django_scopes import get_scope, scope, scopes_disabled
from django_scopes.exceptions import ScopeError

__all__ = ["ScopeError", "all_clients_scope", "client_scope", "clients_in_scope", "rls_setting"]

# Value of the PostgreSQL setting `tercero.clients` meaning "every client" (system work).
ALL_CLIENTS = "*"


@contextmanager
def client_scope(*, clients: Iterable[object]) -> Iterator[None]:
    """Let the code inside see exactly these clients (objects or ids); none if empty."""
    ids = sorted({_client_id(client) for client in clients})
    with scope(client=ids):
        yield


def _client_id(client: object) -> int:
    found = getattr(client, "pk", client)
    if not isinstance(found, int):
        raise TypeError("client_scope needs Client objects or integer ids")
    return found


@contextmanager
def all_clients_scope() -> Iterator[None]:
    """System-wide work (migrations, audit verification, the scheduler): every client."""
    with scopes_disabled():
        yield


def clients_in_scope() -> list[int] | None:
    """Ids in the current scope; None means every client; [] means none."""
    current = get_scope()
    if not current.get("_enabled", True):
        return None
    return list(current.get("client", []))


def rls_setting() -> str | None:
    """The value for PostgreSQL's `tercero.clients`, or None when no scope is active."""
    current = get_scope()
    if not current:
        return None
    if not current.get("_enabled", True):
        return ALL_CLIENTS
    return ",".join(str(client_id) for client_id in current.get("client", []))

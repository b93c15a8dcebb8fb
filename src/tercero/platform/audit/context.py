"""Who is acting, from where: set once per request or task, read by `record`."""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_request_ip: ContextVar[str | None] = ContextVar("tercero_audit_ip", default=None)


@contextmanager
def audit_context(*, ip: str | None) -> Iterator[None]:
    token = _request_ip.set(ip)
    try:
        yield
    finally:
        _request_ip.reset(token)


def current_ip() -> str | None:
    return _request_ip.get()

from collections.abc import Callable
from datetime import timedelta
from typing import Any, cast

import factory
import pyotp
from django.contrib.auth.hashers import get_hasher, make_password
from django.utils import timezone

from tercero.platform.identity import mfa
from tercero.platform.identity.models import Grant, User
from tercero.platform.identity.roles import Role
from tercero.platform.tenancy.scoping import all_clients_scope

PASSWORD = "correct horse battery staple"


class MadeAsSystemWork:
    """People and grants are set up in the all-clients scope: on PostgreSQL row-level
    security lets only that scope write a staff member's row (staff have no client)."""

    @classmethod
    def _generate(cls, strategy, params):
        with all_clients_scope():
            # a mixin: the factory it is mixed into has _generate
            return super()._generate(strategy, params)  # type: ignore[misc]


class UserFactory(MadeAsSystemWork, factory.django.DjangoModelFactory[User]):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    full_name = factory.Sequence(lambda n: f"User {n}")
    role = Role.AGENT
    client = None
    password = PASSWORD

    @classmethod
    def _create(cls, model_class: type[User], *args: Any, **kwargs: Any) -> User:
        """One INSERT with the password already set, as `set_password` sets it."""
        raw = kwargs.pop("password")
        # factory_boy's positional args (none here) would be fields in order: not a type
        # the plugin can check against the model's fields, so the class is called as such
        user = cast(Callable[..., User], model_class)(*args, **kwargs)
        user.password = _hashed(str(raw))
        user.password_changed_at = timezone.now()
        user.save(force_insert=True)
        return user


_HASHES: dict[tuple[object, ...], str] = {}


def _hashed(raw: str) -> str:
    """`make_password(raw)`, made once per password and hasher: every fixture user has the
    same password, and hashing it afresh for each (with its own salt) was most of the
    cost of making a user. A test that changes the hashers (or their costs) gets hashes
    made by its own."""
    hasher = get_hasher()
    key = (raw, type(hasher), *(getattr(hasher, name, None) for name in _COSTS))
    if key not in _HASHES:
        _HASHES[key] = make_password(raw)
    return _HASHES[key]


_COSTS = ("time_cost", "memory_cost", "parallelism", "iterations", "rounds")


class GrantFactory(MadeAsSystemWork, factory.django.DjangoModelFactory):
    class Meta:
        model = Grant

    user = factory.SubFactory(UserFactory)
    client = None


def enrolled_authenticator(user: User) -> tuple[pyotp.TOTP, list[str]]:
    """Set up an authenticator for `user` as the set-up page does; returns the app
    (a TOTP on the same seed) and the recovery codes."""
    seed, _ = mfa.start_enrolment(user=user)
    totp = pyotp.TOTP(seed)
    return totp, mfa.confirm_enrolment(user=user, code=totp.now())


def next_code(totp: pyotp.TOTP) -> str:
    """A code for a later time step than any used so far (codes work once)."""
    return totp.at(timezone.now() + timedelta(seconds=totp.interval))

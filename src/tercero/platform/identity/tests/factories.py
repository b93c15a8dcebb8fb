from datetime import timedelta

import factory
import pyotp
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
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    full_name = factory.Sequence(lambda n: f"User {n}")
    role = Role.AGENT
    client = None
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def save_password(obj: User, create: bool, extracted: object, **kwargs: object) -> None:  # noqa: N805 (factory_boy passes the object)
        if create:
            obj.save()


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

"""Password rules: breached passwords with the usual dressing-up are refused offline."""

import re

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError

from tercero.platform.errors import InvalidInput
from tercero.platform.identity.passwords import breached_core, breached_stems
from tercero.platform.identity.roles import Role
from tercero.platform.identity.services import create_user


def _codes(password: str, user=None) -> set[str]:
    try:
        validate_password(password, user)
    except ValidationError as error:
        return {item.code or "" for item in error.error_list}
    return set()


@pytest.mark.parametrize(
    "password",
    [
        "Monkey2024!!!!",  # breached word, digits and symbols after
        "2024Sunshine!!",  # ... and before
        "P@ssw0rd123456",  # letter swaps
        "Liverpool1892!",
        "qwertyuiop12",  # keyboard row from the list
        "dragondragon",  # a breached word twice
        "abcabcabcabc",  # a short unit again and again
        "i love you 2024!",  # spaces do not hide it
    ],
)
def test_breached_passwords_with_small_changes_are_refused(password):
    # protects: the offline breached-password rule (ASVS 6.2.12), not just the length rule
    assert "password_breached" in _codes(password)


@pytest.mark.parametrize(
    "password", ["correct horse battery staple", "harbour-lights-2026", "Zebra-Ocean-Violin-7"]
)
def test_passphrases_pass_every_rule(password):
    # protects: people can still choose a long passphrase (no over-eager rule)
    assert _codes(password) == set()


def test_the_shipped_list_is_read_offline_and_holds_only_stems():
    # protects: the list in the repository is present, sizeable and in the form the rule expects
    stems = breached_stems()
    assert len(stems) > 5000
    assert {"password", "iloveyou", "monkey", "qwertyuiop"} <= stems
    assert all(re.fullmatch(r"[a-z]{4,}", stem) for stem in stems)
    assert breached_core("  P@$$w0rd!2024 ") == "password"


def test_creating_a_person_with_a_breached_password_is_refused(tenant_a):
    # protects: the rule applies where accounts are made, and nothing is written when it fails
    with pytest.raises(InvalidInput) as refused:
        create_user(
            actor=tenant_a.client_admin,
            email="new@acme-co.example",
            full_name="New Person",
            role=Role.CLIENT_USER,
            client=tenant_a.client,
            password="Football2024!!",
        )
    assert "breached" in refused.value.fields["password"]
    assert not type(tenant_a.client_admin).objects.filter(email="new@acme-co.example").exists()

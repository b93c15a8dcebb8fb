"""Field encryption, keyed hashes, card redaction and log scrubbing, on their own."""

import logging
import re

import pytest
from cryptography.exceptions import InvalidTag
from hypothesis import given, settings
from hypothesis import strategies as st

from tercero.platform.security import crypto, keyring, services
from tercero.platform.security.logs import RedactingFilter, scrub
from tercero.platform.security.models import DataKey
from tercero.platform.security.redact import luhn_ok, redact_cards
from tercero.platform.tenancy.scoping import client_scope


def test_a_sealed_value_holds_no_plaintext_and_opens_again(tenant_a):
    # protects: personal data at rest (a database dump shows ciphertext and a mask only)
    with client_scope(clients=[tenant_a.client]):
        sealed = crypto.seal(tenant_a.client.pk, "QQ123456C", kind="national_id")
        assert "QQ123456" not in sealed
        assert crypto.masked(sealed) == "•••••••6C"
        assert crypto.open_sealed(sealed) == "QQ123456C"
        again = crypto.seal(tenant_a.client.pk, "QQ123456C", kind="national_id")
    assert again != sealed  # a fresh nonce every time: equal values do not look equal


def test_a_value_moved_onto_another_clients_row_does_not_open(tenant_a, tenant_b):
    # protects: ciphertext copied across clients (the client id is bound into the seal)
    with client_scope(clients=[tenant_a.client, tenant_b.client]):
        sealed = crypto.seal(tenant_a.client.pk, "DE89370400440532013000", kind="iban")
        crypto.seal(tenant_b.client.pk, "warm up B's key")
        moved = sealed.replace(f"enc1:{tenant_a.client.pk}:", f"enc1:{tenant_b.client.pk}:", 1)
        with pytest.raises(crypto.CannotOpen):
            crypto.open_sealed(moved)


def test_a_tampered_value_does_not_open(tenant_a):
    # protects: integrity of sealed values (AES-GCM tag)
    with client_scope(clients=[tenant_a.client]):
        sealed = crypto.seal(tenant_a.client.pk, "1984-03-17", kind="date")
        head, _, body = sealed.rpartition(":")
        raw = bytearray(keyring.unb64(body))
        raw[-1] ^= 1
        with pytest.raises(crypto.CannotOpen):
            crypto.open_sealed(f"{head}:{keyring.b64(bytes(raw))}")


def test_another_clients_scope_cannot_open_a_value(tenant_a, tenant_b):
    # protects: tenancy of keys (a data key is client-owned and scoped)
    with client_scope(clients=[tenant_a.client]):
        sealed = crypto.seal(tenant_a.client.pk, "QQ123456C")
    crypto.forget_keys()
    with client_scope(clients=[tenant_b.client]), pytest.raises(crypto.CannotOpen):
        crypto.open_sealed(sealed)


def test_keyed_hashes_match_within_a_client_only(tenant_a, tenant_b):
    # protects: exact-match lookup without storing the value; no cross-client linkage
    with client_scope(clients=[tenant_a.client, tenant_b.client]):
        a1 = crypto.lookup_hash(tenant_a.client.pk, "QQ 12 34 56 C")
        a2 = crypto.lookup_hash(tenant_a.client.pk, "qq123456c")
        b = crypto.lookup_hash(tenant_b.client.pk, "QQ123456C")
    assert a1 == a2
    assert a1 != b
    assert "123456" not in a1


def test_keys_are_stored_wrapped_never_in_clear(tenant_a):
    # protects: data keys at rest (wrapped by the master key, bound to client and version)
    with client_scope(clients=[tenant_a.client]):
        crypto.seal(tenant_a.client.pk, "x")
        row = DataKey.objects.get(client=tenant_a.client, purpose="data")
        raw = crypto._key(tenant_a.client.pk, "data", row.version)[1]
        assert keyring.b64(raw) not in row.wrapped
        with pytest.raises(InvalidTag):
            keyring.unwrap(row.master_id, row.wrapped, context="tercero:data:999:1")


def test_shredding_a_clients_keys_makes_its_values_unreadable(tenant_a):
    # protects: off-boarding by crypto-shredding (copies in backups die with the key)
    with client_scope(clients=[tenant_a.client]):
        sealed = crypto.seal(tenant_a.client.pk, "QQ123456C")
        before = crypto.lookup_hash(tenant_a.client.pk, "QQ123456C")
        services.shred_client_keys(actor=None, client_id=tenant_a.client.pk, reason="off-boarded")
        with pytest.raises(crypto.CannotOpen):
            crypto.open_sealed(sealed)
        assert crypto.lookup_hash(tenant_a.client.pk, "QQ123456C") != before


def test_provider_secrets_are_sealed_under_the_master_key():
    # protects: TOTP seeds and signing secrets at rest
    sealed = crypto.seal_secret("JBSWY3DPEHPK3PXP", context="totp")
    assert "JBSWY3DP" not in sealed
    assert crypto.open_secret(sealed, context="totp") == "JBSWY3DPEHPK3PXP"
    with pytest.raises(crypto.CannotOpen):
        crypto.open_secret(sealed, context="webhook")


# --- card numbers --------------------------------------------------------------------


def _luhn_complete(body: str) -> str:
    for check in "0123456789":
        if luhn_ok(body + check):
            return body + check
    raise AssertionError


cards = (
    st.integers(min_value=12, max_value=18)
    .flatmap(lambda n: st.text(alphabet="0123456789", min_size=n, max_size=n))
    .map(lambda body: _luhn_complete("4" + body[1:]))
)


@settings(max_examples=300, deadline=None)
@given(
    card=cards,
    separator=st.sampled_from(["", " ", "-"]),
    before=st.text(alphabet="abc XYZ.,:", max_size=20),
    after=st.text(alphabet="abc XYZ.,:", max_size=20),
)
def test_no_luhn_valid_card_number_survives_redaction(card, separator, before, after):
    # protects: PCI DSS 3.3/3.4 (the full card number is never stored)
    grouped = separator.join(card[i : i + 4] for i in range(0, len(card), 4))
    clean = redact_cards(f"{before}{grouped}{after}")
    digits = re.sub(r"\D", "", clean)
    assert card not in digits
    assert f"••••{card[-4:]}" in clean


def test_ordinary_numbers_are_left_alone():
    # protects: usefulness of notes (order numbers, phone numbers are not cards)
    text = "Order 1234567890123 (not Luhn), call +44 20 7946 0958, PO-4100"
    assert not luhn_ok("1234567890123")
    assert redact_cards(text) == text


def test_log_lines_lose_cards_e_mails_accounts_and_tokens(caplog):
    # protects: no personal data or secrets in logs
    logger = logging.getLogger("tercero.test.scrub")
    logger.addFilter(RedactingFilter())
    with caplog.at_level(logging.INFO, logger="tercero.test.scrub"):
        logger.info(
            "paid with %s by %s into %s using %s",
            "4111 1111 1111 1111",
            "maria@example.com",
            "DE89 3704 0044 0532 0130 00",
            "trc_a1b2c3_SECRETSECRET",
        )
    line = caplog.records[-1].getMessage()
    for secret in ("4111 1111 1111 1111", "maria@example.com", "0532 0130", "SECRETSECRET"):
        assert secret not in line
    assert scrub("GET /work/items/?q=Maria+Santos") == "GET /work/items/?q=[hidden]"

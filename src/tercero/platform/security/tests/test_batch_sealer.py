"""Sealing a batch's many values: each under the active key with a nonce of its own,
opening as a value sealed one by one opens; the next batch after a rotation seals under
the new key; lookup hashes normalise as they always did."""

import hashlib
import hmac
import sys
import unicodedata

from tercero.platform.security import crypto, keyring, services
from tercero.platform.tenancy.scoping import client_scope


def test_a_batch_seals_every_value_with_a_nonce_of_its_own(tenant_a):
    # protects: AES-GCM never sees a nonce twice under one key (nonces drawn in blocks)
    client_id = tenant_a.client.pk
    with client_scope(clients=[tenant_a.client]):
        keys = crypto.keys_for(client_id, data=True, index=True)
        sealer = keys.batch()
        values = [f"QQ{n:06d}C" for n in range(700)]  # several blocks of nonces
        sealed = [sealer.seal(value, kind="national_id") for value in values]
        nonces = {keyring.unb64(crypto.parse(text)[3])[:12] for text in sealed}
        assert len(nonces) == len(values)
        assert [crypto.open_sealed(text) for text in sealed] == values
        one_by_one = keys.seal(values[0], kind="national_id")
        assert crypto.masked(sealed[0]) == crypto.masked(one_by_one) == "•••••••0C"
        assert crypto.parse(sealed[0])[:3] == crypto.parse(one_by_one)[:3]


def test_the_next_batch_after_a_rotation_seals_under_the_new_key(tenant_a):
    # protects: key rotation takes effect at once for batch intake too
    client_id = tenant_a.client.pk
    with client_scope(clients=[tenant_a.client]):
        before = crypto.keys_for(client_id, data=True).batch().seal("QQ123456C")
        key = services.rotate_keys(actor=None, client_id=client_id)
        after = crypto.keys_for(client_id, data=True).batch().seal("QQ123456C")
        assert (crypto.parse(before)[1], crypto.parse(after)[1]) == (1, key.version)
        assert crypto.open_sealed(before) == crypto.open_sealed(after) == "QQ123456C"


def _normalised_before(value: str) -> str:
    """How lookup values were normalised before (character by character)."""
    text = unicodedata.normalize("NFKC", value).casefold()
    return "".join(c for c in text if c.isalnum() or c == "@" or c == ".")


def test_normalising_keeps_exactly_letters_digits_at_and_dot_in_every_script():
    # protects: lookup hashes of values stored before still match (subject search)
    every = "".join(chr(code) for code in range(sys.maxunicode + 1) if not 0xD800 <= code <= 0xDFFF)
    kept = crypto._NOT_KEPT.sub("", every)
    assert kept == "".join(c for c in every if c.isalnum() or c in "@.")
    for value in [
        "Ma-ría  O'Brien",
        "\uff31\uff31\uff11\uff12\uff13",
        "a_b@x.Org",
        "Straße",
        "٤١١١",
        "x²",
    ]:
        assert crypto.normalise(value) == _normalised_before(value)


def test_a_lookup_hash_is_the_hmac_of_the_normalised_value(tenant_a):
    client_id = tenant_a.client.pk
    with client_scope(clients=[tenant_a.client]):
        keys = crypto.keys_for(client_id, index=True)
        assert keys.index_key is not None
        expected = hmac.new(keys.index_key, b"qq123456c", hashlib.sha256).hexdigest()
        assert keys.lookup_hash(" qq 123-456 C") == expected

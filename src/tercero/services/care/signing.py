"""DKIM (RFC 6376) for the desk's mail, one key per client mail domain: making a key,
the DNS TXT record the client publishes for it, and signing a message with it (dkimpy).

Keys are RSA 2048 (RFC 8301 section 3.2: at least 1024 bits, 2048 recommended), signed
`rsa-sha256` with relaxed/relaxed canonicalisation (RFC 6376 section 3.4.2 and 3.4.4),
which survives the header refolding and trailing-space changes mail servers make. The
private key is sealed under the master key with its client, domain and selector as the
context, so a sealed key copied to another row does not open."""

import base64
import re
from dataclasses import dataclass

import dkim
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tercero.platform.security.crypto import open_secret, seal_secret

KEY_BITS = 2048
# RFC 6376 section 3.1: a selector is a dot-separated list of sub-domain labels.
SELECTOR = re.compile(
    r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$"
)
DOMAIN = re.compile(
    r"^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$"
)
# Signed header fields (RFC 6376 section 5.4.1 lists From as required and these as
# recommended). From is named twice so a second From added on the way breaks the
# signature instead of riding on it (section 8.15).
SIGNED_HEADERS = (
    "from",
    "from",
    "to",
    "cc",
    "reply-to",
    "subject",
    "date",
    "message-id",
    "in-reply-to",
    "references",
    "auto-submitted",
    "mime-version",
    "content-type",
)


@dataclass(frozen=True)
class NewKey:
    private_sealed: str
    public_key: str  # base64 SubjectPublicKeyInfo, the record's p=


def context(*, client_id: int, domain: str, selector: str) -> str:
    return f"dkim:{client_id}:{domain}:{selector}"


def make_key(*, client_id: int, domain: str, selector: str) -> NewKey:
    """A fresh RSA key: the private half sealed, the public half for DNS."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,  # PKCS#1, the form dkimpy reads
        serialization.NoEncryption(),
    ).decode()
    public = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    sealed = seal_secret(
        pem, context=context(client_id=client_id, domain=domain, selector=selector)
    )
    return NewKey(private_sealed=sealed, public_key=base64.b64encode(public).decode())


def record_name(*, domain: str, selector: str) -> str:
    """Where the public key is published: `<selector>._domainkey.<domain>`."""
    return f"{selector}._domainkey.{domain}"


def record_value(public_key: str) -> str:
    """The TXT record's text (RFC 6376 section 3.6.1)."""
    return f"v=DKIM1; k=rsa; p={public_key}"


def record_chunks(public_key: str) -> list[str]:
    """The record as DNS stores it: strings of at most 255 characters each (RFC 1035
    section 3.3.14; a 2048-bit key's record is longer than one string)."""
    value = record_value(public_key)
    return [value[i : i + 255] for i in range(0, len(value), 255)]


@dataclass(frozen=True)
class Signer:
    """What signs one message: the domain, its selector and the opened private key."""

    domain: str
    selector: str
    private_pem: bytes

    def header(self, raw: bytes) -> bytes:
        """The `DKIM-Signature: ...` header line (folded, ending in CRLF) for `raw`."""
        return dkim.sign(
            raw,
            self.selector.encode(),
            self.domain.encode(),
            self.private_pem,
            canonicalize=(b"relaxed", b"relaxed"),
            include_headers=[name.encode() for name in SIGNED_HEADERS],
        )


def signer(*, client_id: int, domain: str, selector: str, private_sealed: str) -> Signer:
    pem = open_secret(
        private_sealed, context=context(client_id=client_id, domain=domain, selector=selector)
    )
    return Signer(domain=domain, selector=selector, private_pem=pem.encode())

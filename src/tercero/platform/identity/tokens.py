"""API token format: `trc_<key id>_<secret>`. Pure functions."""

import hashlib
import hmac
import secrets

PREFIX = "trc"


def new_token() -> tuple[str, str, str]:
    """Return (plain token, key id, secret hash). The plain token is shown once."""
    key_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    return f"{PREFIX}_{key_id}_{secret}", key_id, hash_secret(secret)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def split_token(plain: str) -> tuple[str, str] | None:
    """(key id, secret) from a presented token, or None when it is not one of ours."""
    parts = plain.split("_", 2)
    if len(parts) != 3 or parts[0] != PREFIX or not parts[1] or not parts[2]:
        return None
    return parts[1], parts[2]


def secret_matches(secret: str, stored_hash: str) -> bool:
    return hmac.compare_digest(hash_secret(secret), stored_hash)

"""Phone numbers as the outbound line stores them: E.164, and a keyed lookup hash."""

import phonenumbers

from tercero.platform.security import crypto


class BadNumber(ValueError):
    """A lead's number that is empty, not a phone number, or not a valid one; the message
    says which, and the lead import names the row and column with it."""


def e164(raw: str, region: str) -> str:
    """`raw` in E.164; numbers without "+" are read in `region` ("US", "GB"...)."""
    text = str(raw or "").strip()
    if not text:
        raise BadNumber("no number")
    try:
        parsed = phonenumbers.parse(text, None if text.startswith("+") else region)
    except phonenumbers.NumberParseException:
        raise BadNumber("not a phone number") from None
    if not phonenumbers.is_valid_number(parsed):
        raise BadNumber("not a valid number")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def hasher(client_id: int):
    """A function number -> the client's lookup hash (keys read once)."""
    keys = crypto.keys_for(client_id, index=True)
    return keys.lookup_hash


def phone_hash(client_id: int, number: str) -> str:
    return hasher(client_id)(number)

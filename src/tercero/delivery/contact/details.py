"""Phone numbers and e-mail addresses as customers and agents type them: checked,
normalised, reduced to the key that is hashed, and masked for display. Pure Python."""

import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator

from tercero.platform.errors import InvalidInput
from tercero.platform.security.crypto import mask

PHONE_CHARACTERS = re.compile(r"^\+?[0-9 ()./-]+$")
# ITU-T E.164: at most 15 digits; shorter than 6 is no subscriber number anywhere.
MIN_PHONE_DIGITS = 6
MAX_PHONE_DIGITS = 15
# A phone number is matched on its last 8 digits: the same line typed in international
# form by the agent (+44 7700 900123) and in national form by the customer
# (07700 900123) must give the same key, whatever the country's trunk prefix.
PHONE_KEY_DIGITS = 8
MAX_EMAIL_LENGTH = 254  # RFC 5321 path limit


@dataclass(frozen=True)
class ContactDetail:
    kind: str  # "phone" or "email"
    normalised: str  # "+447700900123", or the lower-case address
    key: str  # what is hashed
    shown: str  # what pages show


def parse_phone(value: str) -> ContactDetail:
    """Digits only, with a leading + kept (a leading 00 is the same as +)."""
    text = (value or "").strip()
    if not PHONE_CHARACTERS.match(text):
        raise InvalidInput("That is not a phone number.", fields={"contact": "phone number"})
    digits = re.sub(r"\D", "", text)
    international = text.startswith("+") or digits.startswith("00")
    if digits.startswith("00"):
        digits = digits[2:]
    if not MIN_PHONE_DIGITS <= len(digits) <= MAX_PHONE_DIGITS:
        raise InvalidInput(
            f"A phone number has {MIN_PHONE_DIGITS} to {MAX_PHONE_DIGITS} digits.",
            fields={"contact": "phone number"},
        )
    normalised = ("+" if international else "") + digits
    return ContactDetail(
        kind="phone",
        normalised=normalised,
        key=digits[-PHONE_KEY_DIGITS:],
        shown="•••• " + digits[-3:],
    )


def parse_email(value: str) -> ContactDetail:
    text = (value or "").strip().lower()
    try:
        if len(text) > MAX_EMAIL_LENGTH:
            raise ValidationError("too long")
        EmailValidator()(text)
    except ValidationError:
        raise InvalidInput(
            "That is not an e-mail address.", fields={"contact": "e-mail address"}
        ) from None
    return ContactDetail(kind="email", normalised=text, key=text, shown=mask(text, "email"))


def parse_any(value: str) -> ContactDetail:
    """What a customer typed on the public page: an address if it has an @."""
    return parse_email(value) if "@" in (value or "") else parse_phone(value)


def parse_for_channel(channel: str, value: str) -> ContactDetail:
    """Calls and text messages go to phone numbers; e-mail to addresses."""
    return parse_email(value) if channel == "email" else parse_phone(value)

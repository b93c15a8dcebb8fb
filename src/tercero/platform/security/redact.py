"""Card numbers never stored whole: Luhn-valid runs of 13-19 digits in free text are cut
down to their last four on the way in (PCI DSS truncation). Pure functions."""

import re
from typing import cast

# 13-19 digits, optionally grouped by single spaces or dashes, not inside a longer number.
_CANDIDATE = re.compile(r"(?<![\d])(?:\d[ -]?){12,18}\d(?![\d])")


def luhn_ok(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def _replace(match: re.Match[str]) -> str:
    found = match.group(0)
    digits = re.sub(r"\D", "", found)
    if 13 <= len(digits) <= 19 and luhn_ok(digits):
        return f"[card ••••{digits[-4:]}]"
    return found


def redact_cards(text: str) -> str:
    """`text` with every card-like number replaced by `[card ••••1234]`."""
    if not text or not any(c.isdigit() for c in text):
        return text
    return _CANDIDATE.sub(_replace, text)


def has_card(text: str) -> bool:
    return redact_cards(text) != text


def redact_tree[T](value: T) -> T:
    """Redact every string inside a JSON-like structure."""
    found: object = value
    if isinstance(found, str):
        found = redact_cards(found)
    elif isinstance(found, dict):
        found = {key: redact_tree(item) for key, item in found.items()}
    elif isinstance(found, list):
        found = [redact_tree(item) for item in found]
    return cast(T, found)  # the same shape, strings redacted

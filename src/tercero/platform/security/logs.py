"""A logging filter that keeps personal data and secrets out of every log line."""

import logging
import re

from tercero.platform.security.redact import redact_cards

_RULES = (
    # e-mail addresses
    (re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"), "[e-mail]"),
    # IBAN-shaped account numbers
    (re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b"), "[account]"),
    # bearer tokens and secrets passed in query strings
    (re.compile(r"trc_[0-9a-f]+_[\w-]+"), "trc_[token]"),
    (
        re.compile(r"(?i)([?&](?:q|token|code|secret|password|email|phone)=)[^&\s\"]*"),
        r"\1[hidden]",
    ),
)


def scrub(text: str) -> str:
    text = redact_cards(text)
    for pattern, replacement in _RULES:
        text = pattern.sub(replacement, text)
    return text


class RedactingFilter(logging.Filter):
    """Rewrites the formatted message; arguments are folded in first so that a value
    passed as `%s` cannot slip past."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            return True
        clean = scrub(message)
        if clean != message or record.args:
            record.msg, record.args = clean, ()
        return True

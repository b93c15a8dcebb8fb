"""Password rules beyond Django's: no words an attacker guesses first for this site, no
breached password dressed up with digits, symbols or letter swaps."""

import functools
import re
from pathlib import Path

from django.core.exceptions import ValidationError

BREACHED_LIST = Path(__file__).with_name("breached_passwords.txt")
# the letter swaps cracking rules try first (hashcat's leetspeak rules)
_SWAPS = str.maketrans(
    {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s"}
)
_EDGES = re.compile(r"^[^a-z]+|[^a-z]+$")
_SHORT_UNIT = 4

CONTEXT_WORDS = ("tercero", "password", "passwort", "contraseña", "welcome", "letmein")


class ContextWordsValidator:
    """Refuse passwords built on the product's name, generic words, or the person's
    own e-mail address (ASVS 6.2.11)."""

    def validate(self, password: str, user: object = None) -> None:
        lowered = password.casefold()
        words = list(CONTEXT_WORDS)
        email = getattr(user, "email", "") or ""
        words += [part for part in email.casefold().replace("@", ".").split(".") if len(part) >= 4]
        found = [word for word in words if word in lowered]
        if found:
            raise ValidationError(
                f"Choose a password that does not contain “{found[0]}”.",
                code="password_context_word",
            )

    def get_help_text(self) -> str:
        return "Your password cannot contain your e-mail address or the product's name."


def breached_core(password: str) -> str:
    """What the usual cracking rules reduce a password to: lower case, no spaces, digits
    and symbols cut from both ends, letter swaps undone ("P@ssw0rd 2024!" -> "password")."""
    text = _EDGES.sub("", "".join(password.casefold().split()))
    return _EDGES.sub("", text.translate(_SWAPS))


@functools.cache
def breached_stems(path: Path = BREACHED_LIST) -> frozenset[str]:
    with path.open(encoding="utf-8") as lines:
        return frozenset(
            line.strip() for line in lines if line.strip() and not line.startswith("#")
        )


class BreachedPasswordValidator:
    """Refuse a password that is a breached one with the changes people make to pass a
    length rule: digits or symbols before or after, capitals, letter swaps, repetition
    ("Monkey2024!!!!", "p@ssw0rd123456", "dragondragon"), and any short unit repeated
    ("abcabcabcabc") (ASVS 6.2.4, 6.2.12). The list, shipped in the repository and read
    offline, holds the stems of the 10,000 most frequent passwords of the breach-corpus
    list Django bundles (see the file's header); Django's CommonPasswordValidator still
    checks whole passwords against all 20,000."""

    def __init__(self, path: str | Path = BREACHED_LIST) -> None:
        self.path = Path(path)

    def validate(self, password: str, user: object = None) -> None:
        stems = breached_stems(self.path)
        core = breached_core(password)
        compact = "".join(password.casefold().split())
        if core in stems or _repeats(core, stems) or _repeats(compact, stems):
            raise ValidationError(
                "This password is a well-known breached password with small changes; "
                "choose another, such as a few unrelated words.",
                code="password_breached",
            )

    def get_help_text(self) -> str:
        return (
            "Your password cannot be a well-known breached password with digits, symbols "
            "or letter swaps added."
        )


def _repeats(text: str, stems: frozenset[str]) -> bool:
    """`text` is one unit said again and again, and the unit is short or breached."""
    for size in range(1, len(text) // 2 + 1):
        unit = text[:size]
        if len(text) % size == 0 and unit * (len(text) // size) == text:
            return size <= _SHORT_UNIT or unit in stems or breached_core(unit) in stems
    return False

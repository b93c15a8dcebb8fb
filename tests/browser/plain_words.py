"""The plain-words check every page passes: no link the reader cannot follow, no raw
Python value, no money in minor units, no stored code where a label belongs."""

import re
from pathlib import Path
from urllib.parse import parse_qsl, urldefrag, urlencode, urlsplit

PLAIN_WORDS = (Path(__file__).parent / "plain_words.js").read_text()

CURRENCIES = "GBP|EUR|USD|PHP|INR|PLN|ZAR|CAD|AUD|CHF|SEK|NOK|DKK|JPY|MXN|BRL"
PROBLEMS = {
    "a Python list": re.compile(r"\[\s*['\"]|\[\]"),
    "a Python dict": re.compile(r"\{\s*['\"]|\{\}"),
    # alone, or as a value after a colon or equals sign ("None ticked: no restriction"
    # is a sentence, and passes)
    "a Python None": re.compile(r"^None$|[:=]\s*None\s*(?:[,;)]|$)"),
    "a queryset": re.compile(r"<QuerySet"),
    "an object repr": re.compile(r"object at 0x|<[A-Z]\w+: "),
    "minor units": re.compile(r"minor units?", re.IGNORECASE),
    "an amount in minor units": re.compile(
        rf"(?<![\d.,])\d{{3,}}\s*(?:{CURRENCIES})\b|\b(?:{CURRENCIES})\s*\d{{3,}}(?![\d.,])"
    ),
    "a stored code": re.compile(r"(?<![\w@./-])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\w@/-])"),
}

# Text that may show a code, each with the reason a person needs to read it as it is.
# (Codes a person types, such as a skill or a formula's input, are shown inside <code>,
# which the check skips.)
ALLOWED: dict[str, str] = {}


def text_problems(texts: list[str]) -> list[str]:
    found = []
    for text in texts:
        for allowed in ALLOWED:
            text = text.replace(allowed, "")
        for what, pattern in PROBLEMS.items():
            match = pattern.search(text)
            if match:
                found.append(f"{what} ({match.group(0)!r}) in: {text[:160]}")
    return found


def link_problems(page, links: list[dict], origin: str, statuses: dict[str, int]) -> list[str]:
    """Follow each distinct same-site link once (`statuses` caches them per role). Links
    that differ from one already followed only in words of their query (another sort
    order, status filter or tab of the same list) open the same view with the same
    rights, so one of them is followed; a different path or any number in the query (an
    id, a date, a page) makes a link distinct."""
    found = []
    for link in links:
        href = urldefrag(link["href"]).url
        if not href.startswith(origin):
            continue
        key = _shape(href)
        if key not in statuses:
            statuses[key] = page.request.get(href, max_redirects=5).status
        if statuses[key] in (403, 404):
            found.append(f"{link['text']!r} -> {href} answers {statuses[key]}")
    return found


def _shape(href: str) -> str:
    """The link with the words of its query left out (numbers and names kept)."""
    parts = urlsplit(href)
    query = sorted(
        (name, value if any(c.isdigit() for c in value) else "")
        for name, value in parse_qsl(parts.query, keep_blank_values=True)
    )
    return f"{parts.scheme}://{parts.netloc}{parts.path}?{urlencode(query)}"


def plain_words_problems(page, origin: str, statuses: dict[str, int]) -> list[str]:
    seen = page.evaluate(PLAIN_WORDS)
    return text_problems(seen["texts"]) + link_problems(page, seen["links"], origin, statuses)

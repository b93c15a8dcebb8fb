"""Look for personal data in clear in a database dump and in log files.

    python tools/plaintext_scan.py DUMP [LOG ...]

Searches for the demo's national ids, bank accounts and card number (the values the
demo keys in, listed in `tercero.services.capture.demo`), the fixtures' own
test values, and any Luhn-valid card-like number. Exits 1 and names what it found.
"""

import re
import sys
from pathlib import Path

KNOWN = {
    "national id": ["QQ123456C", "JT481526B", "NP907312A", "KL246813D", "WX135790C"],
    "bank account": [
        "DE89370400440532013000",
        "GB33BUKB20201555555555",
        "FR1420041010050500013M02606",
        "NL91ABNA0417164300",
        "ES9121000418450200051332",
    ],
    "card number": ["4111111111111111", "4111 1111 1111 1111", "4111-1111-1111-1111"],
}
CARD = re.compile(rb"(?<![\d])(?:\d[ -]?){12,18}\d(?![\d])")


def luhn_ok(digits: bytes) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = char - 48
        if position % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def scan(path: Path) -> list[str]:
    data = path.read_bytes()
    found = [
        f"{path}: {kind} {value!r}"
        for kind, values in KNOWN.items()
        for value in values
        if value.encode() in data
    ]
    for match in CARD.finditer(data):
        digits = re.sub(rb"\D", b"", match.group(0))
        # 16-digit Visa/Mastercard-like numbers only: long ids and timestamps are not cards
        if len(digits) == 16 and digits[:1] in (b"4", b"5") and luhn_ok(digits):
            found.append(f"{path}: card-like number ending {digits[-4:].decode()}")
    return found


def main(paths: list[str]) -> int:
    if not paths:
        print(__doc__)
        return 2
    findings = [line for path in paths for line in scan(Path(path))]
    for line in findings:
        print(line)
    print(f"scanned {len(paths)} files: {len(findings)} findings")
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

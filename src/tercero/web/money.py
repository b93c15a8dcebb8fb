"""Money as people read and type it: integer minor units and an ISO 4217 code in,
"£60,196.28" out; "12.50" typed in a form back to 1250 minor units."""

from decimal import Decimal, InvalidOperation

# ISO 4217 minor-unit digits where they are not 2 (the standard's list, current codes).
ZERO_DIGITS = frozenset(
    {"BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI",
     "VND", "VUV", "XAF", "XOF", "XPF"}
)  # fmt: skip
THREE_DIGITS = frozenset({"BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"})
SYMBOLS = {"GBP": "£", "EUR": "€", "USD": "$", "PHP": "₱", "INR": "₹", "JPY": "¥"}


def places(currency: str) -> int:
    """How many digits the currency's minor unit has (ISO 4217)."""
    code = (currency or "").upper()
    if code in ZERO_DIGITS:
        return 0
    if code in THREE_DIGITS:
        return 3
    return 2


def format_money(minor: int | None, currency: str) -> str:
    """6019628, GBP -> "£60,196.28"; a currency without a symbol keeps its code after
    the amount ("1,250.00 PLN"); no amount is a dash."""
    if minor is None or minor == "":
        return "—"
    code = (currency or "").upper()
    digits = places(code)
    value = Decimal(int(minor)).scaleb(-digits)
    text = f"{abs(value):,.{digits}f}"
    sign = "-" if value < 0 else ""
    if code in SYMBOLS:
        return f"{sign}{SYMBOLS[code]}{text}"
    return f"{sign}{text} {code}".strip()


def to_minor(amount: Decimal | str, currency: str) -> int:
    """An amount typed in major units as whole minor units; more digits than the
    currency has are refused with ValueError (never rounded away)."""
    try:
        value = Decimal(str(amount)).scaleb(places(currency))
    except InvalidOperation as error:
        raise ValueError(f"{amount!s} is not an amount.") from error
    if value != value.to_integral_value():
        raise ValueError(f"{currency} has {places(currency)} decimal places.")
    return int(value)

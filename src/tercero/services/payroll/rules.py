"""Earnings and deductions as data: a pay group's rule set, evaluated line by line in
its declared order, exact to the minor unit.

    rules = [
        Rule("BASIC", "Basic pay", "earning", "fixed", amount="2500.00"),
        Rule("OT", "Overtime", "earning", "rate_x_quantity", rate="18.75",
             quantity="overtime_hours"),
        Rule("BONUS", "Bonus", "earning", "formula", formula="min(bonus, BASIC * 0.5)"),
        Rule("PENSION", "Pension 5 %", "deduction", "percent_of", percent="5",
             of=("BASIC", "OT")),
        Rule("PAYE", "Income tax", "deduction", "tax", tax="gb.paye"),
    ]
    payslip = evaluate(rules, inputs={"overtime_hours": "10", "bonus": "400"},
                       ytd={...}, taxes={"gb.paye": ...})

Kinds: `fixed` (an amount, or an input name), `rate_x_quantity` (each an amount or an
input name), `percent_of` (lines by code, or every line of a category), `formula` (an
arithmetic expression over earlier lines and inputs: + - * / ( ), min, max, round is the
line's own), `tax` (a jurisdiction routine given the taxable pay and year to date).

Rules that read a line not computed yet are an error, never zero. Each line is rounded
once, by its own rule (half up, half even, down or up, to a penny or a whole unit);
totals are sums of rounded lines, so gross - deductions = net to the minor unit. A
yearly cap limits a line so the year to date never passes it.
"""

import ast
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from functools import cache

from tercero.platform.errors import InvalidInput

CATEGORIES = ("earning", "deduction", "employer", "info")
KINDS = ("fixed", "rate_x_quantity", "percent_of", "formula", "tax")
ROUNDINGS = {
    "half_up": ROUND_HALF_UP,
    "half_even": ROUND_HALF_EVEN,
    "down": ROUND_FLOOR,
    "up": ROUND_CEILING,
}


CODE = re.compile(r"^[A-Z][A-Z0-9_]{0,19}$")
MAX_LINES = 200
# the longest text each field may hold (a formula is read, so it is bounded too)
MAX_LENGTH = {"name": 100, "formula": 500, "of": 30}
MAX_VALUE_LENGTH = 40
TEXT_FIELDS = ("code", "name", "category", "kind", "amount", "rate", "quantity", "percent",
               "formula", "tax", "rounding")  # fmt: skip
# what each kind of line must say
NEEDS = {
    "fixed": ("amount",),
    "rate_x_quantity": ("rate", "quantity"),
    "percent_of": ("percent", "of"),
    "formula": ("formula",),
    "tax": ("tax",),
}


class RuleError(InvalidInput):
    """A rule set that cannot be evaluated as written."""


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    category: str
    kind: str
    amount: str = ""  # fixed: an amount or an input name
    rate: str = ""  # rate_x_quantity
    quantity: str = ""
    percent: str = ""  # percent_of
    of: tuple[str, ...] = ()  # line codes, or "category:earning"
    formula: str = ""
    tax: str = ""  # the jurisdiction routine's name, e.g. "gb.paye"
    taxable: bool = True  # an earning counted in taxable pay
    # a deduction taken before income tax (a pension under a net pay arrangement): tax
    # routines are told how much, so income tax is worked on pay less it
    before_tax: bool = False
    rounding: str = "half_up"
    unit: str = "0.01"
    yearly_cap: str = ""  # the most this line may reach in a tax year


@dataclass
class Line:
    code: str
    name: str
    category: str
    amount: Decimal
    taxable: bool = True
    before_tax: bool = False


@dataclass
class Payslip:
    lines: list[Line] = field(default_factory=list)

    def total(self, category: str) -> Decimal:
        return sum((line.amount for line in self.lines if line.category == category), Decimal(0))

    @property
    def gross(self) -> Decimal:
        return self.total("earning")

    @property
    def deductions(self) -> Decimal:
        return self.total("deduction")

    @property
    def net(self) -> Decimal:
        return self.gross - self.deductions

    @property
    def employer_cost(self) -> Decimal:
        return self.gross + self.total("employer")

    def amount(self, code: str) -> Decimal:
        return next(line.amount for line in self.lines if line.code == code)


# tax routine: (taxable pay this period, the line's rule, context) -> amount
TaxRoutine = Callable[[Decimal, Rule, Mapping], Decimal]


def check(rules: list[Rule]) -> None:
    """Refuse a rule set that cannot work: unknown kinds, duplicate codes, references to
    lines defined later (or not at all), bad numbers."""
    if len(rules) > MAX_LINES:
        raise RuleError(f"At most {MAX_LINES} lines.", fields={"rules": "too many"})
    seen: set[str] = set()
    for index, rule in enumerate(rules):
        where = f"rules[{index}] ({str(rule.code)[:20]})"
        _check_lengths(rule, where)
        if rule.code in seen:
            raise RuleError(f"{where}: the code is used twice.", fields={where: "duplicate"})
        if rule.category not in CATEGORIES or rule.kind not in KINDS:
            raise RuleError(f"{where}: unknown category or kind.", fields={where: "kind"})
        if rule.rounding not in ROUNDINGS:
            raise RuleError(f"{where}: unknown rounding.", fields={where: "rounding"})
        _check_fields(rule, where)
        for code in _references(rule):
            if code not in seen:
                raise RuleError(
                    f"{where} reads {code}, which is not computed before it.",
                    fields={where: f"{code} must come earlier"},
                )
        seen.add(rule.code)


def _check_lengths(rule: Rule, where: str) -> None:
    for name in (*TEXT_FIELDS, "unit", "yearly_cap"):
        value = getattr(rule, name)
        if not isinstance(value, str):
            raise RuleError(f"{where}: {name} is text.", fields={where: name})
        if len(value) > MAX_LENGTH.get(name, MAX_VALUE_LENGTH):
            raise RuleError(
                f"{where}: {name} is at most {MAX_LENGTH.get(name, MAX_VALUE_LENGTH)} characters.",
                fields={where: name},
            )
    if (
        not isinstance(rule.of, tuple)
        or len(rule.of) > MAX_LENGTH["of"]
        or not all(isinstance(code, str) and len(code) <= MAX_VALUE_LENGTH for code in rule.of)
    ):
        raise RuleError(f"{where}: of is a list of at most 30 line codes.", fields={where: "of"})
    if not isinstance(rule.taxable, bool):
        raise RuleError(f"{where}: taxable is true or false.", fields={where: "taxable"})
    if not isinstance(rule.before_tax, bool) or (rule.before_tax and rule.category != "deduction"):
        raise RuleError(
            f"{where}: only a deduction is taken before tax (true or false).",
            fields={where: "before_tax"},
        )


def _check_fields(rule: Rule, where: str) -> None:
    if not CODE.match(rule.code or ""):
        raise RuleError(
            f"{where}: a code is a capital letter, then capitals, digits or _ (at most 20);"
            " lower case names are inputs.",
            fields={where: "code"},
        )
    if not (rule.name or "").strip():
        raise RuleError(f"{where}: name the line as the payslip shows it.", fields={where: "name"})
    for name in NEEDS[rule.kind]:
        if not getattr(rule, name):
            raise RuleError(
                f"{where}: a {rule.kind.replace('_', ' ')} line needs its {name}.",
                fields={where: name},
            )
    _check_numbers(rule, where)


def _check_numbers(rule: Rule, where: str) -> None:
    if rule.kind == "formula":
        try:
            _parsed(rule.formula)
        except RuleError:
            raise RuleError(
                f"{where}: {rule.formula!r} is not a formula.", fields={where: "formula"}
            ) from None
        if not _allowed(_parsed(rule.formula).body, rule.formula):
            raise RuleError(
                f"{where}: a formula has only numbers, lines, inputs, + - * / ( ) and min/max.",
                fields={where: "formula"},
            )
    numbers = {"unit": rule.unit, "yearly_cap": rule.yearly_cap}
    if rule.kind == "percent_of":
        numbers["percent"] = rule.percent
    for name, text in numbers.items():
        if text and not _is_number(text):
            raise RuleError(f"{where}: {name} is not a number.", fields={where: name})
    unit = Decimal(str(rule.unit)) if _is_number(rule.unit) else Decimal(0)
    if not (0 < unit <= 1000 and unit.as_tuple().exponent >= -4):
        raise RuleError(
            f"{where}: the rounding unit is above zero, at most 1000, with at most 4 decimals.",
            fields={where: "unit"},
        )
    if rule.yearly_cap and not 0 <= Decimal(str(rule.yearly_cap)) < 10**12:
        raise RuleError(f"{where}: the yearly cap is 0 or more.", fields={where: "yearly_cap"})
    if rule.kind == "percent_of" and not -1000 <= Decimal(str(rule.percent)) <= 1000:
        raise RuleError(f"{where}: the percent is -1000 to 1000.", fields={where: "percent"})


def _allowed(node, expression: str) -> bool:
    """The formula uses only what `_walk` evaluates: numbers written in decimal."""
    if isinstance(node, ast.Constant):
        return (
            isinstance(node.value, int | float)
            and not isinstance(node.value, bool)
            and _is_number(_number_text(expression, node))
        )
    if isinstance(node, ast.Name):
        return True
    if isinstance(node, ast.UnaryOp):
        return isinstance(node.op, ast.USub) and _allowed(node.operand, expression)
    if isinstance(node, ast.BinOp):
        return (
            isinstance(node.op, _OPERATORS)
            and _allowed(node.left, expression)
            and _allowed(node.right, expression)
        )
    if isinstance(node, ast.Call):
        return (
            isinstance(node.func, ast.Name)
            and node.func.id in ("min", "max")
            and bool(node.args)
            and not node.keywords
            and all(_allowed(arg, expression) for arg in node.args)
        )
    return False


def _number_text(expression: str, node: ast.Constant) -> str:
    """A number exactly as it is written in the formula (the parser's float would keep
    only about 15 significant figures)."""
    return ast.get_source_segment(expression, node) or ""


def _is_number(text: str) -> bool:
    try:
        return Decimal(str(text)).is_finite()
    except ArithmeticError:
        return False


def _references(rule: Rule) -> list[str]:
    if rule.kind == "percent_of":
        return [code for code in rule.of if not code.startswith("category:")]
    if rule.kind == "formula":
        return [n for n in names_in(rule.formula) if n.isupper() and n not in ("MIN", "MAX")]
    return []


@cache
def _parsed(expression: str) -> ast.Expression:
    try:
        return ast.parse(expression, mode="eval")
    except SyntaxError:
        raise RuleError(f"{expression!r} is not a formula.", fields={"formula": "syntax"}) from None


def names_in(expression: str) -> list[str]:
    """The names a formula reads (lines in upper case, inputs in lower case)."""
    return [node.id for node in ast.walk(_parsed(expression)) if isinstance(node, ast.Name)]


def evaluate(
    rules: list[Rule],
    *,
    inputs: Mapping[str, object] | None = None,
    ytd: Mapping[str, Decimal] | None = None,
    taxes: Mapping[str, TaxRoutine] | None = None,
    context: Mapping | None = None,
    checked: bool = False,
) -> Payslip:
    """One employee's payslip for one period. `inputs` are the period's figures by name
    (hours, bonus...); `ytd` the year-to-date amount of each line before this period.
    `checked`: the caller has already run `check(rules)` on this rule set."""
    if not checked:
        check(rules)
    inputs = {k: _decimal(v, k) for k, v in (inputs or {}).items()}
    ytd = ytd or {}
    payslip = Payslip()
    done: dict[str, Decimal] = {}
    for rule in rules:
        raw = _raw(rule, done, inputs, payslip, taxes or {}, context or {})
        amount = _round(raw, rule)
        if rule.yearly_cap:
            room = max(Decimal(rule.yearly_cap) - ytd.get(rule.code, Decimal(0)), Decimal(0))
            amount = min(amount, room) if amount >= 0 else amount
        done[rule.code] = amount
        payslip.lines.append(
            Line(rule.code, rule.name, rule.category, amount, rule.taxable, rule.before_tax)
        )
    return payslip


def _decimal(value, name: str) -> Decimal:
    try:
        number = Decimal(str(value))
    except ArithmeticError:
        raise RuleError(f"{name} is not a number.", fields={name: "number"}) from None
    if not number.is_finite():
        raise RuleError(f"{name} is not a number.", fields={name: "number"})
    return number


def _value(token: str, done: dict, inputs: dict, rule: Rule) -> Decimal:
    if token in done:
        return done[token]
    if token in inputs:
        return inputs[token]
    try:
        return _decimal(token, rule.code)
    except RuleError:
        raise RuleError(
            f"{rule.code} needs {token!r}, which is neither a line, an input nor a number.",
            fields={rule.code: token},
        ) from None


def _raw(rule, done, inputs, payslip, taxes, context) -> Decimal:
    if rule.kind == "fixed":
        return _value(rule.amount, done, inputs, rule)
    if rule.kind == "rate_x_quantity":
        return _value(rule.rate, done, inputs, rule) * _value(rule.quantity, done, inputs, rule)
    if rule.kind == "percent_of":
        base = Decimal(0)
        for code in rule.of:
            if code.startswith("category:"):
                base += sum(
                    (ln.amount for ln in payslip.lines if ln.category == code[9:]), Decimal(0)
                )
            else:
                base += done[code]
        return base * _decimal(rule.percent, rule.code) / 100
    if rule.kind == "formula":
        return _formula(rule, done, inputs)
    routine = taxes.get(rule.tax)
    if routine is None:
        raise RuleError(f"{rule.code}: no tax routine {rule.tax!r}.", fields={rule.code: "tax"})
    taxable = sum(
        (ln.amount for ln in payslip.lines if ln.category == "earning" and ln.taxable),
        Decimal(0),
    )
    relieved = sum((ln.amount for ln in payslip.lines if ln.before_tax), Decimal(0))
    if relieved:  # what income tax does not see (the routine decides who subtracts it)
        context = {**context, "relieved_before_tax": relieved}
    return routine(taxable, rule, context)


def _round(value: Decimal, rule: Rule) -> Decimal:
    return value.quantize(Decimal(rule.unit), rounding=ROUNDINGS[rule.rounding])


_OPERATORS = (ast.Add, ast.Sub, ast.Mult, ast.Div)


def _formula(rule: Rule, done: dict, inputs: dict) -> Decimal:
    return _walk(_parsed(rule.formula).body, rule, done, inputs)


@cache
def _literal(expression: str, line: int, column: int, end: int) -> Decimal:
    """The number at that place of the formula, read from its text as a Decimal."""
    node = ast.Constant(value=0, lineno=line, col_offset=column, end_lineno=line,
                        end_col_offset=end)  # fmt: skip
    return Decimal(_number_text(expression, node))


def _walk(node, rule: Rule, done: dict, inputs: dict) -> Decimal:
    def walk(child) -> Decimal:
        return _walk(child, rule, done, inputs)

    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        return _literal(rule.formula, node.lineno, node.col_offset, node.end_col_offset or 0)
    if isinstance(node, ast.Name):
        return _value(node.id, done, inputs, rule)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return -walk(node.operand)
    if isinstance(node, ast.BinOp) and isinstance(node.op, _OPERATORS):
        return _binary(node.op, walk(node.left), walk(node.right), rule)
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in ("min", "max")
        and node.args
        and not node.keywords
    ):
        values = [walk(arg) for arg in node.args]
        return min(values) if node.func.id == "min" else max(values)
    raise RuleError(
        f"{rule.code}: only numbers, lines, inputs, + - * / ( ) and min/max are allowed.",
        fields={rule.code: "formula"},
    )


def _binary(op, left: Decimal, right: Decimal, rule: Rule) -> Decimal:
    if isinstance(op, ast.Add):
        return left + right
    if isinstance(op, ast.Sub):
        return left - right
    if isinstance(op, ast.Mult):
        return left * right
    if right == 0:
        raise RuleError(f"{rule.code}: division by zero.", fields={rule.code: "zero"})
    return left / right

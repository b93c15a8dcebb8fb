"""A pay group's earnings and deductions on pages: the editor (one box per line, in the
order they are computed), the versions written so far with what each changed, one
version's rules, and restoring an earlier version."""

import re

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from tercero.platform.errors import DomainError, InvalidInput, NotFound
from tercero.platform.pages import page, refused, version_of
from tercero.services.payroll import calc, groups, rules, selectors
from tercero.services.payroll.models import PayRuleSet, PayRun

FIELDS = (
    "position",
    "code",
    "name",
    "category",
    "kind",
    "amount",
    "rate",
    "quantity",
    "percent",
    "of",
    "formula",
    "tax",
    "rounding",
    "unit",
    "yearly_cap",
)
BLANK_ROWS = 3
MAX_ROWS = 200
DEFAULTS = {"rounding": "half_up", "unit": "0.01"}


def definition(rule: dict) -> str:
    """One line's rule as a sentence-sized text for tables."""
    kind = rule.get("kind")
    if kind == "fixed":
        text = rule.get("amount", "")
    elif kind == "rate_x_quantity":
        text = f"{rule.get('rate', '')} * {rule.get('quantity', '')}"
    elif kind == "percent_of":
        text = f"{rule.get('percent', '')} % of {', '.join(rule.get('of', ()))}"
    elif kind == "formula":
        text = rule.get("formula", "")
    else:
        text = f"tax routine {rule.get('tax', '')}"
        if rule.get("percent"):
            text += f" at {rule['percent']} %"
    extras = []
    if rule.get("rounding", "half_up") != "half_up" or rule.get("unit", "0.01") != "0.01":
        extras.append(
            f"rounded {rule.get('rounding', 'half_up').replace('_', ' ')}"
            f" to {rule.get('unit', '0.01')}"
        )
    if rule.get("yearly_cap"):
        extras.append(f"at most {rule['yearly_cap']} a year")
    if rule.get("category") == "earning" and rule.get("taxable") is False:
        extras.append("not taxable")
    if rule.get("before_tax"):
        extras.append("before income tax")
    return "; ".join([text, *extras])


def _table(rule_list: list[dict]) -> list[dict]:
    return [{**rule, "definition": definition(rule)} for rule in rule_list]


def changes_between(before: list[dict] | None, after: list[dict]) -> str:
    """What a version changed from the one before it, by line code."""
    if before is None:
        return f"{len(after)} lines"
    old = {rule["code"]: rule for rule in before}
    new = {rule["code"]: rule for rule in after}
    parts = [f"{code} added" for code in new if code not in old]
    parts += [f"{code} removed" for code in old if code not in new]
    parts += [f"{code} changed" for code in new if code in old and new[code] != old[code]]
    if not parts and [r["code"] for r in before] != [r["code"] for r in after]:
        parts.append("order changed")
    return ", ".join(parts) or "no change"


def _versions(group) -> list[dict]:
    """The versions, newest first, each with what it changed from the one before."""
    rows, before = [], None
    for version, runs in selectors.rule_versions(group):
        rows.append(
            {"version": version, "changes": changes_between(before, version.rules), "runs": runs}
        )
        before = version.rules
    rows.reverse()
    return rows


def _rows(rule_list: list[dict]) -> list[dict]:
    """The editor's boxes for a rule list: one per line and a few blank ones."""
    rows = []
    for index, rule in enumerate(rule_list, start=1):
        row = {name: rule.get(name, DEFAULTS.get(name, "")) for name in FIELDS}
        row.update(
            position=index,
            of=", ".join(rule.get("of", ())),
            taxable=rule.get("taxable", True),
            before_tax=rule.get("before_tax", False),
            remove=False,
            error=False,
        )
        rows.append(row)
    for index in range(BLANK_ROWS):
        blank = {name: DEFAULTS.get(name, "") for name in FIELDS}
        blank.update(
            position=len(rule_list) + index + 1,
            category="earning",
            kind="fixed",
            taxable=True,
            before_tax=False,
            remove=False,
            error=False,
        )
        rows.append(blank)
    return rows


def _posted_rows(post) -> list[dict]:
    try:
        count = int(post.get("rows", ""))
    except ValueError:
        raise InvalidInput("The form is incomplete; reload the page.") from None
    if not 0 <= count <= MAX_ROWS:
        raise InvalidInput(f"At most {MAX_ROWS} lines.", fields={"rows": "too many"})
    rows = []
    for index in range(count):
        row = {name: post.get(f"r-{index}-{name}", "").strip() for name in FIELDS}
        row["taxable"] = post.get(f"r-{index}-taxable") == "on"
        row["before_tax"] = post.get(f"r-{index}-before_tax") == "on"
        row["remove"] = post.get(f"r-{index}-remove") == "on"
        row["error"] = False
        rows.append(row)
    return rows


def _rule_of(row: dict) -> dict:
    rule = {
        "code": row["code"].upper(),
        "name": row["name"],
        "category": row["category"],
        "kind": row["kind"],
    }
    for name in rules.NEEDS.get(row["kind"], ()):
        if name == "of":
            rule["of"] = [
                part if part.startswith("category:") else part.upper()
                for part in (piece.strip() for piece in row["of"].split(","))
                if part
            ]
        else:
            rule[name] = row[name]
    if row["category"] == "earning" and not row["taxable"]:
        rule["taxable"] = False
    if row["kind"] == "tax" and row["percent"]:  # a pension routine's rate
        rule["percent"] = row["percent"]
    if row["before_tax"]:
        rule["before_tax"] = True
    for name, default in DEFAULTS.items():
        if row[name] and row[name] != default:
            rule[name] = row[name]
    if row["yearly_cap"]:
        rule["yearly_cap"] = row["yearly_cap"]
    return rule


def _rules_of(rows: list[dict]) -> tuple[list[dict], list[int]]:
    """The rule list the rows say, in position order, and each rule's row index."""
    kept = []
    for index, row in enumerate(rows):
        if row["remove"] or not (row["code"] or row["name"]):
            continue
        try:
            position = int(row["position"] or index + 1)
        except ValueError:
            row["error"] = True
            raise InvalidInput(
                f"Line {index + 1}: the position is a whole number.", fields={"position": "number"}
            ) from None
        # a line given another line's position goes before it (moved or inserted there)
        kept.append(((position, position == index + 1, index), index, _rule_of(row)))
    kept.sort(key=lambda item: item[0])
    return [rule for _k, _i, rule in kept], [index for _k, index, _r in kept]


def _message(error: DomainError, order: list[int]) -> str:
    """A service's message about rules[i] as the line the user sees on the form."""

    def line(match: re.Match) -> str:
        index = int(match.group(1))
        return f"Line {order[index] + 1}" if index < len(order) else match.group(0)

    return re.sub(r"rules\[(\d+)\]", line, error.message)


def _editor_context(group, rows, note="", error="") -> dict:
    return {
        "group": group,
        "rows": rows,
        "row_count": len(rows),
        "note": note,
        "error": error,
        "categories": rules.CATEGORIES,
        "kinds": rules.KINDS,
        "roundings": tuple(rules.ROUNDINGS),
        "taxes": sorted(calc.ROUTINES.get(group.jurisdiction, {})),
    }


@page("payroll:write", staff=True)
def rules_edit(request, caller, pay_group_id: int):
    group = selectors.access_pay_group(client_ids=caller.client_ids, pay_group_id=pay_group_id)
    if request.method != "POST":
        return render(
            request, "payroll/rules_edit.html", _editor_context(group, _rows(group.rules))
        )
    note = request.POST.get("note", "").strip()[:500]
    order: list[int] = []
    try:
        rows = _posted_rows(request.POST)
    except DomainError as error:
        refused(request, error)
        return redirect("payroll:rules_edit", group.pk)
    try:
        new_rules, order = _rules_of(rows)
        if not note:
            raise InvalidInput("Say why the rules change; it is kept with the version.")
        if not new_rules:
            raise InvalidInput("A pay group needs at least one line.")
        before = group.rules
        group = groups.update_pay_group(
            actor=request.user,
            group=group,
            version=version_of(request) or 0,
            changes={"rules": new_rules},
            note=note,
        )
    except DomainError as error:
        for index in _failed_rows(error, order):
            rows[index]["error"] = True
        context = _editor_context(group, rows, note, _message(error, order))
        return render(request, "payroll/rules_edit.html", context, status=422)
    if group.rules == before:
        messages.info(request, "Nothing changed: no new version.")
    else:
        number = selectors.newest_rule_number(group)
        messages.success(request, f"Rules saved as version {number}.")
    return redirect("payroll:group", group.pk)


def _failed_rows(error: DomainError, order: list[int]) -> list[int]:
    found = re.findall(r"rules\[(\d+)\]", " ".join([error.message, *map(str, error.fields)]))
    return sorted({order[int(i)] for i in found if int(i) < len(order)})


@page("payroll:read")
def rule_version(request, caller, pay_group_id: int, number: int):
    group = selectors.access_pay_group(client_ids=caller.client_ids, pay_group_id=pay_group_id)
    try:
        version = PayRuleSet.objects.select_related("created_by").get(
            pay_group=group, number=number
        )
    except PayRuleSet.DoesNotExist:
        raise NotFound("No such rule version.") from None
    context = {
        "group": group,
        "version": version,
        "rules": _table(version.rules),
        "in_force": version.rules == group.rules,
        "runs": PayRun.objects.filter(pay_group=group, rules_version=number).order_by("-pay_date")[
            :50
        ],
        "may_write": request.user.is_provider_staff and "payroll:write" in caller.permissions,
    }
    return render(request, "payroll/rule_version.html", context)


@require_POST
@page("payroll:write", staff=True)
def rules_restore(request, caller, pay_group_id: int, number: int):
    group = selectors.access_pay_group(client_ids=caller.client_ids, pay_group_id=pay_group_id)
    try:
        groups.restore_rules(
            actor=request.user,
            group=group,
            version=version_of(request) or 0,
            number=number,
            note=request.POST.get("note", ""),
        )
    except DomainError as error:
        refused(request, error)
        return redirect("payroll:rule_version", group.pk, number)
    messages.success(request, f"Version {number} is in force again, as a new version.")
    return redirect("payroll:group", group.pk)


def group_rules_context(group) -> dict:
    """What the group page shows of its rules."""
    return {"rules": _table(group.rules), "rule_versions": _versions(group)}

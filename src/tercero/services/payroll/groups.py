"""Pay groups: creating one and changing it (its paying account, pay calendar and rules).
What a group's runs were computed in (frequency, currency, jurisdiction) is fixed once
it has a run; its rules may change, each change a new numbered version (`PayRuleSet`,
never changed once written, with who made it and why), and a run pins the version it is
calculated with. An earlier version can be restored: that is a new version again."""

import copy
import re
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from tercero.platform.audit.services import record
from tercero.platform.errors import Conflict, InvalidInput
from tercero.platform.versioning import update_versioned
from tercero.services.payroll import calc, gb, identifiers, paydates
from tercero.services.payroll.models import PayGroup, PayRuleSet, PayRun

if TYPE_CHECKING:
    from tercero.delivery.engagements.models import Engagement
    from tercero.platform.identity.models import User

BIC = re.compile(r"^[A-Z0-9]{4}[A-Z]{2}[A-Z0-9]{2}([A-Z0-9]{3})?$")
FIXED_ONCE_RUN = ("frequency", "currency", "jurisdiction")
EDITABLE = (
    "name",
    *FIXED_ONCE_RUN,
    "rules",
    "payer_iban",
    "payer_bic",
    "payer_routing",
    "bank_routing",
    "company_id",
    "period_anchor",
    "pay_rule",
    "pay_offset_days",
    "pay_day",
)


def _clean(fields: dict) -> dict:
    """The fields in standard form; anything that cannot be paid from is refused."""
    clean = dict(fields)
    if "name" in clean:
        clean["name"] = (clean["name"] or "").strip()[:100]
        if not clean["name"]:
            raise InvalidInput("Name the pay group.", fields={"name": "required"})
    if "frequency" in clean and clean["frequency"] not in PayGroup.Frequency.values:
        raise InvalidInput("Unknown frequency.", fields={"frequency": "weekly ... monthly"})
    if "currency" in clean:
        clean["currency"] = (clean["currency"] or "").upper()
        if not re.fullmatch(r"[A-Z]{3}", clean["currency"]):
            raise InvalidInput("A currency is its ISO code.", fields={"currency": "e.g. GBP"})
    if "jurisdiction" in clean:
        clean["jurisdiction"] = (clean["jurisdiction"] or "").upper()
        if not re.fullmatch(r"[A-Z]{2}", clean["jurisdiction"]):
            raise InvalidInput("A jurisdiction is its ISO code.", fields={"jurisdiction": "GB"})
    if "rules" in clean:
        calc.rule_set(clean["rules"])
    return _clean_accounts(clean)


def _clean_accounts(clean: dict) -> dict:
    """The paying account: an IBAN and BIC (SEPA) or routing numbers and a company id
    (NACHA), each checked as the bank file will need it."""
    if clean.get("payer_iban"):
        clean["payer_iban"] = identifiers.iban(clean["payer_iban"], field="payer_iban")
    if clean.get("payer_bic"):
        clean["payer_bic"] = re.sub(r"\s", "", clean["payer_bic"]).upper()
        if not BIC.match(clean["payer_bic"]):
            raise InvalidInput("That is not a BIC.", fields={"payer_bic": "8 or 11 characters"})
    for name in ("payer_routing", "bank_routing"):
        if clean.get(name):
            clean[name] = identifiers.us_routing_number(clean[name], field=name)
    if clean.get("company_id"):
        clean["company_id"] = clean["company_id"].strip().upper()
        if not re.fullmatch(r"[A-Z0-9]{1,10}", clean["company_id"]):
            raise InvalidInput("1 to 10 letters or digits.", fields={"company_id": "format"})
    return clean


def _check_taxes(group: PayGroup) -> None:
    """Every tax line names a routine the group's jurisdiction has."""
    known = calc.ROUTINES.get(group.jurisdiction, {})
    for index, rule in enumerate(group.rules):
        if rule.get("kind") == "tax" and rule.get("tax") not in known:
            where = f"rules[{index}] ({rule.get('code')})"
            raise InvalidInput(
                f"{where}: {group.jurisdiction} has no tax routine {rule.get('tax')!r}"
                f" (it has: {', '.join(sorted(known)) or 'none yet'}).",
                fields={where: "tax"},
            )


def _check_calendar(group: PayGroup) -> None:
    paydates.check(
        frequency=group.frequency,
        anchor=group.period_anchor,
        rule=group.pay_rule,
        offset=group.pay_offset_days,
        day=group.pay_day,
    )
    if group.jurisdiction == "GB":
        gb.basis(group.frequency)


def default_rules(jurisdiction: str) -> list[dict]:
    """The rules a new group starts with: its jurisdiction's pack where there is one
    (the United Kingdom's, the United States'), else the same earnings and deductions
    without statutory taxes, until the jurisdiction's pack is added (docs/payroll.md)."""
    if jurisdiction in calc.DEFAULT_RULES:
        return calc.DEFAULT_RULES[jurisdiction]
    return [rule for rule in calc.GB_DEFAULT_RULES if rule["kind"] != "tax"]


def create_pay_group(
    *,
    actor: "User | None",
    engagement: "Engagement",
    name: str,
    frequency: str,
    currency: str,
    jurisdiction: str = "GB",
    rules: list[dict[str, Any]] | None = None,
    payer_iban: str = "",
    payer_bic: str = "",
    payer_routing: str = "",
    bank_routing: str = "",
    company_id: str = "",
    period_anchor: date | None = None,
    pay_rule: str = "offset",
    pay_offset_days: int = 0,
    pay_day: int = 28,
) -> PayGroup:
    """A pay group of `engagement`; without `rules`, the default rules of its
    jurisdiction. Every field is checked as `update_pay_group` checks it."""
    fields: dict[str, Any] = {
        "name": name,
        "frequency": frequency,
        "currency": currency,
        "jurisdiction": jurisdiction,
        "payer_iban": payer_iban,
        "payer_bic": payer_bic,
        "payer_routing": payer_routing,
        "bank_routing": bank_routing,
        "company_id": company_id,
        "period_anchor": period_anchor,
        "pay_rule": pay_rule,
        "pay_offset_days": pay_offset_days,
        "pay_day": pay_day,
    }
    if rules is not None:
        fields["rules"] = rules
    clean = _clean(fields)
    clean.setdefault("rules", default_rules(clean["jurisdiction"]))
    for required in ("name", "frequency", "currency"):
        if not clean.get(required):
            raise InvalidInput(
                "Please check the highlighted fields.", fields={required: "required"}
            )
    group = PayGroup(client_id=engagement.client_id, engagement=engagement, **clean)
    _check_calendar(group)
    _check_taxes(group)
    try:
        with transaction.atomic():
            group.save()
            record_rules(group, actor=actor, note="The rules the pay group was created with.")
            _audit(group, "payroll.pay_group.created", actor, sorted(clean))
    except IntegrityError:
        raise Conflict("A pay group with this name exists.", fields={"name": "taken"}) from None
    return group


def update_pay_group(
    *, actor, group: PayGroup, version: int, changes: dict, note: str = ""
) -> PayGroup:
    """Change a pay group. A change to the rules is a new rule version, with `note`
    (why) kept beside it; the same rules again make no new version."""
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise InvalidInput("These fields cannot be changed.", fields=dict.fromkeys(unknown, "?"))
    clean = _clean(changes)
    if "rules" in clean and _same_rules(clean["rules"], group.rules):
        del clean["rules"]
    moved = [
        name for name in FIXED_ONCE_RUN if name in clean and clean[name] != getattr(group, name)
    ]
    if moved and PayRun.objects.filter(pay_group=group).exclude(status="cancelled").exists():
        raise Conflict(
            "The pay group has runs; its frequency, currency and jurisdiction stay as they are.",
            code="has_runs",
            fields=dict.fromkeys(moved, "fixed"),
        )
    proposed = copy.copy(group)  # the caller's group stays as it was if this is refused
    for name, value in clean.items():
        setattr(proposed, name, value)
    _check_calendar(proposed)
    _check_taxes(proposed)
    with transaction.atomic():
        update_versioned(
            PayGroup,
            pk=group.pk,
            version=version,
            changes=clean,
            what="pay group",
            taken=("name", "A pay group with this name exists."),
        )
        if "rules" in clean:
            current_rules(group, actor=actor)  # the rules replaced, if never recorded
            record_rules(proposed, actor=actor, note=note)
        _audit(group, "payroll.pay_group.changed", actor, sorted(clean))
    group.refresh_from_db()
    return group


def _same_rules(new: list[dict], old: list[dict]) -> bool:
    """The same lines with the same meaning (however the fields were written)."""
    try:
        return calc.rule_set(new) == calc.rule_set(old)
    except InvalidInput:  # the old rules no longer pass the checks: a change
        return False


def record_rules(group: PayGroup, *, actor, note: str = "") -> PayRuleSet:
    """The group's rules (as they are on `group`) as its next rule version. The group's
    row is locked so two changes at once number their versions one after the other."""
    with transaction.atomic():
        PayGroup.objects.select_for_update().filter(pk=group.pk).values_list("pk").first()
        last = (
            PayRuleSet.objects.filter(pay_group_id=group.pk)
            .order_by("-number")
            .values_list("number", flat=True)
            .first()
        )
        return PayRuleSet.objects.create(
            client_id=group.client_id,
            pay_group_id=group.pk,
            number=(last or 0) + 1,
            rules=copy.deepcopy(group.rules),
            note=(note or "").strip()[:500],
            created_by=actor if getattr(actor, "pk", None) else None,
        )


def current_rules(group: PayGroup, *, actor=None) -> PayRuleSet:
    """The rule version a calculation starting now uses: the latest, or a new one when
    the group's rules were written some other way since (a run never uses rules that
    are not kept as a version)."""
    latest = PayRuleSet.objects.filter(pay_group_id=group.pk).order_by("-number").first()
    if latest is not None and latest.rules == group.rules:
        return latest
    return record_rules(group, actor=actor, note="The rules as found when a run used them.")


def restore_rules(*, actor, group: PayGroup, version: int, number: int, note: str) -> PayGroup:
    """Put an earlier rule version back in force, as a new version."""
    try:
        earlier = PayRuleSet.objects.get(pay_group_id=group.pk, number=number)
    except PayRuleSet.DoesNotExist:
        raise InvalidInput(
            f"The pay group has no rule version {number}.", fields={"number": "unknown"}
        ) from None
    reason = (note or "").strip()
    if not reason:
        raise InvalidInput("Say why the version is restored.", fields={"note": "required"})
    if earlier.rules == group.rules:
        raise Conflict(f"Version {number} is the rules in force already.", code="unchanged")
    return update_pay_group(
        actor=actor,
        group=group,
        version=version,
        changes={"rules": earlier.rules},
        note=f"Version {number} restored: {reason}",
    )


def _audit(group: PayGroup, action: str, actor, fields: list[str]) -> None:
    record(
        action=action,
        actor=actor,
        client=group.client_id,
        object_type="pay_group",
        object_id=group.pk,
        payload={"fields": fields},
    )


def next_period(group: PayGroup) -> paydates.Period | None:
    """The calendar's first period after the last regular run (or today's period)."""
    last = (
        PayRun.objects.filter(pay_group=group, kind=PayRun.Kind.REGULAR)
        .filter(~Q(status=PayRun.Status.CANCELLED))
        .order_by("-period_end")
        .values_list("period_end", flat=True)
        .first()
    )
    if last is None:
        return paydates.period_of(group, timezone.localdate())
    return paydates.period_of(group, last + timedelta(days=1))

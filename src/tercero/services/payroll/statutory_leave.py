"""Recording UK statutory absences (sickness, maternity, adoption, paternity, shared
parental, parental bereavement and neonatal care leave) and the statutory pay a run owes
for them.

Recording checks the dates, refuses an absence that overlaps another of its kind, works
out the average weekly earnings from the finalised pay on record (or takes the ones
given) and refuses, in a sentence, an absence that does not qualify; each change is an
audit event. A run pays the days of its period (`run_lines`): the rules are pure
(statutory.py, statutory_rules.py).
"""

import math
from collections import defaultdict
from datetime import date, timedelta
from fractions import Fraction

from django.db import transaction

from tercero.platform.audit.services import record
from tercero.platform.errors import Conflict, InvalidInput, NotFound
from tercero.services.payroll import (
    statutory,
    statutory_corrections,
    statutory_limits,
    statutory_rules,
)
from tercero.services.payroll.models import (
    Employee,
    Employment,
    PayResult,
    PayRun,
    StatutoryAbsence,
)

FAMILY = (
    statutory.MATERNITY, statutory.ADOPTION, statutory.PATERNITY, *statutory.WHOLE_WEEKS,
)  # fmt: skip
EARLIEST, LATEST = date(2000, 1, 1), date(2100, 12, 31)
HOLIDAY = "holiday"  # paid annual leave: recorded here, paid by holiday_leave
FIELDS = (
    "kind", "start", "end", "expected_on", "average_weekly_earnings_minor",
    "qualifying_days", "weeks_available", "child_arrived_on", "care_started_on",
)  # fmt: skip


def record_absence(
    *,
    actor,
    employee: Employee,
    kind: str,
    start: date,
    end: date | None = None,
    expected_on: date | None = None,
    average_weekly_earnings_minor: int | None = None,
    qualifying_days: str = "0,1,2,3,4",
    weeks_available: int | None = None,
    child_arrived_on: date | None = None,
    care_started_on: date | None = None,
) -> StatutoryAbsence:
    """Record a statutory absence that qualifies for pay; InvalidInput says why not."""
    given = {
        "kind": kind, "start": start, "end": end, "expected_on": expected_on,
        "average_weekly_earnings_minor": average_weekly_earnings_minor,
        "qualifying_days": qualifying_days, "weeks_available": weeks_available,
        "child_arrived_on": child_arrived_on, "care_started_on": care_started_on,
    }  # fmt: skip
    _check(given)
    with transaction.atomic():
        Employee.objects.select_for_update().filter(pk=employee.pk).first()
        _refuse_overlap(employee, given, exclude=None)
        _refuse_out_of_time(employee, given, exclude=None)
        earnings = _earnings(employee, given)
        absence = StatutoryAbsence.objects.create(
            client_id=employee.client_id,
            employee=employee,
            recorded_by=actor if getattr(actor, "pk", None) else None,
            **{**given, **earnings},
        )
        record(
            action="payroll.statutory_absence.recorded",
            actor=actor,
            client=employee.client_id,
            object_type="statutory_absence",
            object_id=absence.pk,
            payload=_audited(absence),
        )
    return absence


def correct_absence(
    *, actor, absence: StatutoryAbsence, version: int, **changes
) -> StatutoryAbsence:
    """Correct a recorded absence (the dates, the expected week, the earnings...): checked
    again as a new one would be. Runs calculated afterwards pay by the corrected record;
    finalised payslips stay as paid, and the next regular run pays or recovers the
    difference for their periods (statutory_corrections)."""
    unknown = set(changes) - set(FIELDS)
    if unknown:
        raise InvalidInput(
            f"These cannot be corrected: {', '.join(sorted(unknown))}.",
            fields=dict.fromkeys(sorted(unknown), "unknown"),
        )
    with transaction.atomic():
        current = StatutoryAbsence.objects.select_for_update().get(pk=absence.pk)
        if current.version != version:
            raise Conflict(
                "The absence was changed by someone else; reload it.", code="stale_version"
            )
        before = _audited(current)
        given = {name: getattr(current, name) for name in FIELDS}
        if current.is_earnings_given is False and "average_weekly_earnings_minor" not in changes:
            given["average_weekly_earnings_minor"] = None  # worked out again
        given.update(changes)
        _check(given)
        employee = current.employee
        _refuse_overlap(employee, given, exclude=current.pk)
        _refuse_out_of_time(employee, given, exclude=current.pk)
        earnings = _earnings(employee, given)
        StatutoryAbsence.objects.filter(pk=current.pk).update(
            **{**given, **earnings}, version=current.version + 1
        )
        current.refresh_from_db()
        record(
            action="payroll.statutory_absence.corrected",
            actor=actor,
            client=current.client_id,
            object_type="statutory_absence",
            object_id=current.pk,
            payload={"before": before, "after": _audited(current)},
        )
    return current


def access_absence(*, client_ids: list[int], absence_id: int) -> StatutoryAbsence:
    """A statutory absence of one of the caller's clients; any other is NotFound."""
    found = (
        StatutoryAbsence.objects.filter(client_id__in=client_ids, pk=absence_id)
        .select_related("employee")
        .first()
        if 0 < absence_id < 2**62
        else None
    )
    if found is None:
        raise NotFound("Absence not found.")
    return found


def _audited(absence: StatutoryAbsence) -> dict:
    return {
        "employee": absence.employee_id,
        "kind": absence.kind,
        "start": absence.start.isoformat(),
        "end": absence.end.isoformat() if absence.end else None,
        "average_weekly_earnings_minor": absence.average_weekly_earnings_minor,
        "earnings_given": absence.is_earnings_given,
    }


def _check(given: dict) -> None:
    """Refuse what cannot be an absence, before anything is read or written."""
    kind, start, end = given["kind"], given["start"], given["end"]
    if kind not in statutory.KINDS and kind != HOLIDAY:
        raise InvalidInput(
            f"{str(kind)[:40]!r} is not a kind of statutory absence; use one of: "
            f"{', '.join([*statutory.KINDS, HOLIDAY])}.",
            fields={"kind": "unknown"},
        )
    _check_dates(given)
    if kind != statutory.SICKNESS:  # a window that has passed, before a year without rates
        problem = statutory_limits.refusal(_leave(given))
        if problem:
            raise InvalidInput(problem, fields={"start": "out of time"})
    statutory.rates_on(start)  # a tax year the packs have rates for
    weekdays = qualifying_weekdays(given["qualifying_days"])
    if not weekdays:
        raise InvalidInput(
            "Give the qualifying days as weekday numbers, Monday 0 to Sunday 6.",
            fields={"qualifying_days": "weekdays"},
        )
    if kind == HOLIDAY:
        _check_holiday(start, end, weekdays)
    if kind == statutory.SHARED_PARENTAL and not given["weeks_available"]:
        raise InvalidInput(
            "Shared parental pay needs the weeks left after maternity or adoption pay.",
            fields={"weeks_available": "required"},
        )
    earnings = given["average_weekly_earnings_minor"]
    if earnings is not None and not 0 <= earnings < 10**9:
        raise InvalidInput(
            "Average weekly earnings must be zero or more.",
            fields={"average_weekly_earnings_minor": "range"},
        )


def _check_dates(given: dict) -> None:
    start, end = given["start"], given["end"]
    if end is not None and end < start:
        raise InvalidInput("The absence ends before it starts.", fields={"end": "before start"})
    for name in ("start", "end", "expected_on", "child_arrived_on", "care_started_on"):
        if given[name] is not None and not EARLIEST <= given[name] <= LATEST:
            raise InvalidInput(
                f"The {name.replace('_', ' ')} date must fall in the years 2000 to 2100.",
                fields={name: "range"},
            )


def _check_holiday(start: date, end: date | None, weekdays: frozenset[int]) -> None:
    """A holiday is days of paid annual leave: it needs its last day and a working day."""
    if end is None:
        raise InvalidInput("A holiday needs its last day.", fields={"end": "required"})
    if not any(
        (start + timedelta(days=offset)).weekday() in weekdays
        for offset in range(min((end - start).days + 1, 7))
    ):
        raise InvalidInput(
            "This holiday has no working day in it (its working days are the days ticked).",
            fields={"qualifying_days": "no working day"},
        )


def qualifying_weekdays(text: str) -> frozenset[int]:
    """ "0,1,2,3,4" as weekday numbers; empty when the text is not such a list."""
    parts = [part.strip() for part in str(text).split(",") if part.strip()]
    if not parts or any(part not in "0123456" or len(part) != 1 for part in parts):
        return frozenset()
    return frozenset(int(part) for part in parts)


def _refuse_overlap(employee: Employee, given: dict, *, exclude: int | None) -> None:
    others = StatutoryAbsence.objects.filter(employee=employee, kind=given["kind"])
    if exclude is not None:
        others = others.exclude(pk=exclude)
    if given["end"] is not None:
        others = others.filter(start__lte=given["end"])
    for other in others:
        if other.end is None or other.end >= given["start"]:
            raise InvalidInput(
                f"This {statutory.KINDS.get(given['kind'], ('', 'holiday'))[1]} absence "
                "overlaps the one from "
                f"{other.start.day} {other.start:%B %Y}.",
                fields={"start": "overlap"},
            )


def _refuse_out_of_time(employee: Employee, given: dict, *, exclude: int | None) -> None:
    """Refuse leave taken outside its window or beyond its weeks (statutory_limits), and
    sickness in a linked series that has passed three years."""
    others = StatutoryAbsence.objects.filter(employee=employee, kind=given["kind"])
    if exclude is not None:
        others = others.exclude(pk=exclude)
    if given["kind"] == statutory.SICKNESS:
        problem = _sick_series_refusal(given, list(others))
    else:
        same_child = [o for o in others if o.expected_on == given["expected_on"]]
        problem = statutory_limits.refusal(
            _leave(given),
            weeks_recorded=sum(
                statutory_limits.weeks_of(statutory_limits.Leave(o.kind, o.start, o.end, None))
                for o in same_child
            ),
        )
    if problem:
        raise InvalidInput(problem, fields={"start": "out of time"})


def _leave(given: dict) -> statutory_limits.Leave:
    return statutory_limits.Leave(
        kind=given["kind"], start=given["start"], end=given["end"],
        expected_on=given["expected_on"], child_arrived_on=given["child_arrived_on"],
        care_started_on=given["care_started_on"], weeks_of_care=given["weeks_available"],
    )  # fmt: skip


def _sick_series_refusal(given: dict, others: list[StatutoryAbsence]) -> str:
    """A sickness whose linked series began three years or more before it pays no SSP."""
    start = given["start"]
    spells = [statutory.Spell(o.start, o.end or max(o.start, start)) for o in others]
    spells.append(statutory.Spell(start, given["end"] or start))
    for series in statutory.linked_series(spells):
        if any(spell.start == start for spell in series):
            ends = statutory.series_ends(series[0].start)
            if start >= ends:
                return (
                    "No Statutory Sick Pay: this sickness links to a series of linked "
                    f"periods of sickness that began on {statutory.day_text(series[0].start)} "
                    f"and passed three years on {statutory.day_text(ends)}."
                )
    return ""


def _earnings(employee: Employee, given: dict) -> dict:
    """The average weekly earnings (worked out from finalised pay unless given) and the
    refusal, if the absence does not qualify."""
    kind, start, expected = given["kind"], given["start"], given["expected_on"]
    if kind == HOLIDAY:  # paid at the 52-week average of the pay before it, by the run
        return {
            "average_weekly_earnings_minor": 0,
            "average_weekly_earnings_exact": "0/1",
            "is_earnings_given": False,
            "earnings_text": "Paid at the average of the 52 weeks with pay before it.",
        }
    override = given["average_weekly_earnings_minor"]
    awe: statutory.Pence
    if override is not None:
        awe, text, is_given = override, "Average weekly earnings as given.", True
    else:
        up_to = statutory_rules.relevant_period_end(
            kind=kind, start=start, expected=expected, care_started=given["care_started_on"]
        )
        payments, frequency = _payments(employee)
        awe, text = statutory_rules.average_weekly_earnings(
            payments=payments, up_to=up_to, frequency=frequency
        )
        is_given = False
    if kind == statutory.SICKNESS:
        refusal = statutory_rules.sick_refusal(first_day=start, awe_minor=awe)
    else:
        refusal = statutory_rules.family_refusal(
            kind=kind, expected=expected, employed_from=_employed_from(employee), awe_minor=awe,
            care_started=given["care_started_on"],
        )  # fmt: skip
    if refusal:
        raise InvalidInput(refusal, fields={"kind": "does not qualify"})
    exact = Fraction(awe)
    return {
        "average_weekly_earnings_minor": math.floor(exact),
        "average_weekly_earnings_exact": f"{exact.numerator}/{exact.denominator}",
        "is_earnings_given": is_given,
        "earnings_text": text[:400],
    }


def _payments(employee: Employee) -> tuple[list[tuple[date, int]], str]:
    """The employee's finalised payments (pay day, gross pay) and how often they are paid."""
    rows = list(
        PayResult.objects.filter(employee=employee, run__status=PayRun.Status.FINALISED)
        .order_by("run__pay_date")
        .values_list("run__pay_date", "gross_minor", "run__pay_group__frequency")
    )
    frequency = rows[-1][2] if rows else "monthly"
    return [(day, gross) for day, gross, _frequency in rows], frequency


def _employed_from(employee: Employee) -> date | None:
    """The first day of the employee's employment with this client."""
    return (
        Employment.objects.filter(employee=employee)
        .order_by("valid_from")
        .values_list("valid_from", flat=True)
        .first()
    )


def run_lines(run: PayRun, employee_ids: list[int]) -> dict[int, dict]:
    """What calc.Snapshot takes for a United Kingdom run's statutory pay: one payslip line
    per kind with the week-by-week sentences behind it, or the reason it could not be
    worked out (a tax year without a rates pack), which holds that employee alone."""
    if run.pay_group.jurisdiction != "GB":
        return {}
    made: dict[int, dict] = {}
    found = _absences(employee_ids, run.period_end)
    try:
        corrected = statutory_corrections.corrections(run, employee_ids, found, lines_of)
    except InvalidInput:  # worked out again per employee below, to hold that one alone
        corrected = _corrections_one_by_one(run, found)
    for employee_id in sorted(set(found) | set(corrected)):
        absences = found.get(employee_id, [])
        try:
            lines = lines_of(absences, period_start=run.period_start, period_end=run.period_end)
        except InvalidInput as error:
            made[employee_id] = {"statutory_problem": f"Statutory pay: {error.message}"}
            continue
        if isinstance(corrected.get(employee_id), str):  # why its corrections cannot be
            made[employee_id] = {"statutory_problem": f"Statutory pay: {corrected[employee_id]}"}
            continue  # worked out: the employee is held
        kinds: dict[str, list[statutory.Line]] = {}
        for line in lines:
            kinds.setdefault(line.code, []).append(line)
        paid = tuple(
            (
                code,
                statutory.KINDS_BY_CODE[code],
                sum(line.amount_minor for line in group),
                tuple(line.text for line in group),
            )
            for code, group in kinds.items()
        )
        fixes = tuple(
            (fix.line_code, fix.name, fix.amount_minor, (fix.text,))
            for fix in corrected.get(employee_id, [])
        )
        if paid or fixes:
            made[employee_id] = {"statutory": paid + fixes}
    return made


def _corrections_one_by_one(run: PayRun, found: dict) -> dict:
    """Corrections per employee, when one employee's cannot be worked out: that one's
    reason instead of their corrections."""
    made: dict = {}
    for employee_id in found:
        try:
            made.update(
                statutory_corrections.corrections(
                    run, [employee_id], {employee_id: found[employee_id]}, lines_of
                )
            )
        except InvalidInput as error:
            made[employee_id] = error.message
    return made


def _absences(employee_ids: list[int], until: date) -> dict[int, list[StatutoryAbsence]]:
    found: dict[int, list[StatutoryAbsence]] = defaultdict(list)
    for absence in StatutoryAbsence.objects.filter(
        employee_id__in=employee_ids, start__lte=until
    ).order_by("start"):
        found[absence.employee_id].append(absence)
    return found


def period_lines(
    *, employee_ids: list[int], period_start: date, period_end: date
) -> dict[int, list[statutory.Line]]:
    """Each employee's statutory pay lines for the days of one pay period."""
    return {
        employee_id: lines_of(absences, period_start=period_start, period_end=period_end)
        for employee_id, absences in _absences(employee_ids, period_end).items()
    }


def lines_of(
    absences: list[StatutoryAbsence], *, period_start: date, period_end: date
) -> list[statutory.Line]:
    """One employee's statutory pay in a pay period, from all their absences."""
    made: list[statutory.Line] = []
    sick = [a for a in absences if a.kind == statutory.SICKNESS]
    family = tuple(
        statutory.Spell(a.start, a.end or a.start + timedelta(weeks=39, days=-1))
        for a in absences
        if a.kind in (statutory.MATERNITY, statutory.ADOPTION)
    )
    made += _sick_lines(sick, period_start, period_end, family)
    for absence in absences:
        if absence.kind in FAMILY:
            days = statutory.family_days(
                kind=absence.kind,
                start=absence.start,
                end=absence.end,
                awe_minor=_earnings_of(absence),
            )
            made += statutory.lines_in(
                days, kind=absence.kind, period_start=period_start, period_end=period_end
            )
    shared = [a for a in absences if a.kind == statutory.SHARED_PARENTAL]
    if shared:
        days = statutory.shared_days(
            blocks=[(a.start, a.end or a.start) for a in shared],
            awe_minor=_earnings_of(shared[0]),
            weeks_available=shared[0].weeks_available or 0,
        )
        made += statutory.lines_in(
            days, kind=statutory.SHARED_PARENTAL, period_start=period_start, period_end=period_end
        )
    return made


def _earnings_of(absence: StatutoryAbsence) -> Fraction:
    return Fraction(absence.average_weekly_earnings_exact)


def _sick_lines(
    sick: list[StatutoryAbsence], period_start: date, period_end: date,
    not_payable: tuple[statutory.Spell, ...],
) -> list[statutory.Line]:  # fmt: skip
    """SSP per linked series, on the earnings and qualifying days of its first absence;
    an open-ended sickness runs to the period's end."""
    by_spell = {statutory.Spell(a.start, a.end or max(period_end, a.start)): a for a in sick}
    made: list[statutory.Line] = []
    for series in statutory.linked_series(by_spell):
        first = by_spell[series[0]]
        made += statutory.sick_lines(
            spells=series,
            awe_minor=_earnings_of(first),
            qualifying_weekdays=qualifying_weekdays(first.qualifying_days),
            period_start=period_start,
            period_end=period_end,
            not_payable=not_payable,
        )
    return made

"""`tercero demo` gives Northwind's keying desk quality assurance: an active "fields"
scorecard, a sampling rule, four evaluations of Ana's documents (one failing a critical
criterion with its coaching task and the document sent back, one she disputes) and one
evaluation waiting in the QA queue; loading it again changes nothing."""

from django.core.management import call_command

from tercero.governance.quality import demo
from tercero.governance.quality.models import (
    CoachingTask,
    Dispute,
    Evaluation,
    Sample,
    SamplingRule,
    Scorecard,
)
from tercero.platform.catalogue import DemoContext
from tercero.platform.identity.models import User
from tercero.platform.tenancy.scoping import all_clients_scope


def _counts() -> dict[str, object]:
    with all_clients_scope():
        return {
            "scorecards": list(Scorecard.objects.values_list("name", "is_active")),
            "rules": SamplingRule.objects.count(),
            "samples": Sample.objects.count(),
            "evaluations": sorted(
                (str(e.score), e.critical_failed, e.status) for e in Evaluation.objects.all()
            ),
            "coaching": list(CoachingTask.objects.values_list("status", flat=True)),
            "reworked": CoachingTask.objects.exclude(rework_item_id=None).count(),
            "disputes": list(Dispute.objects.values_list("status", flat=True)),
        }


def test_the_demo_loads_quality_assurance_once(db):
    call_command("demo", verbosity=0)
    first = _counts()
    assert first == {
        "scorecards": [("Order keying accuracy", True)],
        "rules": 1,
        "samples": 5,
        "evaluations": [
            ("0.00", True, "submitted"),
            ("100.00", False, "submitted"),
            ("75.00", False, "disputed"),
            ("95.83", False, "submitted"),
        ],
        "coaching": ["open"],
        "reworked": 1,
        "disputes": ["open"],
    }
    # loading this line's share again (the rest of the demo is the other lines' own)
    with all_clients_scope():
        people = {user.email: user for user in User.objects.filter(is_active=True)}
        context = DemoContext(admin=people["admin@tercero.example"], people=people, clients={})
        demo.load(context)
    assert _counts() == first

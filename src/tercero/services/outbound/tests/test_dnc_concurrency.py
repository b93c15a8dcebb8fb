"""A "do not call" said during a call blocks the number in every campaign of the client
before the next dial, with diallers running at the same time (PostgreSQL)."""

import threading
import time

import pytest
from django.db import connections

from tercero.platform.tenancy.scoping import client_scope
from tercero.services.outbound import dialler, dispositions
from tercero.services.outbound.models import CallAttempt, DncEntry, Lead
from tercero.services.outbound.tests.dialling import active, afternoon
from tercero.services.outbound.tests.world import build

TARGET = "+12125550123"
DIALLERS = 6
FILLERS = 30


def _rows(offset: int) -> list[dict]:
    rows = [{"phone": f"+1415555{offset + n:04d}", "postal_code": "94103"} for n in range(FILLERS)]
    rows.insert(FILLERS // 3, {"phone": TARGET, "postal_code": "10001"})
    return rows


@pytest.mark.postgres
def test_no_call_reaches_the_number_after_the_do_not_call_commits(transactional_db, tenant_a):
    # given: three campaigns of the client, each with the number among other leads, and
    # the number on a call in the first one
    worlds = [
        active(build(tenant_a, name=name, email=f"dm{n}@provider.example"), _rows(n * 100))
        for n, name in enumerate(("Spring", "Summer", "Autumn"))
    ]
    now = afternoon()
    with client_scope(clients=[tenant_a.client]):
        lead = Lead.objects.get(campaign=worlds[0].campaign, postal_code="10001")
        on_call = dialler.dial_lead(actor=None, lead=lead, agent_id=1, now=now).attempt
    committed: list[float] = []
    started_dials: list[tuple[float, int | None]] = []  # (started at, attempt id)
    errors: list[Exception] = []
    go = threading.Barrier(DIALLERS + 1)

    def dial(worker: int) -> None:
        try:
            go.wait()
            campaign = worlds[1 + worker % 2].campaign
            with client_scope(clients=[tenant_a.client]):
                for _ in range(FILLERS):
                    began = time.monotonic()
                    result = dialler.dial_next(
                        actor=None, campaign=campaign, agent_id=100 + worker, now=now
                    )
                    if result.attempt is None:
                        break
                    started_dials.append((began, result.attempt.pk))
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            connections.close_all()

    def say_do_not_call() -> None:
        try:
            go.wait()
            time.sleep(0.05)
            with client_scope(clients=[tenant_a.client]):
                dispositions.dispose(actor=None, attempt=on_call, key="do_not_call")
            committed.append(time.monotonic())
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=dial, args=(n,)) for n in range(DIALLERS)]
    threads.append(threading.Thread(target=say_do_not_call))

    # when
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # then
    assert errors == []
    with client_scope(clients=[tenant_a.client]):
        target_hash = lead.phone_hash
        to_number = set(
            CallAttempt.objects.filter(lead__phone_hash=target_hash)
            .exclude(pk=on_call.pk)
            .values_list("pk", flat=True)
        )
        late = [pk for began, pk in started_dials if began > committed[0] and pk in to_number]
        assert late == []
        assert DncEntry.objects.filter(phone_hash=target_hash, source="disposition").count() == 1
        called = set(CallAttempt.objects.filter(pk__in=to_number).values_list("lead_id", flat=True))
        for other in Lead.objects.filter(phone_hash=target_hash).exclude(pk__in=called):
            assert other.status == Lead.Status.DNC
        dials = CallAttempt.objects.count()
    print(  # noqa: T201 -- the figures of the run
        f"\n{dials} dials by {DIALLERS} diallers; {len(to_number)} reached the number "
        "before the do-not-call committed, none after"
    )

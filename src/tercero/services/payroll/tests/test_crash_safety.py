"""A pay run killed with SIGKILL at a random point and started again pays every
employee exactly once, with the same figures as a run nobody interrupted."""

import os
import random
import signal
import subprocess
import sys
import time

import pytest
from django.db import connections
from django.db.models import Count

from tercero.platform.tenancy.scoping import client_scope
from tercero.services.payroll import runs, staff
from tercero.services.payroll.models import PayResult, PayRun
from tercero.services.payroll.tests.factories import APRIL, uk_group

# Eight chunks of 250: the kill lands in one of the six after the first at random.
EMPLOYEES = 2000
TOTALS = ("gross_minor", "deductions_minor", "net_minor", "employer_minor")


def _database_url() -> str:
    db = connections["default"].settings_dict
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _calculate_in_a_process(run_id: int) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": _database_url()}
    env.pop("TERCERO_TEST_DB", None)
    return subprocess.Popen(
        [sys.executable, "-m", "tercero", "payroll", "calculate", str(run_id), "--chunk", "250"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def _figures(run: PayRun) -> dict[int, tuple]:
    return {
        employee_id: (gross, net, employer, lines)
        for employee_id, gross, net, employer, lines in PayResult.objects.filter(
            run=run
        ).values_list("employee_id", "gross_minor", "net_minor", "employer_minor", "lines")
    }


@pytest.mark.postgres
def test_a_run_killed_at_a_random_point_and_restarted_pays_everyone_once(
    tenant_a, transactional_db
):
    # protects: paying an employee twice (or not at all) after a worker dies mid-run
    group = uk_group(tenant_a.client)
    with client_scope(clients=[tenant_a.client]):
        ids = staff.add_employees(pay_group=group, count=EMPLOYEES, start=APRIL["period_start"])
        killed = runs.create_run(actor=None, pay_group=group, **APRIL)
        staff.add_inputs(run=killed, employee_ids=ids)
        runs.start_calculation(actor=None, run=killed)
    target = random.Random().randrange(250, EMPLOYEES - 500)
    worker = _calculate_in_a_process(killed.pk)
    deadline = time.monotonic() + 240
    with client_scope(clients=[tenant_a.client]):
        while PayRun.objects.get(pk=killed.pk).employees_done < target:
            assert worker.poll() is None, worker.stderr.read().decode()[-2000:]
            assert time.monotonic() < deadline, "the worker made no progress"
            time.sleep(0.02)
    worker.send_signal(signal.SIGKILL)
    worker.wait(timeout=30)
    assert worker.returncode == -signal.SIGKILL
    with client_scope(clients=[tenant_a.client]):
        stopped = PayRun.objects.get(pk=killed.pk)
        assert stopped.status == PayRun.Status.CALCULATING
        assert 0 < PayResult.objects.filter(run=killed).count() < EMPLOYEES, target

    restarted = _calculate_in_a_process(killed.pk)
    _out, err = restarted.communicate(timeout=300)
    assert restarted.returncode == 0, err.decode()[-2000:]

    with client_scope(clients=[tenant_a.client]):
        killed.refresh_from_db()
        assert killed.status == PayRun.Status.CALCULATED
        per_employee = (
            PayResult.objects.filter(run=killed)
            .values("employee_id")
            .annotate(n=Count("pk"))
            .filter(n__gt=1)
        )
        assert not per_employee.exists()
        assert PayResult.objects.filter(run=killed).count() == EMPLOYEES
        assert killed.employees_done == EMPLOYEES
        figures = _figures(killed)
        totals = [getattr(killed, field) for field in TOTALS]
        # the same period calculated again by a run nobody interrupts (a period has one
        # regular run, and an off-cycle run pays only its inputs): the figures to match
        runs.cancel(actor=tenant_a.team_lead, run=killed, version=killed.version, reason="again")
        whole = runs.create_run(actor=None, pay_group=group, **APRIL)
        staff.add_inputs(run=whole, employee_ids=ids)
        runs.start_calculation(actor=None, run=whole)
        whole = runs.calculate(run_id=whole.pk)
        assert figures == _figures(whole)
        assert totals == [getattr(whole, field) for field in TOTALS]

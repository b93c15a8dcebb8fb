"""Fuzz the whole OpenAPI with tokens of two clients and of an agent: no input may
produce a 5xx, every answer's status, content type and body are the ones the document
states for that operation, no response may carry the other client's data, and nothing
the agent receives holds personal data in clear. Valid inputs go to all three callers,
inputs outside the document and the coverage phase's bounds to one of them in turn
(`_who_calls`)."""

import inspect
import itertools
from collections.abc import Callable
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.marks import METADATA_ATTR
from schemathesis.generation.meta import TestPhase
from schemathesis.pytest import _test_builder
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tercero.config.wsgi import application
from tercero.delivery.work import services as work
from tercero.platform.identity.roles import PERMISSIONS
from tercero.platform.identity.services import create_api_token
from tercero.platform.tenancy.scoping import client_scope
from tests.factories import engagement_for

_build_operation_test = _test_builder.build_operation_test


def _built_when_run(**arguments: Any) -> Callable[..., Any]:
    """Each operation's test, built when it runs rather than when it is collected.
    Building one works out its coverage phase's cases, seven seconds for the whole API,
    and every worker process of a run collects every test, while one worker runs them.
    The test takes the same fixtures (the function's own but the generated `case`) and
    carries schemathesis' marks once built, which the plugin reads after the call."""
    test = arguments["test_func"]
    built: list[Callable[..., Any]] = []

    def run(*args: Any, **fixtures: Any) -> Any:
        if not built:
            built.append(_build_operation_test(**arguments))
            if hasattr(built[0], METADATA_ATTR):
                setattr(run, METADATA_ATTR, getattr(built[0], METADATA_ATTR))
        return built[0](*args, **fixtures)

    signature = inspect.signature(test)
    generated = {"case", *arguments["given_kwargs"]}
    run.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=[p for p in signature.parameters.values() if p.name not in generated]
    )
    run.__name__ = test.__name__
    return run


_test_builder.build_operation_test = _built_when_run

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]

PERSON = {
    "a": {"customer_name": "Amelia Apfelbaum", "customer_national_id": "QQ765432A"},
    "b": {"customer_name": "Bertolt Birnbaum", "customer_national_id": "QQ246802B"},
}


@pytest.fixture
def keep_test_connection():
    """Like Django's test client: the WSGI app must not close the test's connection."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def _item(tenant, key):
    engagement = engagement_for(tenant.client, name="Keying", status="live")
    with client_scope(clients=[tenant.client]):
        queue = work.create_queue(
            actor=None, engagement=engagement, name="Forms", work_types=["capture.document"]
        )
        return work.create_item(
            actor=None,
            queue=queue,
            work_type="capture.document",
            external_ref=f"REF-{key.upper()}-SECRET",
            payload={"document_ref": f"DOC-{key}", "fields_total": 2, **PERSON[key]},
        )


@pytest.fixture(scope="module")
def callers_once(module_db, module_tenants):
    """Built once for every operation's test; each runs in a savepoint of it."""
    with module_db.unblock():
        return _callers(*module_tenants)


@pytest.fixture
def callers(keep_test_connection, in_module_db, callers_once):
    return callers_once


def _callers(tenant_a, tenant_b, provider_admin):
    """(token, strings its responses must never contain) for A, B and an agent of A."""
    from tercero.delivery.workforce.services import clear_agent, create_agent
    from tests.factories import site

    item_a = _item(tenant_a, "a")
    _item(tenant_b, "b")
    agent = create_agent(
        actor=None, user=tenant_a.agent, site=site(), skills={"data_entry": 3}, languages=["en"]
    )
    with client_scope(clients=[tenant_a.client]):
        clear_agent(
            actor=None,
            agent=agent,
            engagement=item_a.engagement,
            reachable_client_ids=[tenant_a.client.pk],
        )
        work.assign(actor=tenant_a.team_lead, item=item_a, agent=agent)
    made = []
    for tenant, other in ((tenant_a, "b"), (tenant_b, "a")):
        with client_scope(clients=[tenant.client]):
            _, plain = create_api_token(
                actor=provider_admin, client=tenant.client, name="fuzz", scopes=list(PERMISSIONS)
            )
        made.append((plain, [f"REF-{other.upper()}-SECRET", *PERSON[other].values()]))
    agent_scopes = sorted(set(tenant_a.agent.permissions) - {"personal:reveal"})
    with client_scope(clients=[tenant_a.client]):
        _, plain = create_api_token(
            actor=tenant_a.agent, client=tenant_a.client, name="fuzz", scopes=agent_scopes
        )
    made.append((plain, ["REF-B-SECRET", *PERSON["b"].values(), *PERSON["a"].values()]))
    return made


@schema.parametrize()
@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_no_input_produces_a_server_error_an_undocumented_answer_or_a_leak(case, callers):
    # protects: robustness (no 5xx), the OpenAPI document (every status and body as
    # documented), tenancy (no other client's data) and masking
    for token, forbidden in _who_calls(case, callers):
        response = case.call_and_validate(
            headers={"Authorization": f"Bearer {token}"}, checks=CHECKS
        )
        leaked = [value for value in forbidden if value in response.text]
        assert not leaked, (case.method, case.path, leaked)


_TURN = itertools.count()


def _who_calls(case, callers):
    """A generated valid input goes to every caller: what each may see differs. The
    coverage phase's cases go to one caller, each in turn: an input the document does
    not allow (over half of them) is refused before anybody's data is read, and its
    valid ones walk each parameter through its bounds one at a time (limit 1, then 500,
    a name of the shortest and the longest length...), so each caller still meets a
    third of every operation's bounds, and every valid input of the generated phase.
    Every check and the leak test run on each answer."""
    if (
        case.meta.generation.mode == GenerationMode.POSITIVE
        and case.meta.phase.name != TestPhase.COVERAGE
    ):
        return callers
    return [callers[next(_TURN) % len(callers)]]

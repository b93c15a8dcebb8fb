"""Another client's object is 404 on every route, and nothing changes.

The matrix (tests/isolation/routes.py) names every URL pattern in the URL conf. A new
route that is not in it fails `test_every_route_is_in_the_matrix`, so isolation is
decided for each new route.

Client B's objects and the outsiders are built once for the module (`module_db` in
conftest.py); each test runs in a savepoint of that transaction and gets its own copy of
the Python objects, so whatever a route did, the next one finds the world as built.
"""

import copy
import json

import pytest

from tercero.platform.identity.services import create_api_token
from tercero.platform.tenancy.scoping import client_scope
from tests.isolation import worlds
from tests.isolation.routes import (
    ADMIN_SECTIONS,
    ADMIN_SITE_ROUTES,
    OBJECT_ROUTES,
    PAGE_ROUTES,
    SCOPED_OR_GLOBAL_ROUTES,
    admin_model_routes,
    admin_requests,
    all_routes,
    object_path,
    page_path,
)
from tests.isolation.worlds import admin_snapshot, snapshot, work_snapshot


def test_every_route_is_in_the_matrix():
    known = set(OBJECT_ROUTES) | set(PAGE_ROUTES) | set(SCOPED_OR_GLOBAL_ROUTES)
    known |= set(ADMIN_SITE_ROUTES) | admin_model_routes()
    missing = {route for route in all_routes() if route not in known}
    assert missing == set()


@pytest.fixture(scope="module")
def built_once(module_db, module_tenants) -> dict:
    """B's objects for the routes, B's rows for the admin, and the outsiders, built once."""
    tenant_a, tenant_b, provider_admin = module_tenants
    with module_db.unblock():
        a_admin = worlds.admin_of_a_only(tenant_a)
        return {
            "outsider_world": worlds.outsider_world(tenant_a, tenant_b, a_admin),
            "admin_world": worlds.admin_world(tenant_a, tenant_b, a_admin),
            "provider_admin": provider_admin,
            "tenant_b": tenant_b,
        }


@pytest.fixture
def built(in_module_db, built_once) -> dict:
    """This test's own copy of the objects (a test may change one in memory, e.g. by
    signing its user in), over the rows as they were built."""
    return copy.deepcopy(built_once)


@pytest.fixture
def outsider_world(built) -> dict:
    return built["outsider_world"]


@pytest.fixture
def admin_world(built) -> dict:
    return built["admin_world"]


@pytest.mark.parametrize("route", sorted(OBJECT_ROUTES))
def test_outsiders_get_404_for_another_clients_object(client, outsider_world, route):
    before = snapshot()
    for outsider in outsider_world["outsiders"]:
        # given
        client.force_login(outsider)
        for method, body in OBJECT_ROUTES[route]:
            # when
            response = getattr(client, method)(
                object_path(route, outsider_world),
                data=json.dumps(body) if body is not None else None,
                content_type="application/json",
            )
            # then
            assert response.status_code == 404, (route, method, outsider.email, response.content)
            assert response.json()["error"]["code"] == "not_found"
    # and nothing changed, whoever tried
    assert snapshot() == before


@pytest.mark.parametrize("route", sorted(PAGE_ROUTES))
def test_outsiders_get_404_pages_for_another_clients_object(client, outsider_world, route):
    before = (snapshot(), work_snapshot())
    for outsider in outsider_world["outsiders"]:
        # given an outsider signed in with a session
        client.force_login(outsider)
        for method, data in PAGE_ROUTES[route]:
            # when they open or post to a page of B's object
            response = getattr(client, method)(page_path(route, outsider_world), data=data or {})
            # then it does not exist for them, and nothing changed
            assert response.status_code == 404, (route, method, outsider.email)
            assert b"Bergmann" not in response.content
    # and nothing changed, whoever tried
    assert (snapshot(), work_snapshot()) == before


def test_an_api_token_opens_no_admin_route(client, built, admin_world):
    from tercero.platform.identity.roles import PERMISSIONS

    provider_admin, tenant_b = built["provider_admin"], built["tenant_b"]
    # given a provider admin's token for client B, with every scope
    with client_scope(clients=[tenant_b.client]):
        _, plain = create_api_token(
            actor=provider_admin, client=tenant_b.client, name="all", scopes=list(PERMISSIONS)
        )
    before = admin_snapshot()
    for route, method, path, data, _ in admin_requests(admin_world):
        # when
        response = getattr(client, method)(path, data, HTTP_AUTHORIZATION=f"Bearer {plain}")
        # then the token is refused off the API
        assert response.status_code == 401, (route, method)
    # and nothing changed
    assert admin_snapshot() == before


@pytest.mark.mfa
def test_a_session_without_the_second_factor_opens_no_admin_route(client, admin_world):
    from tercero.platform.identity.tests.factories import PASSWORD, enrolled_authenticator

    # given a provider admin of A who typed the password but no code yet
    enrolled_authenticator(admin_world["a_admin"])
    client.post("/login/", {"username": admin_world["a_admin"].email, "password": PASSWORD})
    before = admin_snapshot()
    for route, method, path, data, _ in admin_requests(admin_world):
        # when
        response = getattr(client, method)(path, data)
        # then every admin route sends the session back to the code step
        assert (response.status_code, response["Location"]) == (302, "/login/mfa/"), route
    # and nothing changed
    assert admin_snapshot() == before


@pytest.mark.parametrize("section", ADMIN_SECTIONS)
def test_outsiders_reach_nothing_of_another_client_in_the_admin(client, admin_world, section):
    for outsider in admin_world["outsiders"]:
        before = admin_snapshot()
        for route, method, path, data, status in admin_requests(admin_world, [section]):
            # given an outsider to B signed in with a session (working in A, if anywhere)
            client.force_login(outsider)
            # when they open or post to an admin route naming B's rows
            response = getattr(client, method)(path, data)
            # then a client's own people find no admin; A's admin finds nothing of B
            if route == "admin/login/":
                status = 302  # to /login/, which signs nobody in here
            elif outsider != admin_world["a_admin"]:
                status = 404
            assert response.status_code == status, (route, method, outsider.email)
            assert b"Bergmann" not in response.content, (route, method, outsider.email)
        # and nothing changed
        assert admin_snapshot() == before

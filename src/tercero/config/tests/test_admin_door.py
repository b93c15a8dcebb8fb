"""One door into Django admin: it signs nobody in, takes no API token and lets no
half-signed-in session through; /login/ with its second factor, lockout and audit is
the only way in, and the admin's own password page is the product's."""

import pytest
from django.contrib.auth import SESSION_KEY

from tercero.platform.audit.models import AuditEvent
from tercero.platform.identity import lockout
from tercero.platform.identity.middleware import MFA_PENDING
from tercero.platform.identity.roles import PERMISSIONS
from tercero.platform.identity.services import create_api_token
from tercero.platform.identity.tests.factories import PASSWORD, enrolled_authenticator, next_code
from tercero.platform.security.models import MisuseRule
from tercero.platform.tenancy.scoping import all_clients_scope, client_scope

pytestmark = pytest.mark.mfa


def _signed_in_events() -> int:
    # provider-wide events: on PostgreSQL only the all-clients scope reads them
    with all_clients_scope():
        return AuditEvent.objects.filter(action="user.signed_in").count()


def test_the_admin_sign_in_page_only_points_to_the_products_sign_in(client, provider_admin):
    # when
    response = client.get("/admin/login/?next=/admin/tenancy/client/")
    # then
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/admin/tenancy/client/"


def test_a_foreign_next_on_the_admin_sign_in_page_becomes_the_admin_index(client, db):
    # when
    response = client.get("/admin/login/?next=https://evil.example/")
    # then
    assert response["Location"] == "/login/?next=/admin/"


def test_a_password_posted_to_the_admin_signs_nobody_in(client, provider_admin):
    # given the second factor is enforced, as in production
    credentials = {"username": provider_admin.email, "password": PASSWORD, "next": "/admin/"}
    # when the right password is posted to the admin's own sign-in page
    response = client.post("/admin/login/", credentials)
    # then the browser is sent to the one sign-in, and the session stays anonymous
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/admin/"
    assert SESSION_KEY not in client.session
    assert MFA_PENDING not in client.session
    assert client.get("/api/v1/users/me").status_code == 401
    assert client.get("/admin/")["Location"] == "/login/?next=/admin/"
    assert _signed_in_events() == 0


def test_an_account_locked_on_the_sign_in_page_cannot_get_in_through_the_admin(
    client, provider_admin
):
    # given the account is locked on /login/
    wrong = {"username": provider_admin.email, "password": "not the password at all"}
    for _ in range(lockout.MAX_FAILURES):
        client.post("/login/", wrong)
    right = {"username": provider_admin.email, "password": PASSWORD}
    # when the right password is tried on the admin's sign-in page, then on /login/
    through_admin = client.post("/admin/login/", right)
    through_login = client.post("/login/", right)
    # then neither signs in: the admin hands over to /login/, which still refuses
    assert through_admin["Location"] == "/login/?next=/admin/"
    assert through_login.status_code == 403
    assert SESSION_KEY not in client.session
    assert MFA_PENDING not in client.session
    assert client.get("/admin/").status_code == 302


def test_the_sign_in_page_and_the_second_factor_open_the_admin_and_are_audited_once(
    client, provider_admin
):
    # given a provider admin with an authenticator, sent from the admin to /login/
    totp, _ = enrolled_authenticator(provider_admin)
    door = client.get("/admin/tenancy/client/")
    assert door["Location"] == "/login/?next=/admin/tenancy/client/"
    # when they type the password, then a code
    password = client.post(
        door["Location"],
        {"username": provider_admin.email, "password": PASSWORD, "next": "/admin/tenancy/client/"},
    )
    code = client.post("/login/mfa/", {"code": next_code(totp)})
    # then they are back in the admin, signed in once
    assert password["Location"] == "/login/mfa/"
    assert code["Location"] == "/admin/tenancy/client/"
    assert client.get("/admin/tenancy/client/").status_code == 200
    assert client.session[SESSION_KEY] == str(provider_admin.pk)
    assert _signed_in_events() == 1


def test_a_half_signed_in_session_opens_no_admin_page(client, provider_admin):
    # given a provider admin who typed the password but not the code
    enrolled_authenticator(provider_admin)
    client.post("/login/", {"username": provider_admin.email, "password": PASSWORD})
    for path in ("/admin/", "/admin/tenancy/client/", "/admin/login/", "/admin/password_change/"):
        # when
        response = client.get(path)
        # then they are sent back to the code step
        assert (response.status_code, response["Location"]) == (302, "/login/mfa/"), path
    assert SESSION_KEY not in client.session


def test_signing_out_of_the_admin_ends_the_session(client, provider_admin):
    # given
    client.force_login(provider_admin)
    # when
    response = client.post("/admin/logout/")
    # then
    assert response.status_code == 302
    assert response["Location"] == "/login/"
    assert SESSION_KEY not in client.session


def test_the_admin_password_page_is_the_products_own(client, provider_admin):
    # given
    client.force_login(provider_admin)
    change = {
        "old_password": PASSWORD,
        "new_password1": "a completely new passphrase",
        "new_password2": "a completely new passphrase",
    }
    # when
    page = client.get("/admin/password_change/")
    posted = client.post("/admin/password_change/", change)
    done = client.get("/admin/password_change/done/")
    # then every one of them is sent to /account/password/, and nothing changed here
    assert [r["Location"] for r in (page, posted, done)] == ["/account/password/"] * 3
    with all_clients_scope():
        provider_admin.refresh_from_db()
    assert provider_admin.check_password(PASSWORD)


@pytest.mark.parametrize("person", ["team_lead", "client_admin", "client_user"])
def test_people_who_are_not_provider_admins_find_no_admin(client, tenant_a, person):
    # given
    client.force_login(getattr(tenant_a, person))
    for path in (
        "/admin/",
        "/admin/tenancy/client/",
        f"/admin/tenancy/client/{tenant_a.client.pk}/",
    ):
        # when
        response = client.get(path)
        # then
        assert response.status_code == 404, path


@pytest.mark.parametrize("scopes", [["work:read"], list(PERMISSIONS)])
def test_an_api_token_opens_no_admin_page_and_no_page(
    client, provider_admin, tenant_a, tenant_b, scopes
):
    # given a provider admin's token bound to client A
    with client_scope(clients=[tenant_a.client]):
        _, plain = create_api_token(
            actor=provider_admin, client=tenant_a.client, name="ci", scopes=scopes
        )
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {plain}"}
    forged = {"client": str(tenant_b.client.pk), "records_per_hour": "1"}
    for path in ("/admin/", "/admin/tenancy/client/", "/work/items/", "/"):
        # when
        response = client.get(path, **bearer)
        # then
        assert response.status_code == 401, path
        assert response.json()["error"]["code"] == "unauthenticated"
    refused = client.post("/admin/security/misuserule/add/", forged, **bearer)
    # then the token still works where it belongs, and the admin wrote nothing
    assert refused.status_code == 401
    assert client.get("/api/v1/users/me", **bearer).status_code == 200
    with all_clients_scope():
        assert MisuseRule.objects.count() == 0


@pytest.mark.parametrize("presented", ["valid", "unknown"])
def test_a_bearer_token_beside_a_session_cookie_is_refused_not_passed_over(
    client, provider_admin, tenant_a, presented
):
    # given a signed-in admin whose browser also sends a bearer token
    client.force_login(provider_admin)
    with client_scope(clients=[tenant_a.client]):
        _, plain = create_api_token(
            actor=provider_admin, client=tenant_a.client, name="ci", scopes=["work:read"]
        )
    token = plain if presented == "valid" else "trc_unknown_token"
    for path in ("/admin/", "/work/items/"):
        # when
        response = client.get(path, HTTP_AUTHORIZATION=f"Bearer {token}")
        # then the cookie is not used instead
        assert response.status_code == 401, path
    assert client.get("/admin/").status_code == 200

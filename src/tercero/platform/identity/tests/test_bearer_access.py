"""The API's door reads a token, its person and the clients it reaches in one statement,
afresh on every request: nothing it decided about one call carries over to the next."""

from datetime import timedelta

import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tercero.platform.identity.models import Grant
from tercero.platform.identity.selectors import bearer_access
from tercero.platform.identity.services import create_api_token
from tercero.platform.tenancy.scoping import all_clients_scope, client_scope


def _token(user, client) -> str:
    with client_scope(clients=[client]):
        _, plain = create_api_token(actor=user, client=client, name="ci", scopes=["users:read"])
    return plain


def _read_user(client, plain: str, user_id: int) -> int:
    return client.get(f"/api/v1/users/{user_id}", HTTP_AUTHORIZATION=f"Bearer {plain}").status_code


def test_a_staff_token_stops_reaching_its_client_on_the_request_after_the_grant_goes(
    client, provider_admin, tenant_a
):
    plain = _token(provider_admin, tenant_a.client)
    assert _read_user(client, plain, tenant_a.client_user.pk) == 200

    with all_clients_scope():
        Grant.objects.filter(user=provider_admin, client=tenant_a.client).delete()

    assert _read_user(client, plain, tenant_a.client_user.pk) == 404


def test_a_staff_token_stops_reaching_its_client_once_the_grant_expires(
    client, provider_admin, tenant_a
):
    plain = _token(provider_admin, tenant_a.client)
    ends = timezone.now() + timedelta(hours=1)
    with all_clients_scope():
        Grant.objects.filter(user=provider_admin, client=tenant_a.client).update(expires_at=ends)
    assert _read_user(client, plain, tenant_a.client_user.pk) == 200

    with time_machine.travel(ends + timedelta(seconds=1)):
        assert _read_user(client, plain, tenant_a.client_user.pk) == 404


def test_a_revoked_token_is_refused_on_the_next_request(client, tenant_a):
    plain = _token(tenant_a.client_admin, tenant_a.client)
    assert _read_user(client, plain, tenant_a.client_user.pk) == 200

    with client_scope(clients=[tenant_a.client]):
        tenant_a.client_admin.api_tokens.update(revoked_at=timezone.now())

    assert _read_user(client, plain, tenant_a.client_user.pk) == 401


def test_a_token_of_someone_moved_to_another_client_reaches_nothing(tenant_a, tenant_b):
    plain = _token(tenant_a.client_admin, tenant_a.client)
    person = tenant_a.client_admin
    person.client = tenant_b.client
    with all_clients_scope():
        person.save()

    found = bearer_access(f"Bearer {plain}")

    assert found is not None
    assert found.client_ids == []


def test_the_token_its_person_and_their_grant_are_one_statement(provider_admin, tenant_a):
    plain = _token(provider_admin, tenant_a.client)

    with CaptureQueriesContext(connection) as statements:
        found = bearer_access(f"Bearer {plain}")

    assert found is not None
    assert found.client_ids == [tenant_a.client.pk]
    assert found.token.user == provider_admin
    assert found.token.scopes == ["users:read"]
    assert len(statements) == 1


def test_a_wrong_secret_for_a_real_key_is_refused(provider_admin, tenant_a):
    plain = _token(provider_admin, tenant_a.client)

    assert bearer_access(f"Bearer {plain[:-4]}AAAA") is None
    assert bearer_access(f"Basic {plain}") is None

"""The API's shared behaviour: errors, auth, tokens, idempotency, row-level security."""

import json
import threading

import pytest
from django.db import connection
from django.test import Client as HttpClient

from tercero.delivery.engagements.models import Engagement
from tercero.platform.identity.services import create_api_token
from tercero.platform.tenancy.scoping import all_clients_scope, client_scope
from tests.factories import engagement_for


def _bearer(token: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def test_unauthenticated_calls_get_401_in_the_error_shape(client, tenant_a):
    response = client.get("/api/v1/clients")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"


def test_invalid_body_is_422_with_field_messages(client, provider_admin):
    client.force_login(provider_admin)
    response = client.post(
        "/api/v1/clients", data={"legal_name": ""}, content_type="application/json"
    )
    assert response.status_code == 422
    assert set(response.json()["error"]["fields"]) >= {"legal_name", "country"}


def test_malformed_json_is_4xx_not_500(client, provider_admin):
    client.force_login(provider_admin)
    response = client.post("/api/v1/clients", data="{not json", content_type="application/json")
    assert 400 <= response.status_code < 500


def test_a_token_sees_only_its_client_and_only_its_scopes(
    client, tenant_a, tenant_b, provider_admin
):
    # given
    with client_scope(clients=[tenant_a.client]):
        _, plain = create_api_token(
            actor=provider_admin, client=tenant_a.client, name="t", scopes=["clients:read"]
        )

    # when
    listed = client.get("/api/v1/clients", **_bearer(plain))
    other = client.get(f"/api/v1/clients/{tenant_b.client.pk}", **_bearer(plain))
    write = client.patch(
        f"/api/v1/clients/{tenant_a.client.pk}",
        data={"legal_name": "X"},
        content_type="application/json",
        **_bearer(plain),
    )

    # then
    assert [c["id"] for c in listed.json()["results"]] == [tenant_a.client.pk]
    assert other.status_code == 404
    assert write.status_code == 403


def test_token_secret_is_shown_once_and_stored_hashed(client, tenant_a):
    client.force_login(tenant_a.client_admin)
    created = client.post(
        "/api/v1/tokens",
        data={"name": "ci", "client_id": tenant_a.client.pk, "scopes": ["work:read"]},
        content_type="application/json",
    )
    assert created.status_code == 201
    plain = created.json()["token"]
    listed = client.get("/api/v1/tokens").json()["results"]
    assert "token" not in listed[0]
    from tercero.platform.identity.models import ApiToken

    with all_clients_scope():
        assert plain.split("_", 2)[2] not in ApiToken.objects.get().secret_hash


def test_a_revoked_token_is_refused(client, tenant_a):
    with client_scope(clients=[tenant_a.client]):
        token, plain = create_api_token(
            actor=tenant_a.client_admin, client=tenant_a.client, name="t", scopes=["clients:read"]
        )
    client.force_login(tenant_a.client_admin)
    assert client.delete(f"/api/v1/tokens/{token.pk}").status_code == 200
    client.logout()
    assert client.get("/api/v1/clients", **_bearer(plain)).status_code == 401


def test_scopes_beyond_the_role_are_refused(client, tenant_a):
    client.force_login(tenant_a.client_user)
    response = client.post(
        "/api/v1/tokens",
        data={"name": "x", "client_id": tenant_a.client.pk, "scopes": ["clients:write"]},
        content_type="application/json",
    )
    assert response.status_code == 422


def test_same_idempotency_key_with_a_different_body_is_422(client, provider_admin):
    client.force_login(provider_admin)
    body = {
        "legal_name": "Once Ltd",
        "country": "GB",
        "time_zone": "Europe/London",
        "industry_vertical": "retail",
    }
    first = client.post(
        "/api/v1/clients", data=body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k1"
    )
    again = client.post(
        "/api/v1/clients", data=body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k1"
    )
    other = client.post(
        "/api/v1/clients",
        data={**body, "legal_name": "Twice Ltd"},
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="k1",
    )
    assert first.status_code == 201
    assert again.content == first.content
    assert again["Idempotent-Replayed"] == "true"
    assert other.status_code == 422
    assert other.json()["error"]["code"] == "idempotency_key_reused"


def test_twenty_concurrent_identical_posts_create_one_object(
    transactional_db, tenant_a, provider_admin
):
    # given
    with client_scope(clients=[tenant_a.client]):
        _, plain = create_api_token(
            actor=provider_admin,
            client=tenant_a.client,
            name="t",
            scopes=["engagements:write", "engagements:read"],
        )
    body = json.dumps(
        {
            "client_id": tenant_a.client.pk,
            "name": "Concurrent",
            "service_line": "data_entry",
            "category": "BPO",
            "office": "back",
            "orientation": "horizontal",
            "pricing_model": "per_transaction",
            "time_zone": "America/New_York",
        }
    )
    responses, start = [], threading.Barrier(20)

    def post():
        try:
            start.wait()
            response = HttpClient().post(
                "/api/v1/engagements",
                data=body,
                content_type="application/json",
                HTTP_IDEMPOTENCY_KEY="same-key",
                **_bearer(plain),
            )
            responses.append((response.status_code, response.content))
        finally:
            connection.close()

    # when
    threads = [threading.Thread(target=post) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # then
    assert {status for status, _ in responses} == {201}
    assert len({content for _, content in responses}) == 1
    with client_scope(clients=[tenant_a.client]):
        assert Engagement.objects.filter(name="Concurrent").count() == 1


@pytest.mark.postgres
def test_row_level_security_hides_other_clients_rows_from_raw_sql(tenant_a, tenant_b):
    # given
    engagement_for(tenant_a.client, name="A work")
    engagement_for(tenant_b.client, name="B work")

    # when: the ORM is bypassed entirely
    with client_scope(clients=[tenant_a.client]), connection.cursor() as cursor:
        cursor.execute("SELECT name, client_id FROM engagements_engagement ORDER BY name")
        rows = cursor.fetchall()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM engagements_engagement")
        unscoped = cursor.fetchone()[0]

    # then
    assert rows == [("A work", tenant_a.client.pk)]
    assert unscoped == 0


@pytest.mark.postgres
def test_row_level_security_refuses_writing_another_clients_row(tenant_a, tenant_b):
    from django.db import DatabaseError, transaction

    with (
        client_scope(clients=[tenant_a.client]),
        pytest.raises(DatabaseError),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            "INSERT INTO engagements_engagement (client_id, name) VALUES (%s, 'sneaky')",
            [tenant_b.client.pk],
        )


def test_a_stored_first_answer_keeps_no_secret_in_clear(client, tenant_a):
    # protects: a token shown once must not sit readable in the idempotency store
    from tercero.platform.api.models import IdempotencyRecord

    client.force_login(tenant_a.client_admin)
    body = {"name": "ci", "client_id": tenant_a.client.pk, "scopes": ["work:read"]}
    first = client.post(
        "/api/v1/tokens", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="tok-1"
    )
    again = client.post(
        "/api/v1/tokens", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="tok-1"
    )
    plain = first.json()["token"]
    assert again.json()["token"] == plain
    stored = bytes(IdempotencyRecord.objects.get(key__endswith="tok-1").body)
    assert plain.encode() not in stored


def test_a_rejected_token_does_not_fall_back_to_the_session(client, tenant_a):
    # protects: a dead token stays dead even from a signed-in browser
    client.force_login(tenant_a.client_admin)
    response = client.get("/api/v1/users/me", HTTP_AUTHORIZATION="Bearer trc_dead_beef")
    assert response.status_code == 401
    assert client.get("/api/v1/users/me").status_code == 200

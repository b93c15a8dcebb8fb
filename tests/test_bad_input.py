"""Bad input gets a clear 4xx with a machine-readable body, never a 500, and nothing is
stored (ARCHITECTURE invariant 7): page numbers, deep JSON, nulls, NUL characters."""

import base64
import io
import json

import pytest

from tercero.delivery.engagements.models import Engagement
from tercero.delivery.work import services as work
from tercero.delivery.work.models import Queue, WorkItem
from tercero.delivery.work.tests.conftest import live_engagement, make_queue
from tercero.platform.identity.roles import PERMISSIONS
from tercero.platform.identity.services import create_api_token
from tercero.platform.tenancy.scoping import client_scope
from tercero.services.care.models import ChatSession, WebChannel

JSON = "application/json"
DEEP = "[" * 2000 + "]" * 2000


def _bearer(token: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


@pytest.fixture
def token_a(tenant_a, provider_admin) -> str:
    with client_scope(clients=[tenant_a.client]):
        _, plain = create_api_token(
            actor=provider_admin, client=tenant_a.client, name="t", scopes=list(PERMISSIONS)
        )
    return plain


@pytest.fixture
def queue_a(tenant_a) -> Queue:
    return make_queue(live_engagement(tenant_a.client), name="Web", work_types=["care.ticket"])


@pytest.fixture
def item_a(tenant_a, queue_a) -> WorkItem:
    with client_scope(clients=[tenant_a.client]):
        return work.create_item(
            actor=None, queue=queue_a, work_type="care.ticket", payload={"subject": "Order"}
        )


@pytest.fixture
def channel_a(tenant_a, queue_a) -> WebChannel:
    with client_scope(clients=[tenant_a.client]):
        return WebChannel.objects.create(
            client=tenant_a.client,
            engagement=queue_a.engagement,
            queue=queue_a,
            key="acme-help",
            allowed_origins=[],
        )


# --- page numbers ----------------------------------------------------------------------


@pytest.mark.parametrize("page", ["%25", "_", "x"])
@pytest.mark.parametrize(
    ("path", "who"),
    [
        ("/work/items/", "team_lead"),
        ("/portal/items/", "client_admin"),
        ("/engagements/", "team_lead"),
    ],
)
def test_a_page_number_that_is_not_a_number_shows_the_first_page(client, tenant_a, page, path, who):
    # given
    client.force_login(getattr(tenant_a, who))

    # when
    response = client.get(f"{path}?page={page}")

    # then
    assert response.status_code == 200


@pytest.mark.parametrize(
    "made",
    ["p=abc", "p=", "p=1.5", "p=" + "9" * 19, "o=x", "o=-1", "o=99999999999", "r=maybe", "!!"],
)
def test_a_list_cursor_the_api_did_not_make_is_422_naming_it(client, token_a, made):
    # given
    cursor = made if made == "!!" else base64.b64encode(made.encode()).decode()

    # when
    response = client.get("/api/v1/clients", {"cursor": cursor}, **_bearer(token_a))

    # then
    assert response.status_code == 422
    assert response.json()["error"]["fields"] == {"cursor": "not a cursor from this API"}


def test_a_cursor_the_api_made_pages_on(client, token_a, queue_a):
    # given
    second = make_queue(queue_a.engagement, name="Second", work_types=["care.ticket"])
    first = client.get("/api/v1/queues", {"page_size": 1}, **_bearer(token_a)).json()

    # when
    response = client.get(first["next"], **_bearer(token_a))

    # then
    assert [queue["id"] for queue in first["results"]] == [queue_a.pk]
    assert [queue["id"] for queue in response.json()["results"]] == [second.pk]


# --- deeply nested JSON ------------------------------------------------------------------


def test_a_chat_start_nested_2000_deep_is_refused_in_the_error_shape(client, channel_a):
    # when
    response = client.post("/care/w/acme-help/chat/start", DEEP, content_type=JSON)

    # then
    assert response.status_code == 422
    assert response.json()["error"]["fields"] == {"body": "nested deeper than 32 levels"}
    with client_scope(clients=[channel_a.client]):
        assert ChatSession.objects.count() == 0


def test_an_api_body_nested_2000_deep_is_refused_in_the_error_shape(client, token_a, item_a):
    # when
    response = client.patch(
        f"/api/v1/work-items/{item_a.pk}", DEEP, content_type=JSON, **_bearer(token_a)
    )

    # then
    assert response.status_code == 422
    assert response.json()["error"]["fields"] == {"body": "nested deeper than 32 levels"}


def test_an_api_body_that_is_not_json_is_a_400_in_the_error_shape(client, token_a, item_a):
    # when
    response = client.patch(
        f"/api/v1/work-items/{item_a.pk}", "{not json", content_type=JSON, **_bearer(token_a)
    )

    # then
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "not_json"


def test_an_api_body_nested_40_deep_inside_a_payload_is_refused_naming_the_field(
    client, token_a, item_a
):
    # given
    deep = {"subject": "Order", "notes": json.loads("[" * 40 + "]" * 40)}
    version = item_a.version

    # when
    response = client.patch(
        f"/api/v1/work-items/{item_a.pk}",
        {"version": item_a.version, "payload": deep},
        content_type=JSON,
        **_bearer(token_a),
    )

    # then
    assert response.status_code == 422
    assert response.json()["error"]["fields"] == {"body": "nested deeper than 32 levels"}
    with client_scope(clients=[item_a.client]):
        item_a.refresh_from_db()
    assert (item_a.version, "notes" in item_a.payload) == (version, False)


def test_a_csv_payload_nested_2000_deep_is_a_row_error(client, token_a, queue_a):
    # given
    upload = io.BytesIO(f"work_type,payload\ncare.ticket,{DEEP}\n".encode())
    upload.name = "items.csv"

    # when
    response = client.post(
        "/api/v1/work-items/import", {"file": upload, "queue_id": queue_a.pk}, **_bearer(token_a)
    )

    # then
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_rows"
    assert response.json()["errors"]["2"]["payload"] == "nested deeper than 32 levels"
    with client_scope(clients=[queue_a.client]):
        assert WorkItem.objects.count() == 0


# --- null where a value is required --------------------------------------------------------


def test_null_priority_on_a_work_item_is_422_naming_the_field(client, token_a, item_a):
    # when
    response = client.patch(
        f"/api/v1/work-items/{item_a.pk}",
        {"version": item_a.version, "priority": None},
        content_type=JSON,
        **_bearer(token_a),
    )

    # then
    assert response.status_code == 422
    assert list(response.json()["error"]["fields"]) == ["priority"]
    with client_scope(clients=[item_a.client]):
        item_a.refresh_from_db()
    assert item_a.priority == 3


def test_null_at_risk_percent_on_a_queue_is_422_naming_the_field(client, token_a, queue_a):
    # when
    response = client.patch(
        f"/api/v1/queues/{queue_a.pk}",
        {"version": queue_a.version, "at_risk_percent": None},
        content_type=JSON,
        **_bearer(token_a),
    )

    # then
    assert response.status_code == 422
    assert list(response.json()["error"]["fields"]) == ["at_risk_percent"]


@pytest.mark.parametrize("field", ["regulation", "hours_of_cover"])
def test_null_for_a_required_engagement_field_is_422_naming_it(client, token_a, queue_a, field):
    # given
    engagement = queue_a.engagement

    # when
    response = client.patch(
        f"/api/v1/engagements/{engagement.pk}",
        {"version": engagement.version, field: None},
        content_type=JSON,
        **_bearer(token_a),
    )

    # then
    assert response.status_code == 422
    assert list(response.json()["error"]["fields"]) == [field]
    with client_scope(clients=[engagement.client]):
        assert Engagement.objects.get(pk=engagement.pk).version == engagement.version


# --- NUL characters: one rule on every engine -----------------------------------------------


def test_a_nul_character_in_api_text_is_422_naming_the_field_and_nothing_is_stored(
    client, token_a, item_a
):
    # protects: SQLite stored it (201) where PostgreSQL refused it; now both refuse alike
    # when
    response = client.patch(
        f"/api/v1/work-items/{item_a.pk}",
        {"version": item_a.version, "title": "Late\x00parcel"},
        content_type=JSON,
        **_bearer(token_a),
    )

    # then
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "nul_character"
    assert response.json()["error"]["fields"] == {"title": "contains a NUL character"}
    title, version = item_a.title, item_a.version
    with client_scope(clients=[item_a.client]):
        item_a.refresh_from_db()
    assert (item_a.title, item_a.version) == (title, version)


def test_a_nul_character_inside_a_payload_is_named_by_its_path(client, token_a, queue_a):
    # when
    response = client.post(
        "/api/v1/work-items",
        {"queue_id": queue_a.pk, "work_type": "care.ticket", "payload": {"subject": "a\x00"}},
        content_type=JSON,
        **_bearer(token_a),
    )

    # then
    assert response.status_code == 422
    assert response.json()["error"]["fields"] == {"payload.subject": "contains a NUL character"}
    with client_scope(clients=[queue_a.client]):
        assert WorkItem.objects.count() == 0


def test_a_nul_character_in_a_csv_import_refuses_the_whole_file(client, token_a, queue_a):
    # given
    upload = io.BytesIO(b"work_type,payload.subject\ncare.ticket,Lost\x00parcel\n")
    upload.name = "items.csv"

    # when
    response = client.post(
        "/api/v1/work-items/import", {"file": upload, "queue_id": queue_a.pk}, **_bearer(token_a)
    )

    # then
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "not_csv"
    with client_scope(clients=[queue_a.client]):
        assert WorkItem.objects.count() == 0


def test_a_nul_character_in_an_api_form_field_is_422_naming_it(client, token_a, queue_a):
    # given
    upload = io.BytesIO(b"work_type,payload.subject\ncare.ticket,Lost\n")
    upload.name = "items.csv"

    # when
    response = client.post(
        "/api/v1/work-items/import",
        {"file": upload, "queue_id": queue_a.pk, "dry_run": "no\x00"},
        **_bearer(token_a),
    )

    # then
    assert response.status_code == 422
    assert response.json()["error"]["fields"] == {"dry_run": "contains a NUL character"}
    with client_scope(clients=[queue_a.client]):
        assert WorkItem.objects.count() == 0


def test_a_nul_character_in_an_idempotency_key_is_422(client, token_a, queue_a):
    # when
    response = client.post(
        "/api/v1/work-items",
        {"queue_id": queue_a.pk, "work_type": "care.ticket", "payload": {"subject": "Late"}},
        content_type=JSON,
        HTTP_IDEMPOTENCY_KEY="key\x00",
        **_bearer(token_a),
    )

    # then
    assert response.status_code == 422
    assert response.json()["error"]["fields"] == {"Idempotency-Key": "contains a NUL character"}
    with client_scope(clients=[queue_a.client]):
        assert WorkItem.objects.count() == 0


def test_a_nul_character_in_a_chat_message_is_refused_and_no_chat_starts(client, channel_a):
    # when
    response = client.post(
        "/care/w/acme-help/chat/start",
        {"name": "Maria", "email": "maria@example.org", "message": "Hi\x00"},
        content_type=JSON,
    )

    # then
    assert response.status_code == 422
    assert response.json()["error"]["fields"] == {"message": "contains a NUL character"}
    with client_scope(clients=[channel_a.client]):
        assert ChatSession.objects.count() == 0


def test_a_nul_character_in_a_page_form_is_422_naming_the_field_and_nothing_is_stored(
    client, channel_a
):
    # given
    form = {"name": "Maria", "email": "maria@example.org", "subject": "Refund"}

    # when
    response = client.post("/care/w/acme-help/form/", {**form, "message": "Twice\x00"})

    # then
    assert response.status_code == 422
    assert "The field &#x27;message&#x27; contains a NUL character" in response.content.decode()
    with client_scope(clients=[channel_a.client]):
        assert WorkItem.objects.count() == 0

"""What every door accepts: JSON nested at most 32 levels, text without NUL characters."""

import json

import pytest

from tercero.platform.api.inputs import check_storable, read_json
from tercero.platform.errors import DomainError


def _refusal(raw) -> dict:
    with pytest.raises(DomainError) as refused:
        read_json(raw)
    return {"status": refused.value.status, **refused.value.fields}


def test_json_nested_32_levels_is_read():
    # given
    raw = "[" * 32 + "]" * 32

    # when
    data = read_json(raw.encode())

    # then
    assert json.dumps(data) == raw


def test_json_nested_33_levels_is_refused():
    assert _refusal(b"[" * 33 + b"]" * 33) == {
        "status": 422,
        "body": "nested deeper than 32 levels",
    }


def test_json_nested_beyond_the_interpreters_stack_is_refused_the_same_way():
    assert _refusal(b"[" * 100_000 + b"]" * 100_000) == {
        "status": 422,
        "body": "nested deeper than 32 levels",
    }


def test_a_body_that_is_not_json_cannot_be_read():
    assert _refusal(b"{not json") == {"status": 400, "body": "not JSON"}
    assert _refusal(b"\xff\xfe") == {"status": 400, "body": "not JSON"}


def test_a_nul_character_is_named_by_the_path_to_it():
    assert _refusal(b'{"rows": [{"name": "a\\u0000"}]}') == {
        "status": 422,
        "rows.0.name": "contains a NUL character",
    }


def test_a_nul_character_in_a_key_names_the_object_holding_it():
    assert _refusal(b'{"payload": {"a\\u0000": 1}}') == {
        "status": 422,
        "payload": "contains a NUL character",
    }


def test_a_nul_character_in_a_bare_string_names_the_body():
    assert _refusal(b'"\\u0000"') == {"status": 422, "body": "contains a NUL character"}


def test_plain_values_pass():
    check_storable({"title": "Late parcel", "count": 3, "ok": True, "none": None, "x": [1.5]})


def test_a_page_form_may_not_carry_a_nul_character_in_a_field_name(client, tenant_a):
    # given
    client.force_login(tenant_a.team_lead)

    # when
    response = client.post("/work/items/bulk/", {"ids\x00": "1"})

    # then
    assert response.status_code == 422
    assert "The field &#x27;ids\\0&#x27; contains a NUL character" in response.content.decode()

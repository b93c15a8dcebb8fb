"""The API's door: the OpenAPI document lists every error answer an operation gives,
and even an unexpected failure under /api/ answers in the error shape."""

import json

from django.core.exceptions import BadRequest
from django.test import RequestFactory

from tercero.config.api import api
from tercero.platform.api.errors import bad_request, server_error

CTI = "POST /api/v1/care/cti/{endpoint_id}/events"
# webhooks a phone system signs: no session, a bad signature is 401
SIGNED = {CTI, "POST /api/v1/outbound/cti/{line}/events"}


def _operations() -> dict[str, dict]:
    document = json.loads(json.dumps(api.get_openapi_schema(), default=str))
    return {
        f"{method.upper()} {path}": operation
        for path, methods in document["paths"].items()
        for method, operation in methods.items()
    }


def _with_error_body(operation) -> set[str]:
    """The 4xx and 5xx answers documented with the error body (or a refusal holding it)."""
    return {
        status
        for status, answer in operation["responses"].items()
        if status >= "400"
        and answer["content"]["application/json"]["schema"]["$ref"].endswith(
            ("/ErrorOut", "RefusedOut")
        )
    }


def test_every_operation_documents_its_error_answers_with_the_error_body():
    # when
    operations = _operations()

    # then
    assert len(operations) > 100
    for name, operation in operations.items():
        errors = {status for status in operation["responses"] if status >= "400"}
        assert errors == _with_error_body(operation), name
        assert "400" in errors, name
        assert ("401" in errors) == ("security" in operation or name in SIGNED), name


def test_a_write_with_a_body_documents_conflicts_and_sizes():
    operation = _operations()["PATCH /api/v1/work-items/{item_id}"]
    assert sorted(operation["responses"]) == [
        "200",
        "400",
        "401",
        "403",
        "404",
        "409",
        "413",
        "422",
    ]


def test_a_read_without_parameters_documents_only_what_it_can_answer():
    operation = _operations()["GET /api/v1/work-types"]
    assert sorted(operation["responses"]) == ["200", "400", "401", "403"]


def test_an_operation_without_sign_in_documents_its_own_401():
    operation = _operations()[CTI]
    assert "security" not in operation
    assert sorted(operation["responses"]) == ["200", "400", "401", "404", "409", "413", "422"]


def test_a_refusal_of_rows_is_documented_as_the_error_beside_the_report():
    # when
    document = api.get_openapi_schema()
    bulk = document["components"]["schemas"]["BulkRefusedOut"]

    # then
    assert bulk["required"] == ["error"]
    assert set(bulk["properties"]) == {"error", "created", "errors"}


def test_an_unexpected_failure_under_the_api_is_a_500_in_the_error_shape():
    # when
    response = server_error(RequestFactory().get("/api/v1/work-items"))

    # then
    assert response.status_code == 500
    assert json.loads(response.content) == {
        "error": {
            "code": "server_error",
            "message": "Something went wrong on our side; it has been logged.",
            "fields": {},
        }
    }


def test_an_unexpected_failure_on_a_page_is_the_500_page():
    # when
    response = server_error(RequestFactory().get("/work/items/"))

    # then
    assert response.status_code == 500
    assert b"Something went wrong" in response.content
    assert response["Content-Type"].startswith("text/html")


def test_a_request_django_cannot_read_under_the_api_is_a_400_in_the_error_shape():
    # when
    response = bad_request(RequestFactory().post("/api/v1/work-items/import"), BadRequest())

    # then
    assert response.status_code == 400
    assert json.loads(response.content)["error"]["code"] == "bad_request"


def test_a_request_django_cannot_read_on_a_page_is_the_400_page():
    # when
    response = bad_request(RequestFactory().post("/work/items/bulk/"), BadRequest())

    # then
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")

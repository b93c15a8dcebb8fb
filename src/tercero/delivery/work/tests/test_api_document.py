"""The work API's OpenAPI document keeps the operation ids it was published with, one
router per resource notwithstanding: generated clients call operations by these names."""

from tercero.config.api import api
from tercero.delivery.work.api import RESOURCES


def _operations() -> dict[tuple[str, str], dict]:
    document = api.get_openapi_schema()
    return {
        (path, method): operation
        for path, methods in document["paths"].items()
        for method, operation in methods.items()
    }


def test_every_work_operation_keeps_its_published_id():
    # protects: client code generated from the document breaking on renamed operations
    # given
    names = {
        operation.view_func.__name__
        for resource in RESOURCES
        for path in resource.router.path_operations.values()
        for operation in path.operations
    }
    # when
    ids = {operation["operationId"] for operation in _operations().values()}
    # then
    assert len(names) == 45
    assert {name for name in ids if name.startswith("tercero_delivery_work_api_")} == {
        f"tercero_delivery_work_api_{name}" for name in names
    }


def test_operations_of_each_resource_are_named_as_before():
    # protects: the same, on one operation of every resource
    # when
    operations = _operations()
    # then
    assert {
        operations[("/api/v1/queues", "post")]["operationId"],
        operations[("/api/v1/work-items", "post")]["operationId"],
        operations[("/api/v1/work-items/{item_id}/reveal", "post")]["operationId"],
        operations[("/api/v1/work-items/{item_id}/transitions", "post")]["operationId"],
        operations[("/api/v1/agents/me/next", "post")]["operationId"],
        operations[("/api/v1/webhooks", "post")]["operationId"],
    } == {
        "tercero_delivery_work_api_create_queue",
        "tercero_delivery_work_api_create_item",
        "tercero_delivery_work_api_reveal_item",
        "tercero_delivery_work_api_transition_item",
        "tercero_delivery_work_api_get_next",
        "tercero_delivery_work_api_create_webhook",
    }

"""The pay group routes, which live in their own module, keep the paths and OpenAPI
operation ids they had in the payroll API module."""

from tercero.config.api import api


def test_pay_group_routes_keep_their_paths_and_operation_ids():
    # given the OpenAPI document
    paths = api.get_openapi_schema()["paths"]
    base = "/api/v1/payroll/pay-groups"
    # when the pay group operations are read from it
    found = {
        (path, method): operation["operationId"]
        for path, operations in paths.items()
        for method, operation in operations.items()
        if operation["operationId"].startswith("tercero_services_payroll_api_")
        and path.startswith(base)
    }
    # then each is where it was, named as it was
    prefix = "tercero_services_payroll_api_"
    assert found == {
        (base, "get"): prefix + "list_pay_groups",
        (base, "post"): prefix + "create_pay_group",
        (base + "/{pay_group_id}", "get"): prefix + "get_pay_group",
        (base + "/{pay_group_id}", "patch"): prefix + "change_pay_group",
        (base + "/{pay_group_id}/rule-versions", "get"): prefix + "rule_versions",
        (
            base + "/{pay_group_id}/rule-versions/{number}/restore",
            "post",
        ): prefix + "restore_rule_version",
        (base + "/{pay_group_id}/calendar", "get"): prefix + "pay_calendar",
    }

"""Work engine API: queues, work items (single, bulk, CSV), routing, life cycle, personal
data, agents, webhooks. One router per resource; `router` mounts them all."""

from ninja import Router

from tercero.delivery.work.api import (
    agents,
    import_jobs,
    item_actions,
    items,
    personal_data,
    queues,
    webhooks,
)

RESOURCES = (queues, items, import_jobs, personal_data, item_actions, agents, webhooks)

router = Router()
for resource in RESOURCES:
    # Operation ids stay as published when the API lived in one module (generated
    # clients call them by name): "tercero_delivery_work_api_<function>".
    for path in resource.router.path_operations.values():
        for operation in path.operations:
            operation.operation_id = operation.operation_id or (
                f"tercero_delivery_work_api_{operation.view_func.__name__}"
            )
    router.add_router("", resource.router)

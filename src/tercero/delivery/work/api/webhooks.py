"""Webhook endpoints and their deliveries."""

from datetime import datetime
from typing import Any, Literal

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from tercero.delivery.work import webhooks
from tercero.delivery.work.models import WebhookDelivery, WebhookEndpoint
from tercero.platform.api.caller import Caller, caller_of
from tercero.platform.api.inputs import patch_field
from tercero.platform.api.pagination import paginate_by_cursor
from tercero.platform.errors import NotFound

router = Router()


class WebhookIn(Schema):
    client_id: int = Field(ge=1, le=2**62)
    url: str = Field(max_length=500)
    kinds: list[str] = Field(default_factory=list, max_length=50)
    description: str = Field(default="", max_length=200)


class WebhookPatch(Schema):
    url: str = patch_field(max_length=500)
    kinds: list[str] = patch_field(max_length=50)
    description: str = patch_field(max_length=200)
    is_active: bool = patch_field()


class WebhookOut(Schema):
    id: int
    client_id: int = Field(ge=1, le=2**62)
    url: str
    kinds: list[str]
    description: str
    is_active: bool
    created_at: datetime


class WebhookCreatedOut(WebhookOut):
    secret: str


class SecretOut(Schema):
    secret: str


class WebhookFilters(Schema):
    client_id: int | None = Field(default=None, ge=1, le=2**62)
    is_active: bool | None = None


class DeliveryOut(Schema):
    id: int
    endpoint_id: int = Field(ge=1, le=2**62)
    event_id: int = Field(ge=1, le=2**62)
    event_kind: str
    status: str
    attempts: int
    next_attempt_at: datetime
    last_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str
    delivered_at: datetime | None

    @staticmethod
    def resolve_event_kind(delivery: WebhookDelivery) -> str:
        return delivery.event.kind


class DeliveryFilters(Schema):
    status: Literal["pending", "delivered", "failed"] | None = None


def _endpoint(caller: Caller, endpoint_id: int) -> WebhookEndpoint:
    found = WebhookEndpoint.objects.filter(client_id__in=caller.client_ids, pk=endpoint_id).first()
    if found is None:
        raise NotFound("Webhook not found.")
    return found


@router.get("/webhooks", response=list[WebhookOut], tags=["webhooks"])
@paginate_by_cursor
def list_webhooks(
    request: HttpRequest, filters: Query[WebhookFilters]
) -> QuerySet[WebhookEndpoint]:
    caller = caller_of(request)
    caller.require("work:read")
    found = WebhookEndpoint.objects.filter(client_id__in=caller.client_ids)
    if filters.client_id is not None:
        found = found.filter(client_id=filters.client_id)
    if filters.is_active is not None:
        found = found.filter(is_active=filters.is_active)
    return found


@router.post("/webhooks", response={201: WebhookCreatedOut}, tags=["webhooks"])
def create_webhook(request: HttpRequest, body: WebhookIn) -> Status[dict[str, Any]]:
    """The response holds the signing secret; it is shown this once."""
    caller = caller_of(request)
    if body.client_id not in caller.client_ids:
        raise NotFound("Client not found.")
    caller.require("webhooks:write")
    endpoint, secret = webhooks.create_endpoint(
        actor=caller.user,
        client=body.client_id,
        url=body.url,
        kinds=body.kinds,
        description=body.description,
    )
    return Status(201, {**WebhookOut.from_orm(endpoint).dict(), "secret": secret})


@router.get("/webhooks/{endpoint_id}", response=WebhookOut, tags=["webhooks"])
def get_webhook(request: HttpRequest, endpoint_id: int) -> WebhookEndpoint:
    caller = caller_of(request)
    endpoint = _endpoint(caller, endpoint_id)
    caller.require("work:read")
    return endpoint


@router.patch("/webhooks/{endpoint_id}", response=WebhookOut, tags=["webhooks"])
def update_webhook(request: HttpRequest, endpoint_id: int, body: WebhookPatch) -> WebhookEndpoint:
    caller = caller_of(request)
    endpoint = _endpoint(caller, endpoint_id)
    caller.require("webhooks:write")
    # a field left out is None: update_endpoint leaves it as it is
    return webhooks.update_endpoint(
        actor=caller.user,
        endpoint=endpoint,
        url=body.url,
        kinds=body.kinds,
        description=body.description,
        is_active=body.is_active,
    )


@router.delete("/webhooks/{endpoint_id}", response={204: None}, tags=["webhooks"])
def delete_webhook(request: HttpRequest, endpoint_id: int) -> Status[None]:
    """Stops deliveries; the endpoint and its delivery log are kept."""
    caller = caller_of(request)
    endpoint = _endpoint(caller, endpoint_id)
    caller.require("webhooks:write")
    webhooks.update_endpoint(actor=caller.user, endpoint=endpoint, is_active=False)
    return Status(204, None)


@router.post("/webhooks/{endpoint_id}/rotate-secret", response=SecretOut, tags=["webhooks"])
def rotate_webhook_secret(request: HttpRequest, endpoint_id: int) -> dict[str, str]:
    caller = caller_of(request)
    endpoint = _endpoint(caller, endpoint_id)
    caller.require("webhooks:write")
    return {"secret": webhooks.rotate_secret(actor=caller.user, endpoint=endpoint)}


@router.get("/webhooks/{endpoint_id}/deliveries", response=list[DeliveryOut], tags=["webhooks"])
@paginate_by_cursor
def list_deliveries(
    request: HttpRequest, endpoint_id: int, filters: Query[DeliveryFilters]
) -> QuerySet[WebhookDelivery]:
    caller = caller_of(request)
    endpoint = _endpoint(caller, endpoint_id)
    caller.require("work:read")
    found = WebhookDelivery.objects.filter(endpoint=endpoint).select_related("event")
    if filters.status:
        found = found.filter(status=filters.status)
    return found


@router.post("/webhook-deliveries/{delivery_id}/redeliver", response=DeliveryOut, tags=["webhooks"])
def redeliver(request: HttpRequest, delivery_id: int) -> WebhookDelivery:
    caller = caller_of(request)
    delivery = (
        WebhookDelivery.objects.filter(client_id__in=caller.client_ids, pk=delivery_id)
        .select_related("endpoint", "event")
        .first()
    )
    if delivery is None:
        raise NotFound("Delivery not found.")
    caller.require("webhooks:write")
    return webhooks.redeliver(actor=caller.user, delivery=delivery)

import json

from django.http import HttpRequest, JsonResponse
from django.urls import path
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from ingest_baseline.models import Row


def _row(item: dict) -> Row:
    return Row(
        client_id=1,
        title=str(item.get("title", ""))[:200],
        payload=item.get("payload", {}),
        created_at=timezone.now(),
    )


@csrf_exempt
def create_one(request: HttpRequest) -> JsonResponse:
    row = _row(json.loads(request.body))
    row.save()
    return JsonResponse({"id": row.pk}, status=201)


@csrf_exempt
def create_many(request: HttpRequest) -> JsonResponse:
    rows = Row.objects.bulk_create([_row(item) for item in json.loads(request.body)["items"]])
    return JsonResponse({"created": [row.pk for row in rows]}, status=201)


urlpatterns = [path("rows", create_one), path("rows/bulk", create_many)]

"""Health endpoints for load balancers and orchestrators (no auth, no client data), and
the operations page for provider staff: readiness and each consumer's lag."""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from tercero.platform.api.caller import Caller
from tercero.platform.ops.selectors import OK, PERMISSION, health_report, readiness
from tercero.platform.pages import page


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """The process answers."""
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    """Database reachable, migrations applied, a worker heard from recently."""
    checks = readiness()
    ready = all(state == OK for state in checks.values())
    return JsonResponse(
        {"status": "ready" if ready else "not ready", "checks": checks},
        status=200 if ready else 503,
    )


@never_cache
@require_GET
@page(PERMISSION, staff=True)
def operations(request: HttpRequest, caller: Caller) -> HttpResponse:
    """Readiness and, per background consumer, how much waits and for how long."""
    return render(request, "ops/operations.html", health_report())

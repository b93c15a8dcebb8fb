"""Health endpoints for load balancers and orchestrators: no auth, no client data."""

from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from tercero.platform.ops.selectors import OK, readiness


@never_cache
@require_GET
def healthz(request):
    """The process answers."""
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def readyz(request):
    """Database reachable, migrations applied, a worker heard from recently."""
    checks = readiness()
    ready = all(state == OK for state in checks.values())
    return JsonResponse(
        {"status": "ready" if ready else "not ready", "checks": checks},
        status=200 if ready else 503,
    )

"""The public API at /api/v1: every module's router, one auth, one error shape."""

from tercero.delivery.contact.api import router as contact_router
from tercero.delivery.engagements.api import router as engagements_router
from tercero.delivery.setup.people_api import router as people_router
from tercero.delivery.work.api import router as work_router
from tercero.delivery.workforce.api import router as sites_router
from tercero.platform import catalogue
from tercero.platform.api.auth import api_auth
from tercero.platform.api.door import TerceroApi
from tercero.platform.identity.api import router as identity_router
from tercero.platform.ops.api import router as ops_router
from tercero.platform.tenancy.api import router as clients_router

api = TerceroApi(
    title="Tercero API",
    version="1",
    description=(
        "Run outsourced departments: clients, sites, engagements, people and work. "
        "Authenticate with `Authorization: Bearer <token>` or the session cookie "
        "(with the CSRF token on unsafe methods). POSTs accept `Idempotency-Key`. "
        'Every 4xx (and any 500) has the body `{"error": {"code", "message", "fields"}}`; '
        "each operation lists the statuses it can answer. Text holding a NUL character, "
        "and JSON nested deeper than 32 levels, are refused (422)."
    ),
    auth=api_auth,
    urls_namespace="api",
)
api.add_router("/clients", clients_router)
api.add_router("/", identity_router)
api.add_router("/", people_router)
api.add_router("/sites", sites_router)
api.add_router("/engagements", engagements_router)
api.add_router("/", work_router)
api.add_router("/", contact_router)
api.add_router("/", ops_router)
for line in catalogue.lines():  # each service line's own router, from its manifest
    if line.api is not None:
        api.add_router("/", line.api)

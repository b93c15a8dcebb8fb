"""Where the scheduling routes stand in the isolation matrix (tests/test_isolation_matrix.py).

Schedules, shifts, templates and labour rules belong to the provider, as agents and sites
do: none is one client's object. What a schedule says about a client's queues (coverage)
is read in the caller's client scope, so each route below is safe without an object of
another client to try."""

from tercero.platform.catalogue import Isolation

PROVIDER = (
    "schedules are the provider's, like agents and sites; queue coverage is read in the "
    "caller's client scope"
)
OWN = "the caller's own shifts or adherence only"
PRESENCE = "agents' presence against the provider's schedule; no client data"

ISOLATION = Isolation(
    scoped_routes={
        "schedules/": PROVIDER,
        "schedules/<int:schedule_id>/": PROVIDER,
        "schedules/<int:schedule_id>/publish/": PROVIDER,
        "schedules/shifts/<int:shift_id>/": "an agent's shift is the provider's",
        "schedules/mine/": OWN,
        "schedules/adherence/now/": PRESENCE,
        "schedules/adherence/": PRESENCE,
        "schedules/sites/": "provider sites are global, not client data",
        "schedules/sites/<int:site_id>/": "provider sites are global, not client data",
        "schedules/templates/<int:template_id>/delete/": "a site's shift template, not client data",
        "api/v1/schedules": PROVIDER,
        "api/v1/schedules/<schedule_id>": PROVIDER,
        "api/v1/schedules/<schedule_id>/publish": PROVIDER,
        "api/v1/schedules/mine": OWN,
        "api/v1/schedules/adherence": PRESENCE,
    },
)

"""Quality assurance's API under /api/v1/quality/: one router per concern."""

from ninja import Router

from tercero.governance.quality import api_evaluations, api_scorecards

router = Router(tags=["quality"])
router.add_router("", api_scorecards.router)
router.add_router("", api_evaluations.router)

"""Quality assurance's API under /api/v1/quality/: one router per concern."""

from ninja import Router

from tercero.governance.quality import (
    api_calibration,
    api_evaluations,
    api_lots,
    api_reports,
    api_scorecards,
)

router = Router(tags=["quality"])
router.add_router("", api_scorecards.router)
router.add_router("", api_evaluations.router)
router.add_router("", api_calibration.router)
router.add_router("", api_lots.router)
router.add_router("", api_reports.router)

"""The outbound line's API, mounted at /api/v1/: one router per room, added here."""

from ninja import Router

from tercero.services.outbound import api_campaigns, api_dialler, api_dnc, api_leads, api_reports

router = Router(tags=["outbound"])
router.add_router("", api_campaigns.router)  # campaigns: create, change, start, pause
router.add_router("", api_leads.router)  # lead lists and leads, why not now
router.add_router("", api_dnc.router)  # do-not-call entries, registry files, consent
router.add_router("", api_dialler.router)  # dialling, the agent screen, call events
router.add_router("", api_reports.router)  # the live campaign board

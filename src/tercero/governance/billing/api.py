"""Commercials' API under /api/v1/billing/: one router per concern."""

from ninja import Router

from tercero.governance.billing import api_commercial, api_invoices, api_rates, api_usage

router = Router(tags=["billing"])
router.add_router("", api_rates.router)
router.add_router("", api_usage.router)
router.add_router("", api_invoices.router)
router.add_router("", api_commercial.router)

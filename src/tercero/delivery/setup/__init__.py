"""Delivery's set-up pages, which span its apps: engagements with their queues and work
types (the engine), agents with their clearances and capacity, sites. They sit above
the engine, engagements and workforce so that none of those imports back up into a
page (pyproject.toml's delivery layers contract)."""

"""Pages of the work engine: the agent workspace, item pages, the operations floor,
SLA reports and the client portal."""

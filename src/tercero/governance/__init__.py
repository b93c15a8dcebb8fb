"""Reads what delivery produces: workforce management, quality, billing, insights."""

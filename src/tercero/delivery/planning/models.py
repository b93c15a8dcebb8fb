"""Workforce planning's stored records."""

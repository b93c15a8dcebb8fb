"""Schedules' stored records."""

"""Workforce planning: forecasts from the engine's arrival history, staffing by Erlang and
backlog maths, schedules optimised against labour rules, adherence, intraday and the
delivery options a client can choose between."""

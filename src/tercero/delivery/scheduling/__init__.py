"""Schedules: shift templates and labour rules as data, rosters optimised to cover the
staffing plan across clients that share agents, published to agents in their site's local
time, and adherence to them."""

"""Where planning's routes stand in the isolation matrix (tests/test_isolation_matrix.py):
routes taking another client's object id, with the requests an outsider tries (each must
answer 404 and change nothing), and routes without one, with why they cannot leak."""

from tercero.platform.catalogue import Isolation

ISOLATION = Isolation(
    api_routes={
        "api/v1/planning/forecasts/<forecast_id>": [("get", None)],
        "api/v1/planning/forecasts/<forecast_id>/plans": [
            ("post", {"model": "erlang_c", "target": 0.8, "answer_seconds": 20})
        ],
        "api/v1/planning/plans/<plan_id>": [("get", None)],
        "api/v1/planning/queues/<queue_id>/history": [("post", None)],
        "api/v1/planning/queues/<queue_id>/intraday": [("get", None)],
        "api/v1/planning/engagements/<engagement_id>/options": [("get", None)],
        "api/v1/planning/pool-checks/<check_id>": [("get", None)],
    },
    page_routes={
        "planning/queues/<int:queue_id>/": [("get", None)],
        "planning/queues/<int:queue_id>/history/": [("post", {"step_minutes": "30"})],
        "planning/queues/<int:queue_id>/forecast/": [
            ("post", {"step_minutes": "30", "horizon_days": "7"})
        ],
        "planning/queues/<int:queue_id>/intraday/": [("get", None)],
        "planning/forecasts/<int:forecast_id>/": [("get", None)],
        "planning/forecasts/<int:forecast_id>/plans/": [
            ("post", {"model": "erlang_c", "target_percent": "80", "answer_seconds": "20"})
        ],
        "planning/plans/<int:plan_id>/": [("get", None)],
        "planning/engagements/<int:engagement_id>/options/": [("get", None)],
        "planning/engagements/<int:engagement_id>/options.pdf": [("get", None)],
        "planning/queues/<int:queue_id>/pool-check/": [("post", {"start": "2026-03-23T13:00"})],
        "planning/pool-checks/<int:check_id>/": [("get", None)],
    },
    scoped_routes={
        "planning/": "queues and engagements listed from reachable clients only",
        "api/v1/planning/forecasts": "list filtered to reachable clients; POST looks the queue "
        "up among them (another client's queue: 404, tested in the planning tests)",
        "api/v1/planning/pool-checks": "POST looks every queue up among the caller's clients "
        "(another client's queue: 404, tested in the planning tests)",
    },
)

"""Where quality assurance's routes stand in the isolation matrix
(tests/test_isolation_matrix.py): routes taking another client's object id, with the
requests an outsider tries (each must answer 404 and change nothing), and routes
without one, with why they cannot leak. The ids come from
`tests/isolation_rows.quality_rows`."""

from tercero.platform.catalogue import Isolation

ISOLATION = Isolation(
    api_routes={
        "api/v1/quality/scorecards/<scorecard_id>": [("get", None)],
        "api/v1/quality/scorecards/<scorecard_id>/versions": [
            ("post", {"version": 1, "definition": {"sections": []}})
        ],
        "api/v1/quality/scorecards/<scorecard_id>/activation": [
            ("post", {"version": 1, "is_active": False})
        ],
        "api/v1/quality/rules/<rule_id>": [("get", None), ("patch", {"version": 1})],
        "api/v1/quality/evaluations/<evaluation_id>": [("get", None)],
        "api/v1/quality/evaluations/<evaluation_id>/dispute": [("post", {"reason": "x"})],
        "api/v1/quality/items/<evaluation_item_id>/evaluation": [("post", {"scores": {}})],
        "api/v1/quality/disputes/<dispute_id>": [("get", None)],
        "api/v1/quality/disputes/<dispute_id>/decision": [
            ("post", {"decision": "rejected", "comment": "x", "version": 1})
        ],
        "api/v1/quality/coaching-tasks/<coaching_task_id>/done": [
            ("post", {"version": 1, "note": "x"})
        ],
        "api/v1/quality/calibration-sessions/<session_id>": [("get", None)],
        "api/v1/quality/calibration-sessions/<session_id>/scores": [
            ("post", {"source_item_id": 1, "scores": {}})
        ],
        "api/v1/quality/calibration-sessions/<session_id>/close": [("post", {"version": 1})],
        "api/v1/quality/lots/<lot_id>": [("get", None)],
        "api/v1/quality/lots/<lot_id>/inspections": [
            ("post", {"source_item_id": 1, "defective": True})
        ],
        "api/v1/quality/lots/<lot_id>/reinspection": [("post", {"version": 1})],
    },
    page_routes={
        "quality/items/<int:evaluation_item_id>/": [("get", None)],
        "quality/items/<int:evaluation_item_id>/submit/": [("post", {"score-greeting": "1"})],
        "quality/evaluations/<int:evaluation_id>/": [("get", None)],
        "quality/evaluations/<int:evaluation_id>/dispute/": [("post", {"reason": "x"})],
        "quality/disputes/<int:dispute_id>/decide/": [
            ("post", {"decision": "rejected", "comment": "x", "version": "1"})
        ],
        "quality/coaching/<int:coaching_task_id>/done/": [("post", {"note": "x", "version": "1"})],
        "quality/scorecards/<int:scorecard_id>/": [("get", None), ("post", {"criteria": "x"})],
        "quality/scorecards/<int:scorecard_id>/activation/": [
            ("post", {"is_active": "0", "version": "1"})
        ],
        "quality/rules/<int:rule_id>/": [("get", None), ("post", {"version": "1"})],
        "quality/calibration/<int:session_id>/": [("get", None)],
        "quality/calibration/<int:session_id>/scores/": [("post", {"item": "1"})],
        "quality/calibration/<int:session_id>/close/": [("post", {"version": "1"})],
        "quality/lots/<int:lot_id>/": [("get", None), ("post", {"item": "1", "defective": "1"})],
        "quality/lots/<int:lot_id>/reinspect/": [("post", {"version": "1"})],
    },
    scoped_routes={
        "quality/calibration/": "sessions of the caller's clients; creates for a scorecard "
        "version fetched with the caller's client ids",
        "quality/lots/": "lots of the caller's clients; creates for an engagement fetched with "
        "the caller's client ids",
        "quality/report/": "aggregates only evaluations of the caller's clients",
        "api/v1/quality/calibration-sessions": "lists the caller's clients' sessions; creates "
        "for a scorecard version fetched with the caller's client ids",
        "api/v1/quality/lots": "lists the caller's clients' lots; creates for an engagement "
        "fetched with the caller's client ids (its items read within that client)",
        "api/v1/quality/report": "aggregates only evaluations of the caller's clients",
        "api/v1/quality/sla": "the quality SLA of the caller's clients' engagements only",
        "api/v1/quality/sla.csv": "the quality SLA of the caller's clients' engagements only",
        "api/v1/quality/scorecards": "lists the caller's clients' scorecards; creates in an "
        "engagement fetched with the caller's client ids (another client's is 404)",
        "api/v1/quality/rules": "lists the caller's clients' rules; creates for an engagement "
        "and scorecard fetched with the caller's client ids",
        "api/v1/quality/gold-items": "the engagement and item are fetched with the caller's "
        "client ids (another client's is 404)",
        "api/v1/quality/evaluations": "lists evaluations of the caller's clients that the "
        "caller may see",
        "api/v1/quality/disputes": "lists disputes of the caller's clients the caller may see",
        "api/v1/quality/coaching-tasks": "lists coaching tasks of the caller's clients",
        "quality/workspace/": "the analyst's own evaluations, within their clients",
        "quality/workspace/presence/": "changes the signed-in person's own presence",
        "quality/workspace/next/": "the engine's pull within the caller's clients",
        "quality/results/": "evaluations of the caller's clients the caller may see",
        "quality/disputes/": "disputes of the caller's clients the caller may see",
        "quality/coaching/": "coaching tasks of the caller's clients",
        "quality/scorecards/": "scorecards of the caller's clients",
        "quality/scorecards/new/": "creates in an engagement fetched with the caller's client ids",
        "quality/rules/": "rules of the caller's clients",
        "quality/rules/new/": "creates for an engagement and scorecard fetched with the caller's "
        "client ids",
    },
)

"""Quality assurance pages, mounted at /quality/."""

from django.urls import path

from tercero.governance.quality.views import (
    calibration,
    lots,
    reports,
    results,
    setup,
    workspace,
)

app_name = "quality"

urlpatterns = [
    path("workspace/", workspace.workspace, name="workspace"),
    path("workspace/presence/", workspace.presence, name="presence"),
    path("workspace/next/", workspace.get_next, name="get_next"),
    path("items/<int:evaluation_item_id>/", workspace.panel, name="panel"),
    path("items/<int:evaluation_item_id>/submit/", workspace.submit, name="submit"),
    path("results/", results.results, name="results"),
    path("evaluations/<int:evaluation_id>/", results.evaluation, name="evaluation"),
    path("evaluations/<int:evaluation_id>/dispute/", results.raise_dispute, name="dispute"),
    path("disputes/", results.dispute_inbox, name="disputes"),
    path("disputes/<int:dispute_id>/decide/", results.decide, name="decide"),
    path("coaching/", results.coaching_list, name="coaching"),
    path("coaching/<int:coaching_task_id>/done/", results.coaching_done, name="coaching_done"),
    path("scorecards/", setup.scorecard_list, name="scorecards"),
    path("scorecards/new/", setup.scorecard_new, name="scorecard_new"),
    path("scorecards/<int:scorecard_id>/", setup.scorecard, name="scorecard"),
    path(
        "scorecards/<int:scorecard_id>/activation/",
        setup.scorecard_activation,
        name="scorecard_activation",
    ),
    path("rules/", setup.rule_list, name="rules"),
    path("rules/new/", setup.rule_new, name="rule_new"),
    path("rules/<int:rule_id>/", setup.rule, name="rule"),
    path("calibration/", calibration.session_list, name="calibration"),
    path("calibration/<int:session_id>/", calibration.session, name="calibration_session"),
    path(
        "calibration/<int:session_id>/scores/",
        calibration.session_score,
        name="calibration_score",
    ),
    path(
        "calibration/<int:session_id>/close/",
        calibration.session_close,
        name="calibration_close",
    ),
    path("lots/", lots.lot_list, name="lots"),
    path("lots/<int:lot_id>/", lots.lot, name="lot"),
    path("lots/<int:lot_id>/reinspect/", lots.lot_reinspect, name="lot_reinspect"),
    path("report/", reports.quality_report, name="report"),
]

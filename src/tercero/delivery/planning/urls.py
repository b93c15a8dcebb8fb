"""Planning pages, mounted at /planning/."""

from django.urls import path

from tercero.delivery.planning.views import forecasts, options, pool

app_name = "planning"

urlpatterns = [
    path("", forecasts.home, name="home"),
    path("queues/<int:queue_id>/", forecasts.queue_page, name="queue"),
    path("queues/<int:queue_id>/history/", forecasts.history_upload, name="history_upload"),
    path("queues/<int:queue_id>/forecast/", forecasts.forecast_start, name="forecast_start"),
    path("queues/<int:queue_id>/intraday/", forecasts.intraday_page, name="intraday"),
    path("forecasts/<int:forecast_id>/", forecasts.forecast_page, name="forecast"),
    path("forecasts/<int:forecast_id>/plans/", forecasts.plan_new, name="plan_new"),
    path("plans/<int:plan_id>/", forecasts.plan_page, name="plan"),
    path("queues/<int:queue_id>/pool-check/", pool.pool_check_start, name="pool_check_start"),
    path("pool-checks/<int:check_id>/", pool.pool_check_page, name="pool_check"),
    path("engagements/<int:engagement_id>/options/", options.options_page, name="options"),
    path("engagements/<int:engagement_id>/options.pdf", options.options_pdf, name="options_pdf"),
]

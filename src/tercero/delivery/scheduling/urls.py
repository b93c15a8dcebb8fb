from django.urls import path

from tercero.delivery.scheduling.views import adherence, mine, schedules, sites

app_name = "scheduling"

urlpatterns = [
    path("", schedules.schedule_list, name="schedules"),
    path("<int:schedule_id>/", schedules.schedule_detail, name="schedule"),
    path("<int:schedule_id>/publish/", schedules.schedule_publish, name="publish"),
    path("shifts/<int:shift_id>/", schedules.shift_edit, name="shift"),
    path("mine/", mine.my_shifts, name="mine"),
    path("adherence/now/", adherence.board, name="board"),
    path("adherence/", adherence.history, name="adherence"),
    path("sites/", sites.site_list, name="sites"),
    path("sites/<int:site_id>/", sites.site_detail, name="site"),
    path("templates/<int:template_id>/delete/", sites.template_delete, name="template_delete"),
]

from django.urls import path

from tercero.delivery.setup import people, teams

app_name = "people"

urlpatterns = [
    path("", people.people_list, name="list"),
    path("import/", teams.people_import, name="import"),
    path("<int:user_id>/", people.person_detail, name="person"),
    path("<int:user_id>/active/", people.person_active, name="active"),
    path("<int:user_id>/invite/", people.person_invite, name="invite"),
    path("<int:user_id>/profile/", people.person_profile, name="profile"),
    path("<int:user_id>/grants/", people.person_grant, name="grant"),
    path("<int:user_id>/clearances/", people.person_clearance, name="clearance"),
    path("<int:user_id>/team/", people.person_team, name="team_of"),
    path("grants/<int:grant_id>/revoke/", people.grant_revoke, name="grant_revoke"),
    path(
        "clearances/<int:clearance_id>/revoke/",
        people.clearance_revoke,
        name="clearance_revoke",
    ),
    path("teams/", teams.team_list, name="teams"),
    path("teams/<int:team_id>/", teams.team_detail, name="team"),
    path("teams/<int:team_id>/members/", teams.team_member_add, name="team_member_add"),
    path(
        "teams/<int:team_id>/members/<int:agent_id>/remove/",
        teams.team_member_remove,
        name="team_member_remove",
    ),
]

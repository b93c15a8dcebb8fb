"""Django admin works in one client at a time: the working client, chosen among the
admin's granted clients. Lists, form choices and saves see that client only."""

import re

from django.contrib import admin
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from tests.factories import engagement_for

from tercero.delivery.work.models import WorkEvent
from tercero.platform.audit.models import AuditEvent
from tercero.platform.identity.models import Grant
from tercero.platform.identity.roles import Role
from tercero.platform.identity.tests.factories import UserFactory
from tercero.platform.security.models import MisuseRule
from tercero.platform.tenancy.admin_scoping import ScopedAdmin
from tercero.platform.tenancy.models import Client
from tercero.platform.tenancy.scoping import all_clients_scope, client_scope

RULE = {
    "records_per_hour": "150",
    "reveals_per_hour": "20",
    "exports_per_hour": "5",
    "off_shift_per_hour": "10",
    "unassigned_per_hour": "3",
}


def _options(page: bytes, name: str) -> list[str]:
    """The values a form's <select name=...> offers (the empty choice left out)."""
    found = re.search(rf'<select name="{name}".*?</select>', page.decode(), re.S)
    assert found is not None
    select = found.group(0)
    return [value for value in re.findall(r'<option value="([^"]*)"', select) if value]


def _content(page: bytes) -> str:
    """The page without its header's working-client control (which names every client
    the admin may switch to)."""
    return re.sub(r'<form[^>]*id="working-client".*?</form>', "", page.decode(), flags=re.S)


def _stored() -> tuple:
    with all_clients_scope():
        return (
            list(MisuseRule.objects.values_list("id", "client_id", "step_up").order_by("id")),
            AuditEvent.objects.count(),
            WorkEvent.objects.count(),
        )


def test_the_admin_lists_only_the_working_clients_rows(client, provider_admin, tenant_a, tenant_b):
    # given an admin granted A and B, working in A (the first by name)
    engagement_for(tenant_a.client, name="Acme care")
    engagement_for(tenant_b.client, name="Bergmann care")
    client.force_login(provider_admin)
    # when
    engagements = _content(client.get("/admin/engagements/engagement/").content)
    clients = _content(client.get("/admin/tenancy/client/").content)
    # then
    assert "Acme care" in engagements
    assert "Bergmann care" not in engagements
    assert "Acme Retail" in clients
    assert "Bergmann" not in clients


def test_add_forms_offer_only_the_working_client(client, provider_admin, tenant_a, tenant_b):
    # given
    mine = engagement_for(tenant_a.client, name="Acme care")
    engagement_for(tenant_b.client, name="Bergmann care")
    client.force_login(provider_admin)
    # when
    rule_form = client.get("/admin/security/misuserule/add/").content
    queue_form = client.get("/admin/work/queue/add/").content
    # then
    assert _options(rule_form, "client") == [str(tenant_a.client.pk)]
    assert _options(queue_form, "client") == [str(tenant_a.client.pk)]
    assert _options(queue_form, "engagement") == [str(mine.pk)]
    leads = _options(queue_form, "team_lead")
    assert str(tenant_a.client_admin.pk) in leads
    assert str(tenant_b.client_admin.pk) not in leads
    assert str(tenant_b.client_user.pk) not in leads


def test_a_forged_post_naming_another_granted_client_saves_nothing(
    client, provider_admin, tenant_a, tenant_b
):
    # given an admin granted A and B, working in A
    client.force_login(provider_admin)
    before = _stored()
    # when they post an add form naming B, with step-up off
    response = client.post(
        "/admin/security/misuserule/add/", {**RULE, "client": str(tenant_b.client.pk)}
    )
    # then it is refused on the form, and nothing was written
    assert response.status_code == 422
    assert "Select a valid choice" in response.content.decode()
    assert _stored() == before


def test_a_change_form_cannot_move_a_row_to_another_client(
    client, provider_admin, tenant_a, tenant_b
):
    # given a rule of A
    with client_scope(clients=[tenant_a.client]):
        rule = MisuseRule.objects.create(client=tenant_a.client)
    client.force_login(provider_admin)
    before = _stored()
    # when its change form is posted naming B
    response = client.post(
        f"/admin/security/misuserule/{rule.pk}/change/",
        {**RULE, "client": str(tenant_b.client.pk)},
    )
    # then
    assert response.status_code == 422
    assert _stored() == before


def test_a_row_of_the_working_client_is_saved_for_it(client, provider_admin, tenant_a):
    # given
    client.force_login(provider_admin)
    # when
    response = client.post(
        "/admin/security/misuserule/add/", {**RULE, "client": str(tenant_a.client.pk)}
    )
    # then
    assert response.status_code == 302
    with all_clients_scope():
        assert list(MisuseRule.objects.values_list("client_id", flat=True)) == [tenant_a.client.pk]


def test_switching_the_working_client_shows_only_the_other(
    client, provider_admin, tenant_a, tenant_b
):
    # given
    engagement_for(tenant_a.client, name="Acme care")
    theirs = engagement_for(tenant_b.client, name="Bergmann care")
    client.force_login(provider_admin)
    # when
    switched = client.post("/admin/working-client/", {"working_client": tenant_b.client.pk})
    # then
    assert (switched.status_code, switched["Location"]) == (302, "/admin/")
    engagements = client.get("/admin/engagements/engagement/").content.decode()
    assert "Bergmann care" in engagements
    assert "Acme care" not in engagements
    assert client.get(f"/admin/engagements/engagement/{theirs.pk}/change/").status_code == 200
    rule_form = client.get("/admin/security/misuserule/add/").content
    assert _options(rule_form, "client") == [str(tenant_b.client.pk)]


def test_the_header_names_the_working_client_and_offers_only_granted_ones(
    client, provider_admin, tenant_a, tenant_b
):
    # given a third client the admin is not granted
    other = Client.objects.create(
        provider=tenant_a.client.provider,
        legal_name="Cortado Foods Ltd",
        country="GB",
        time_zone="Europe/London",
        industry_vertical="retail",
    )
    client.force_login(provider_admin)
    # when
    page = client.get("/admin/").content
    # then
    assert _options(page, "working_client") == [str(tenant_a.client.pk), str(tenant_b.client.pk)]
    assert f'<option value="{tenant_a.client.pk}" selected>' in page.decode()
    assert other.legal_name not in page.decode()


def test_the_working_client_is_one_of_the_admins_own_clients(client, tenant_a, tenant_b):
    # given an admin granted A only
    admin_of_a = UserFactory.create(email="a-only@provider.example", role=Role.PROVIDER_ADMIN)
    with client_scope(clients=[tenant_a.client]):
        Grant.objects.create(user=admin_of_a, client=tenant_a.client)
    engagement_for(tenant_b.client, name="Bergmann care")
    client.force_login(admin_of_a)
    # when they try to work in B
    response = client.post("/admin/working-client/", {"working_client": tenant_b.client.pk})
    # then
    assert response.status_code == 404
    assert "Bergmann care" not in client.get("/admin/engagements/engagement/").content.decode()


def test_another_clients_row_is_not_found_in_the_admin(client, tenant_a, tenant_b):
    # given an admin granted A only
    mine = engagement_for(tenant_a.client, name="Acme care")
    theirs = engagement_for(tenant_b.client, name="Bergmann care")
    admin_of_a = UserFactory.create(email="a-only@provider.example", role=Role.PROVIDER_ADMIN)
    with client_scope(clients=[tenant_a.client]):
        Grant.objects.create(user=admin_of_a, client=tenant_a.client)
    client.force_login(admin_of_a)
    # when
    opened = client.get(f"/admin/engagements/engagement/{mine.pk}/change/")
    # then another client's row does not exist here, as on every other route
    assert opened.status_code == 200
    for view in ("change", "delete", "history"):
        response = client.get(f"/admin/engagements/engagement/{theirs.pk}/{view}/")
        assert response.status_code == 404, view
        assert b"Bergmann" not in response.content


def test_recent_actions_name_only_rows_of_the_working_client(
    client, provider_admin, tenant_a, tenant_b
):
    # given the admin changed a row in A and a row in B earlier
    for tenant, name in ((tenant_a, "Acme care"), (tenant_b, "Bergmann care")):
        row = engagement_for(tenant.client, name=name)
        LogEntry.objects.create(
            user=provider_admin,
            content_type=ContentType.objects.get_for_model(row),
            object_id=str(row.pk),
            object_repr=name,
            action_flag=CHANGE,
        )
    client.force_login(provider_admin)
    # when they open the admin, working in A
    page = _content(client.get("/admin/").content)
    # then
    assert "Acme care" in page
    assert "Bergmann care" not in page


def test_a_list_filter_on_a_relation_offers_only_the_working_clients_rows(
    rf, provider_admin, tenant_a, tenant_b
):
    # given rules of A and B, and an admin class that filters its list by client
    class RulesByClient(ScopedAdmin):
        list_filter = ("client", "step_up")

    for tenant in (tenant_a, tenant_b):
        with client_scope(clients=[tenant.client]):
            MisuseRule.objects.create(client=tenant.client)
    request = rf.get("/admin/security/misuserule/")
    request.user = provider_admin
    rules = RulesByClient(MisuseRule, admin.site)
    # when the list's filters are built in A
    with client_scope(clients=[tenant_a.client]):
        (name, kind), plain = rules.get_list_filter(request)
        spec = kind(MisuseRule._meta.get_field(name), request, {}, MisuseRule, rules, name)
    # then the filter by client offers A alone
    assert plain == "step_up"
    assert spec.lookup_choices == [(tenant_a.client.pk, "Acme Retail Inc")]


def test_every_model_in_the_admin_belongs_to_a_client_and_is_scoped():
    # protects: an admin page that lists or saves rows of every client at once
    for model, model_admin in admin.site._registry.items():
        owned = model is Client or any(f.name == "client" for f in model._meta.concrete_fields)
        assert owned, f"{model._meta.label} holds no client's rows: keep it out of the admin"
        assert isinstance(model_admin, ScopedAdmin), model._meta.label

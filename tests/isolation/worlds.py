"""What the isolation matrix's outsiders try to reach: client B's objects of every
kind, and snapshots of what must not change when they try."""

from tercero.platform.audit.models import AuditEvent
from tercero.platform.identity.models import Grant, User
from tercero.platform.identity.roles import Role
from tercero.platform.identity.services import create_api_token
from tercero.platform.identity.tests.factories import UserFactory
from tercero.platform.tenancy.scoping import all_clients_scope, client_scope
from tests.factories import engagement_for
from tests.isolation.routes import ADMIN_MODELS


def admin_of_a_only(tenant_a):
    """A provider admin granted client A only: an outsider to B on the provider's side."""
    a_admin = UserFactory(email="admin-only-a@provider.example", role=Role.PROVIDER_ADMIN)
    with all_clients_scope():
        Grant.objects.create(user=a_admin, client=tenant_a.client)
    return a_admin


def outsider_world(tenant_a, tenant_b, a_admin) -> dict:
    """Objects of client B, and an admin of client A who must not reach them."""
    from tercero.delivery.planning.tests.isolation_rows import planning_rows
    from tercero.governance.billing.tests.commercial_rows import commercial_rows
    from tercero.governance.billing.tests.isolation_rows import invoice_rows
    from tercero.governance.billing.tests.rate_isolation_rows import billing_rows
    from tercero.governance.quality.tests.isolation_rows import quality_rows
    from tercero.services.crm.tests.isolation_rows import crm_rows
    from tercero.services.outbound.tests.isolation_rows import outbound_rows
    from tests.factories import site

    b_engagement = engagement_for(tenant_b.client)
    with client_scope(clients=[tenant_b.client]):
        b_token, _ = create_api_token(
            actor=tenant_b.client_admin, client=tenant_b.client, name="b", scopes=["work:read"]
        )
    with all_clients_scope():
        b_grant = Grant.objects.get(user=tenant_b.agent, client=tenant_b.client)
    work = work_of(tenant_b)
    return {
        **work,
        **planning_rows(tenant_b.client, work["queue_id"]),
        **billing_rows(tenant_b.client, b_engagement),
        **quality_rows(tenant_b),
        **invoice_rows(tenant_b),
        **commercial_rows(tenant_b),
        **outbound_rows(tenant_b),
        **crm_rows(tenant_b),
        "client_id": tenant_b.client.pk,
        "engagement_id": b_engagement.pk,
        "user_id": tenant_b.client_user.pk,
        "grant_id": b_grant.pk,
        "token_id": b_token.pk,
        "site_id": site().pk,
        "outsiders": [a_admin, tenant_a.client_admin],
    }


def admin_world(tenant_a, tenant_b, a_admin) -> dict:
    """A row of client B for each model in the admin, and people outside B."""
    from django.contrib.contenttypes.models import ContentType

    from tercero.delivery.engagements.models import Engagement

    rows = admin_rows_of(tenant_b)
    return {
        "rows": rows,
        "client_id": tenant_b.client.pk,
        "content_type_id": ContentType.objects.get_for_model(Engagement).pk,
        "object_id": rows["engagements/engagement"],
        "a_admin": a_admin,
        "outsiders": [a_admin, tenant_a.client_admin],
    }


def work_of(tenant) -> dict:
    """A queue, an item, an agent with a clearance, a webhook and a delivery of `tenant`."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.utils import timezone

    from tercero.delivery.work import services as work
    from tercero.delivery.work.models import WebhookDelivery, WebhookEndpoint, WorkEvent
    from tercero.delivery.workforce.services import clear_agent, create_agent
    from tercero.platform.security import services as security
    from tercero.services.care import services as care
    from tercero.services.care.models import Mailbox
    from tercero.services.care.services import automations as care_setup
    from tercero.services.care.services import desk_setup
    from tests.factories import site

    engagement = engagement_for(tenant.client, name="Keying", status="live")
    with client_scope(clients=[tenant.client]):
        queue = work.create_queue(
            actor=None, engagement=engagement, name="Forms", work_types=["capture.document"]
        )
        item = work.create_item(
            actor=None,
            queue=queue,
            work_type="capture.document",
            payload={"document_ref": "INV-1", "fields_total": 4},
        )
        agent = create_agent(actor=None, user=tenant.agent, site=site(name="Cebu"))
        clearance = clear_agent(
            actor=None, agent=agent, engagement=engagement, reachable_client_ids=[tenant.client.pk]
        )
        endpoint = WebhookEndpoint.objects.create(
            client=tenant.client, url="https://hooks.example.com/t", secret="s"
        )
        delivery = WebhookDelivery.objects.create(
            client=tenant.client,
            endpoint=endpoint,
            event=WorkEvent.objects.filter(item=item).first(),
            next_attempt_at=timezone.now(),
        )
        attachment = work.attach(
            actor=None,
            item=item,
            upload=SimpleUploadedFile("scan.pdf", b"%PDF-1.4 secret scan", "application/pdf"),
        )
        alert = security.raise_alert(
            client_id=tenant.client.pk,
            user_id=tenant.agent.pk,
            kind="records",
            window_start=timezone.now(),
            count=200,
            limit=150,
        )
        reveal = security.request_reveal(
            actor=tenant.team_lead,
            client_id=tenant.client.pk,
            object_type="work_item",
            object_id=item.pk,
            reason="customer on the phone",
            step_up=True,
        )
        mailbox = Mailbox.objects.create(
            client=tenant.client,
            engagement=engagement,
            queue=queue,
            address=f"help@client{tenant.client.pk}.example",
        )
        desk = work.create_queue(
            actor=None, engagement=engagement, name="Tickets", work_types=["care.ticket"]
        )
        ticket = work.create_item(
            actor=None,
            queue=desk,
            work_type="care.ticket",
            payload={"subject": "Bergmann order", "requester_email": "kunde@example.de"},
        )
        article = care.create_article(
            actor=None, client_id=tenant.client.pk, title="Bergmann refunds", body="Bergmann"
        )
        macro = desk_setup.create_macro(
            actor=None, engagement=engagement, name="Bergmann macro", reply="Hallo"
        )
        automation = care_setup.create_automation(
            actor=None,
            engagement=engagement,
            name="Bergmann rule",
            trigger="created",
            actions=[{"action": "add_tag", "value": "bergmann"}],
        )
        care_rows = care_setup_rows(tenant, engagement, desk)
    from datetime import date

    from tercero.services.payroll import statutory_leave
    from tercero.services.payroll.tests.factories import finalised, hire, uk_group

    group = uk_group(tenant.client, name="Bergmann monthly")
    with client_scope(clients=[tenant.client]):
        employee = hire(tenant.team_lead, group, "B-1")
        run = finalised(tenant, group)
        absence = statutory_leave.record_absence(
            actor=None, employee=employee, kind="sickness", start=date(2026, 6, 1),
            end=date(2026, 6, 5), average_weekly_earnings_minor=50000,
        )  # fmt: skip
        hr_queue = work.create_queue(
            actor=None, engagement=engagement, name="HR", work_types=["payroll.hr_event"]
        )
        hr_item = work.create_item(
            actor=None,
            queue=hr_queue,
            work_type="payroll.hr_event",
            payload={"event": "terminate", "employee_number": "B-1", "effective": "2026-09-30"},
        )
    return {
        "pay_group_id": group.pk,
        "number": 1,  # the pay group's first rule version (its run wrote it)
        "hr_item_id": hr_item.pk,
        "run_id": run.pk,
        "employee_id": employee.pk,
        "absence_id": absence.pk,
        "kind": "register",
        "article_id": article.pk,
        "automation_id": automation.pk,
        **care_rows,
        "macro_id": macro.pk,
        "ticket_id": ticket.pk,
        **contacts_of(tenant),
        "mailbox_id": mailbox.pk,
        "alert_id": alert.pk,
        "reveal_id": reveal.pk,
        "attachment_id": attachment.pk,
        "queue_id": queue.pk,
        "item_id": item.pk,
        "agent_id": agent.pk,
        "clearance_id": clearance.pk,
        "endpoint_id": endpoint.pk,
        "delivery_id": delivery.pk,
    }


def care_setup_rows(tenant, engagement, desk) -> dict:
    """A web channel, a custom field, a checklist and a tier of `tenant`'s care desk."""
    from tercero.services.care.models import Checklist, CustomField, TierQueue, WebChannel

    client = tenant.client
    channel = WebChannel.objects.create(
        client=client, engagement=engagement, queue=desk, key=f"bergmann-{client.pk}"
    )
    field = CustomField.objects.create(
        client=client, engagement=engagement, key="bergmann", label="Bergmann"
    )
    checklist = Checklist.objects.create(
        client=client, product="Bergmann", title="Bergmann", steps=["Bergmann"]
    )
    tier = TierQueue.objects.create(client=client, engagement=engagement, tier="L2", queue=desk)
    return {
        "channel_id": channel.pk,
        "field_id": field.pk,
        "checklist_id": checklist.pk,
        "tier_id": tier.pk,
    }


def contacts_of(tenant) -> dict:
    """A verification page and a live code of `tenant`."""
    from django.utils import timezone

    from tercero.delivery.contact import services as contact

    with client_scope(clients=[tenant.client]):
        page = contact.create_page(
            actor=None, client_id=tenant.client.pk, slug="bergmann", display_name="Bergmann"
        )
        verification, _ = contact.issue_outbound(
            actor=tenant.agent,
            client_id=tenant.client.pk,
            channel="email",
            contact="kunde@example.de",
            now=timezone.now(),
        )
    return {"page_id": page.pk, "verification_id": verification.pk}


def snapshot():
    with all_clients_scope():
        return (
            AuditEvent.objects.count(),
            list(User.objects.values_list("id", "is_active", "full_name").order_by("id")),
            list(Grant.objects.values_list("id").order_by("id")),
        )


def work_snapshot():
    from tercero.delivery.engagements.models import Engagement
    from tercero.delivery.work.models import Comment, WorkItem
    from tercero.delivery.workforce.models import Agent

    with all_clients_scope():
        return (
            list(WorkItem.objects.values_list("id", "status", "version", "priority", "queue_id")),
            Comment.objects.count(),
            list(Engagement.objects.values_list("id", "version", "status", "name")),
            list(Agent.objects.values_list("id", "version", "skills")),
        )


def admin_rows_of(tenant) -> dict:
    """One row of `tenant` per model in ADMIN_MODELS, each named after the client."""
    from datetime import timedelta

    from django.utils import timezone

    from tercero.delivery.work import services as work
    from tercero.delivery.work.models import WebhookEndpoint
    from tercero.platform.security.models import MisuseRule, PrivacyPolicy
    from tercero.services.care import models as care

    client = tenant.client
    engagement = engagement_for(client, name="Bergmann care", status="live")
    with client_scope(clients=[client]):
        queue = work.create_queue(
            actor=None, engagement=engagement, name="Bergmann desk", work_types=["care.ticket"]
        )
        item = work.create_item(
            actor=None,
            queue=queue,
            work_type="care.ticket",
            payload={"subject": "Bergmann order", "requester_email": "kunde@example.de"},
        )
        mailbox = care.Mailbox.objects.create(
            client=client, engagement=engagement, queue=queue, address="help@bergmann.example"
        )
        on_engagement = {"client": client, "engagement": engagement}
        rows = {
            "tenancy/client": client,
            "security/misuserule": MisuseRule.objects.create(client=client),
            "security/privacypolicy": PrivacyPolicy.objects.create(client=client),
            "engagements/engagement": engagement,
            "work/queue": queue,
            "work/webhookendpoint": WebhookEndpoint.objects.create(
                client=client, url="https://hooks.example.com/bergmann", secret="s"
            ),
            "care/mailbox": mailbox,
            "care/rejection": care.Rejection.objects.create(
                client=client, mailbox=mailbox, reason="Bergmann loop"
            ),
            "care/ctiendpoint": care.CtiEndpoint.objects.create(
                **on_engagement, queue=queue, secret="s", description="Bergmann phones"
            ),
            "care/webchannel": care.WebChannel.objects.create(
                **on_engagement, queue=queue, key="bergmann", title="Bergmann help"
            ),
            "care/macro": care.Macro.objects.create(**on_engagement, name="Bergmann refund"),
            "care/customfield": care.CustomField.objects.create(
                **on_engagement, key="order", label="Bergmann order"
            ),
            "care/checklist": care.Checklist.objects.create(
                client=client, product="Bergmann drill", title="Bergmann reset"
            ),
            "care/tierqueue": care.TierQueue.objects.create(
                **on_engagement, tier="L2", queue=queue
            ),
            "care/survey": care.Survey.objects.create(
                client=client,
                item=item,
                token_hash="b" * 64,
                expires_at=timezone.now() + timedelta(days=7),
            ),
        }
    return {model: row.pk for model, row in rows.items()}


def admin_snapshot():
    from django.apps import apps
    from django.contrib.admin.models import LogEntry

    with all_clients_scope():
        rows = {
            model: list(apps.get_model(*model.split("/")).objects.order_by("pk").values_list())
            for model in ADMIN_MODELS
        }
        passwords = list(User.objects.values_list("id", "password").order_by("id"))
    return snapshot(), rows, LogEntry.objects.count(), passwords

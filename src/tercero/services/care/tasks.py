"""Background work of the care desk."""

from django.tasks import task

from tercero.platform.tenancy.scoping import all_clients_scope, client_scope
from tercero.services.care import automations, chat, poller
from tercero.services.care.models import Mailbox


@task
def poll_mailboxes() -> int:
    """Poll every active mailbox with IMAP settings (scheduled every minute)."""
    with all_clients_scope():
        boxes = list(Mailbox.objects.filter(is_active=True).exclude(imap_host=""))
    handled = 0
    for mailbox in boxes:
        with client_scope(clients=[mailbox.client_id]):
            report = poller.poll(mailbox=mailbox)
        handled += report.created + report.threaded + report.rejected
    return handled


@task
def end_idle_chats() -> int:
    """End chats whose customer went away (scheduled every five minutes)."""
    with all_clients_scope():
        return chat.end_idle_chats()


@task
def run_waiting_rules() -> int:
    """Automations' time rules: remind, close after business days waiting (every five
    minutes). Safe with several workers at once: each rule acts once per waiting spell."""
    return automations.run_waiting_rules()

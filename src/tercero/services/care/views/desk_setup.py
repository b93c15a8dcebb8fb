"""The care desk's set-up pages: mailboxes and macros, listed, written and changed
without Django admin. For people who set up the client's desk (`care:setup`)."""

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render

from tercero.delivery.engagements.selectors import access_engagement, engagements
from tercero.delivery.work import selectors as work_selectors
from tercero.platform.errors import DomainError
from tercero.platform.pages import page
from tercero.services.care import selectors
from tercero.services.care.services import desk_setup
from tercero.services.care.services.automations import CARE_SETUP
from tercero.services.care.views import mail_brand
from tercero.web.lists import Column, Filter, Listing

CARE_LINES = ("customer_care", "technical_support")
# what -> (its list's URL name, the list's title)
LISTS = {"mailbox": ("care:mailboxes", "Mailboxes"), "macro": ("care:macros", "Macros")}


class MailboxForm(forms.Form):
    address = forms.EmailField(label="Address", max_length=254)
    queue_id = forms.TypedChoiceField(label="Queue", coerce=int)
    work_type = forms.ChoiceField(
        label="Tickets",
        choices=(
            ("care.ticket", "Customer tickets"),
            ("support.ticket", "Technical support tickets"),
        ),
    )
    acknowledgement = forms.CharField(
        label="Acknowledgement",
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=(
            "Sent to a new ticket's customer by an automation's acknowledge action; "
            "blank sends none."
        ),
    )
    sender_name = forms.CharField(
        label="Sender name",
        required=False,
        max_length=100,
        help_text="Shown to customers as who the replies are from, e.g. Acme Support.",
    )
    sender_address = forms.EmailField(
        label="Sender address",
        required=False,
        max_length=254,
        help_text="The address replies are sent from; blank sends from the mailbox's own.",
    )
    signature_text = forms.CharField(
        label="Signature (plain text)",
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Added below each agent's reply.",
    )
    signature_html = forms.CharField(
        label="Signature (HTML)",
        required=False,
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=(
            "The same signature for mail programs that show HTML: paragraphs, bold, "
            "links; scripts, styles and images are removed. Blank: made from the plain one."
        ),
    )
    is_active = forms.BooleanField(label="Active", required=False, initial=True)
    imap_host = forms.CharField(
        label="IMAP server",
        required=False,
        max_length=200,
        help_text="Leave blank when your mail server delivers to the inbound endpoint.",
    )
    imap_port = forms.IntegerField(label="IMAP port", min_value=1, max_value=65535, initial=993)
    imap_ssl = forms.BooleanField(label="IMAP over TLS", required=False, initial=True)
    imap_user = forms.CharField(label="IMAP user", required=False, max_length=200)
    imap_password = forms.CharField(
        label="IMAP password",
        required=False,
        max_length=300,
        widget=forms.PasswordInput,
        help_text="Stored sealed and never shown; leave blank to keep the one stored.",
    )
    imap_folder = forms.CharField(label="IMAP folder", max_length=100, initial="INBOX")

    def __init__(self, *args, engagement, **kwargs):
        super().__init__(*args, **kwargs)
        queues = work_selectors.queues(
            client_ids=[engagement.client_id], engagement_id=engagement.pk, is_active=True
        ).order_by("name")
        self.fields["queue_id"].choices = [(q.pk, q.name) for q in queues]


class MacroForm(forms.Form):
    name = forms.CharField(label="Name", max_length=100)
    reply = forms.CharField(
        label="Reply", required=False, max_length=20000, widget=forms.Textarea(attrs={"rows": 6})
    )
    add_tags = forms.CharField(
        label="Tags to add", required=False, max_length=1600, help_text="Separated by commas."
    )
    set_priority = forms.TypedChoiceField(
        label="Priority",
        required=False,
        coerce=int,
        empty_value=None,
        choices=(
            ("", "Leave as it is"),
            ("1", "P1 (highest)"),
            ("2", "P2"),
            ("3", "P3"),
            ("4", "P4"),
        ),
    )
    then = forms.ChoiceField(label="Then", required=False, choices=tuple(desk_setup.THEN.items()))
    is_active = forms.BooleanField(label="Active", required=False, initial=True)


def _care_engagements(caller):
    return (
        engagements(client_ids=caller.client_ids)
        .filter(service_line__in=CARE_LINES)
        .select_related("client")
        .order_by("name")
    )


def _engagement_filter(found) -> Filter:
    names = sorted(set(found.values_list("engagement__name", "engagement_id")))
    return Filter(
        "engagement",
        "Engagement",
        tuple((str(pk), name) for name, pk in names),
        apply=lambda queryset, value: queryset.filter(engagement_id=value),
    )


def _active_filter() -> Filter:
    return Filter(
        "is_active",
        "Active",
        (("1", "Active"), ("0", "Switched off")),
        apply=lambda queryset, value: queryset.filter(is_active=value == "1"),
    )


@page(CARE_SETUP, staff=True)
def mailbox_list(request, caller):
    found = selectors.mailboxes(client_ids=caller.client_ids)
    listing = Listing(
        request,
        found,
        columns=[
            Column("address", "Address"),
            Column("engagement__name", "Engagement"),
            Column("queue__name", "Queue"),
            Column("is_active", "Active"),
        ],
        filters=[_engagement_filter(found), _active_filter()],
        search=lambda queryset, text: queryset.filter(address__icontains=text),
        search_label="Search addresses",
        default_sort="address",
    )
    if listing.wants_csv:
        return listing.csv_response("mailboxes.csv")
    return render(request, "care/mailboxes.html", {"listing": listing})


@page(CARE_SETUP, staff=True)
def macro_list(request, caller):
    found = selectors.macros(client_ids=caller.client_ids)
    listing = Listing(
        request,
        found,
        columns=[
            Column("name", "Macro"),
            Column("engagement__name", "Engagement"),
            Column("then", "Then"),
            Column("is_active", "Active"),
        ],
        filters=[_engagement_filter(found), _active_filter()],
        search=lambda queryset, text: queryset.filter(name__icontains=text),
        search_label="Search macros",
        default_sort="name",
    )
    if listing.wants_csv:
        return listing.csv_response("macros.csv")
    return render(request, "care/macros.html", {"listing": listing})


def _show_errors(form, error: DomainError) -> None:
    for name, problem in error.fields.items():
        form.add_error(name if name in form.fields else None, f"{problem}")
    if not error.fields:
        form.add_error(None, error.message)


def _chosen_engagement(request, caller):
    chosen = request.GET.get("engagement") or request.POST.get("engagement") or ""
    if not chosen.isdigit():
        return None
    return access_engagement(client_ids=caller.client_ids, engagement_id=int(chosen))


def _edit(request, *, what: str, engagement, form, save, row=None, back: str, extra=None):
    if request.method == "POST" and form.is_valid():
        try:
            saved = save(form.cleaned_data)
        except DomainError as error:
            _show_errors(form, error)
        else:
            messages.success(request, f"{what.capitalize()} saved.")
            return redirect(back, saved.pk)
    context = {"form": form, "engagement": engagement, "row": row, **_named(what), **(extra or {})}
    return render(request, "care/setup_edit.html", context)


def _named(what: str) -> dict:
    url, title = LISTS[what]
    return {"what": what, "list_url": url, "list_title": title}


def _choose(request, caller, what: str):
    context = {"engagements": _care_engagements(caller), **_named(what)}
    return render(request, "care/setup_edit.html", context)


@page(CARE_SETUP, staff=True)
def mailbox_new(request, caller):
    engagement = _chosen_engagement(request, caller)
    if engagement is None:
        return _choose(request, caller, "mailbox")
    form = MailboxForm(request.POST or None, engagement=engagement)
    return _edit(
        request,
        what="mailbox",
        engagement=engagement,
        form=form,
        save=lambda data: desk_setup.create_mailbox(
            actor=request.user, engagement=engagement, **data
        ),
        back="care:mailbox",
    )


@page(CARE_SETUP, staff=True)
def mailbox_page(request, caller, mailbox_id: int):
    box = selectors.access_mailbox(client_ids=caller.client_ids, mailbox_id=mailbox_id)
    initial = {name: getattr(box, name) for name in desk_setup.MAILBOX_FIELDS}
    form = MailboxForm(request.POST or None, initial=initial, engagement=box.engagement)
    return _edit(
        request,
        what="mailbox",
        engagement=box.engagement,
        form=form,
        row=box,
        save=lambda data: desk_setup.update_mailbox(actor=request.user, mailbox=box, **data),
        back="care:mailbox",
        extra={"signing": mail_brand.signing_context(box)},
    )


@page(CARE_SETUP, staff=True)
def macro_new(request, caller):
    engagement = _chosen_engagement(request, caller)
    if engagement is None:
        return _choose(request, caller, "macro")
    return _edit(
        request,
        what="macro",
        engagement=engagement,
        form=MacroForm(request.POST or None),
        save=lambda data: desk_setup.create_macro(
            actor=request.user, engagement=engagement, **data
        ),
        back="care:macro",
    )


@page(CARE_SETUP, staff=True)
def macro_page(request, caller, macro_id: int):
    macro = selectors.access_macro(client_ids=caller.client_ids, macro_id=macro_id)
    initial = {name: getattr(macro, name) for name in desk_setup.MACRO_FIELDS}
    initial["add_tags"] = ", ".join(macro.add_tags)
    form = MacroForm(request.POST or None, initial=initial)
    return _edit(
        request,
        what="macro",
        engagement=macro.engagement,
        form=form,
        row=macro,
        save=lambda data: desk_setup.update_macro(actor=request.user, macro=macro, **data),
        back="care:macro",
    )

"""Pages: the agents' contact desk, one verification, recent verifications for team
leads, the public page where a client's customers check who is contacting them, and the
pages where the provider (for any client it reaches) and a client's admin (for their own
company) set that public page up."""

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache

from tercero.delivery.contact import selectors, services
from tercero.delivery.contact.models import ContactVerification, VerificationPage
from tercero.delivery.work.selectors import access_item
from tercero.platform.api.caller import Caller
from tercero.platform.errors import DomainError, NotFound
from tercero.platform.identity.roles import Role
from tercero.platform.pages import page
from tercero.platform.tenancy.models import Client
from tercero.platform.tenancy.selectors import access_client, clients
from tercero.web.lists import Column, Filter, Listing

if TYPE_CHECKING:
    from tercero.delivery.work.models import WorkItem

Channel = ContactVerification.Channel
Direction = ContactVerification.Direction


class _TargetForm(forms.Form):
    client = forms.TypedChoiceField(label="Client", coerce=int)
    work_item = forms.IntegerField(
        label="Work item number (optional)", required=False, min_value=1, max_value=2**62
    )

    def __init__(
        self, *args: Any, client_choices: Sequence[tuple[int, str]] = (), **kwargs: Any
    ) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        client = self.fields["client"]
        assert isinstance(client, forms.TypedChoiceField)  # declared so above
        client.choices = client_choices


class OutboundForm(_TargetForm):
    channel = forms.ChoiceField(label="How you contact them", choices=Channel.choices)
    contact = forms.CharField(label="Their phone number or e-mail address", max_length=200)


class InboundForm(_TargetForm):
    email = forms.CharField(
        label="E-mail address on record",
        max_length=254,
        help_text="From the client's records, never one the caller dictates.",
    )


class ConfirmForm(forms.Form):
    code = forms.CharField(label="Code the caller reads to you", max_length=20)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class CheckForm(forms.Form):
    contact = forms.CharField(label="Your phone number or e-mail address", max_length=200)
    code = forms.CharField(
        label="The code they gave you, if they gave one", max_length=20, required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


def _show_refusal(form: forms.Form, error: DomainError) -> None:
    """A service's refusal on the form: beside the field it names, else above."""
    named = next((name for name in error.fields if name in form.fields), None)
    form.add_error(named, error.message)


def _work_item(caller: Caller, form: _TargetForm) -> "WorkItem | None":
    number = form.cleaned_data.get("work_item")
    if not number:
        return None
    try:
        return access_item(client_ids=caller.client_ids, item_id=number)
    except NotFound:
        raise DomainError("No such work item.", fields={"work_item": "unknown"}) from None


@never_cache
@page("work:write", staff=True)
def desk(request: HttpRequest, caller: Caller) -> HttpResponse:
    """Start a contact (a code to tell the customer) or verify a caller (a code
    e-mailed to the address on record)."""
    choices = [(c.pk, c.legal_name) for c in clients(client_ids=caller.client_ids)]
    action = request.POST.get("action") if request.method == "POST" else None
    outbound = OutboundForm(
        request.POST if action == "outbound" else None, prefix="out", client_choices=choices
    )
    inbound = InboundForm(
        request.POST if action == "inbound" else None, prefix="in", client_choices=choices
    )
    issued, status = None, 200
    if action == "outbound":
        issued = _issue(request, caller, outbound)
        status = 200 if issued else 422
    elif action == "inbound":
        started = _send(caller, inbound)
        if started is not None:
            messages.success(request, f"Code e-mailed to {started.contact_shown}.")
            return redirect("contact:verification", verification_id=started.pk)
        status = 422
    elif request.method == "POST":
        status = 422
    mine = selectors.verifications(
        client_ids=caller.client_ids, now=timezone.now(), agent_id=request.user.pk, state="active"
    )[:20]
    context = {
        "outbound": outbound,
        "inbound": inbound,
        "issued": issued,
        "mine": mine,
        "may_set_up_pages": "engagements:write" in caller.permissions,
    }
    return render(request, "contact/desk.html", context, status=status)


def _issue(request: HttpRequest, caller: Caller, form: OutboundForm) -> dict[str, Any] | None:
    if not form.is_valid():
        return None
    try:
        verification, code = services.issue_outbound(
            actor=caller.user,
            client_id=form.cleaned_data["client"],
            channel=form.cleaned_data["channel"],
            contact=form.cleaned_data["contact"],
            work_item=_work_item(caller, form),
            now=timezone.now(),
        )
    except DomainError as error:
        _show_refusal(form, error)
        return None
    page = selectors.page_of(client_id=verification.client_id)
    assert page is not None  # issue_outbound refuses a client without a live page
    return {
        "verification": verification,
        "code": code,
        "display_name": page.display_name,
        "verify_url": request.build_absolute_uri(reverse("contact:verify", args=[page.slug])),
    }


def _send(caller: Caller, form: InboundForm) -> ContactVerification | None:
    if not form.is_valid():
        return None
    try:
        return services.send_caller_code(
            actor=caller.user,
            client_id=form.cleaned_data["client"],
            email=form.cleaned_data["email"],
            work_item=_work_item(caller, form),
            now=timezone.now(),
        )
    except DomainError as error:
        _show_refusal(form, error)
        return None


@never_cache
@page("work:read", staff=True)
def verification(request: HttpRequest, caller: Caller, verification_id: int) -> HttpResponse:
    """One verification: a caller's check takes the code read back; either may end."""
    try:
        found = selectors.access_verification(
            client_ids=caller.client_ids, verification_id=verification_id
        )
    except NotFound as error:
        raise Http404(error.message) from error
    form = ConfirmForm(request.POST if request.POST.get("action") == "confirm" else None)
    status = 200
    if request.method == "POST":
        if "work:write" not in caller.permissions:
            raise DjangoPermissionDenied("This needs the 'work:write' permission.")
        done = _act(request, caller, found, form)
        if done:
            return redirect("contact:verification", verification_id=found.pk)
        status = 422
    now = timezone.now()
    context = {
        "verification": found,
        "state": found.state_at(now),
        "is_live": found.is_live(now),
        "form": form,
        "tries_left": services.MAX_WRONG_CODES - found.wrong_attempts,
    }
    return render(request, "contact/verification.html", context, status=status)


def _act(
    request: HttpRequest, caller: Caller, found: ContactVerification, form: ConfirmForm
) -> bool:
    action = request.POST.get("action")
    now = timezone.now()
    try:
        if action == "end":
            services.end_verification(actor=caller.user, verification=found, now=now)
            messages.success(request, "Ended: the code no longer works.")
            return True
        if action == "confirm" and form.is_valid():
            services.confirm_caller(
                actor=caller.user, verification=found, code=form.cleaned_data["code"], now=now
            )
            messages.success(request, "The caller is verified: the code matches.")
            return True
    except DomainError as error:
        _show_refusal(form, error)
        found.refresh_from_db()
        if error.code != "wrong_code":
            messages.error(request, error.message)
            return True
    return False


STATE_CHOICES = tuple((state, state.capitalize()) for state in selectors.STATES)


@never_cache
@page("work:assign", staff=True)
def recent(request: HttpRequest, caller: Caller) -> HttpResponse:
    """Recent verifications of the lead's clients: search by the exact phone number or
    address (matched by its keyed hash), or by agent name."""
    now = timezone.now()
    found = selectors.verifications(client_ids=caller.client_ids, now=now)
    listing = Listing(
        request,
        found,
        columns=[
            Column("created_at", "Started"),
            Column("client__legal_name", "Client"),
            Column("direction", "Direction"),
            Column("channel", "Channel"),
            Column("contact_shown", "Contact", sortable=False),
            Column("agent__full_name", "Agent"),
            Column("status", "State", value=lambda v: v.state_at(now)),
            Column("outcome", "Outcome"),
        ],
        filters=[
            Filter("direction", "Direction", tuple(Direction.choices)),
            Filter("channel", "Channel", tuple(Channel.choices)),
            Filter(
                "state",
                "State",
                STATE_CHOICES,
                apply=lambda qs, v: qs.filter(selectors.state_filter(v, now=now)),
            ),
        ],
        search=lambda qs, q: _search(qs, q, caller.client_ids),
        search_label="Phone, e-mail or agent",
        default_sort="-created_at",
    )
    if listing.wants_csv:
        return listing.csv_response("verifications.csv")
    return render(request, "contact/recent.html", {"listing": listing})


def _search(
    queryset: QuerySet[ContactVerification], query: str, client_ids: list[int]
) -> QuerySet[ContactVerification]:
    hashes = selectors.contact_hashes(client_ids=client_ids, contact=query)
    if hashes:
        return queryset.filter(contact_hash__in=hashes)
    return queryset.filter(agent__full_name__icontains=query)


@never_cache
def verify(request: HttpRequest, slug: str) -> HttpResponse:
    """Public, no sign-in: is someone from the client contacting me right now?"""
    try:
        page = selectors.public_page(slug=slug)
    except NotFound as error:
        raise Http404(error.message) from error
    form = CheckForm(request.POST if request.method == "POST" else None)
    result, refusal, status = None, "", 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                result = services.check_contact(
                    page=page,
                    contact=form.cleaned_data["contact"],
                    code=form.cleaned_data["code"],
                    ip_address=request.META.get("REMOTE_ADDR"),
                    now=timezone.now(),
                )
                status = 200
            except services.TooManyChecks as error:
                refusal, status = error.message, 429
            except DomainError as error:
                _show_refusal(form, error)
    context = {"page": page, "form": form, "result": result, "refusal": refusal}
    return render(request, "contact/verify.html", context, status=status)


# --- setting up a client's verification page --------------------------------------------


class PageForm(forms.ModelForm[VerificationPage]):
    class Meta:
        model = VerificationPage
        fields = ("display_name", "slug", "accent_colour", "support_phone", "is_active")
        labels = {
            "display_name": "Name your customers know",
            "slug": "Address of the page",
            "accent_colour": "Brand colour (optional)",
            "support_phone": "Phone number customers can call back (optional)",
            "is_active": "Live: customers can use the page",
        }
        help_texts = {
            "display_name": "Shown on the page and said by agents, e.g. Acme Bank.",
            "slug": "The part after /verify/: lower-case letters, digits and hyphens.",
            "accent_colour": "A colour such as #0b5cad, for the page's heading.",
            "support_phone": "The number printed on your cards or website.",
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    def _post_clean(self) -> None:
        """Validation is the service's (it names each field); the form only parses."""


@page("engagements:write", staff=True)
def verification_pages(request: HttpRequest, caller: Caller) -> HttpResponse:
    """Each reachable client and its verification page, or the lack of one."""
    found = {p.client_id: p for p in selectors.pages(client_ids=caller.client_ids)}
    rows = [(c, found.get(c.pk)) for c in clients(client_ids=caller.client_ids)]
    return render(request, "contact/pages.html", {"rows": rows})


@page("engagements:write", staff=True)
def verification_page_edit(request: HttpRequest, caller: Caller, client_id: int) -> HttpResponse:
    client = access_client(client_ids=caller.client_ids, client_id=client_id)
    return _page_form(request, caller, client, reverse("contact:page_edit", args=[client.pk]))


@page(staff=False)
def portal_verification_page(request: HttpRequest, caller: Caller) -> HttpResponse:
    """The client admin sets up their own company's verification page."""
    client = caller.user.client
    if caller.user.role != Role.CLIENT_ADMIN or client is None:
        raise DjangoPermissionDenied("Only your company's admin sets up its verification page.")
    return _page_form(request, caller, client, reverse("contact:portal_page"))


def _page_form(request: HttpRequest, caller: Caller, client: Client, here: str) -> HttpResponse:
    current = selectors.pages(client_ids=[client.pk]).first()
    form = PageForm(request.POST or None, instance=current)
    if request.method == "POST" and form.is_valid():
        try:
            saved = _save_page(caller, client, current, form.cleaned_data)
        except DomainError as error:
            _show_page_refusal(form, error)
        else:
            messages.success(request, f"Saved. Customers check contacts at /verify/{saved.slug}/.")
            return redirect(here)
    context = {
        "form": form,
        "client": client,
        "current": current,
        "public_url": request.build_absolute_uri(reverse("contact:verify", args=[current.slug]))
        if current
        else "",
    }
    status = 422 if request.method == "POST" else 200
    return render(request, "contact/page_form.html", context, status=status)


def _show_page_refusal(form: PageForm, error: DomainError) -> None:
    """Each invalid field's own reason beside it (422); any other refusal's sentence
    beside the field it names, e.g. an address already taken."""
    for name, reason in error.fields.items():
        message = reason if error.status == 422 and reason else error.message
        form.add_error(name if name in form.fields else None, message)
    if not error.fields:
        form.add_error(None, error.message)


def _save_page(
    caller: Caller, client: Client, current: VerificationPage | None, data: dict[str, Any]
) -> VerificationPage:
    if current is None:
        return services.create_page(actor=caller.user, client_id=client.pk, **data)
    changes = {name: value for name, value in data.items() if getattr(current, name) != value}
    return services.update_page(actor=caller.user, page=current, changes=changes)

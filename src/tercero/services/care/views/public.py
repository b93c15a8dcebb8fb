"""What customers reach without signing in: the hosted chat page, the contact form,
the chat widget's JSON endpoints and the satisfaction survey.

A channel key (or a survey link) is looked up across clients once; everything after
runs in that client's scope alone. The widget may be embedded on the client's own
site: its endpoints answer cross-origin requests from the channel's allowed origins
only, and carry no cookies (the chat token travels in a header).
"""

from functools import wraps
from pathlib import Path

from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt

from tercero.platform.api.errors import error_response
from tercero.platform.api.inputs import read_json
from tercero.platform.errors import DomainError, InvalidInput, NotFound
from tercero.platform.identity.lockout import client_ip
from tercero.platform.tenancy.scoping import all_clients_scope, client_scope
from tercero.services.care import chat, csat, selectors

WIDGET_JS = Path(__file__).resolve().parent.parent / "static" / "care" / "widget.js"
MAX_BODY = 16 * 1024


def _channel_view(view):
    """Find the channel by key (404 if unknown or closed) and run in its client scope."""

    @wraps(view)
    def wrapper(request, key: str, *args, **kwargs):
        with all_clients_scope():
            try:
                channel = selectors.web_channel(key=key)
            except NotFound as error:
                raise Http404(error.message) from error
        with client_scope(clients=[channel.client_id]):
            return view(request, channel, *args, **kwargs)

    return wrapper


def _cors(request, channel, response):
    origin = request.headers.get("Origin", "")
    if origin and origin in channel.allowed_origins:
        response["Access-Control-Allow-Origin"] = origin
        response["Access-Control-Allow-Headers"] = "Content-Type, X-Chat-Token"
        response["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
        response["Access-Control-Max-Age"] = "600"
        response["Vary"] = "Origin"
    return response


def _foreign(request, channel) -> bool:
    """A cross-origin request from a site the channel does not allow."""
    origin = request.headers.get("Origin", "")
    own = request.build_absolute_uri("/").rstrip("/")
    return bool(origin) and origin != own and origin not in channel.allowed_origins


def _json_body(request) -> dict:
    if len(request.body) > MAX_BODY:
        raise InvalidInput("The message is too large.", fields={"body": "too large"})
    data = read_json(request.body or b"{}")
    if not isinstance(data, dict):
        raise InvalidInput("The request is not a JSON object.", fields={"body": "object"})
    return data


def _api(view):
    """JSON in and out, CORS for the channel's origins, domain errors as 4xx bodies."""

    @csrf_exempt
    @never_cache
    @_channel_view
    @wraps(view)
    def wrapper(request, channel, *args, **kwargs):
        if _foreign(request, channel):
            return error_response(403, "This site may not use the chat.", code="origin")
        if request.method == "OPTIONS":
            return _cors(request, channel, HttpResponse(status=204))
        try:
            response = view(request, channel, *args, **kwargs)
        except DomainError as error:
            response = error_response(
                error.status, error.message, code=error.code, fields=error.fields
            )
        response["Cross-Origin-Resource-Policy"] = "cross-origin"
        return _cors(request, channel, response)

    return wrapper


@_api
def chat_start(request, channel):
    if request.method != "POST":
        return error_response(405, "Use POST.")
    data = _json_body(request)
    started = chat.start_chat(
        channel=channel,
        name=str(data.get("name", "")),
        email=str(data.get("email", "")),
        message=str(data.get("message", "")),
        visitor=chat.visitor_of(client_ip(request)),
    )
    return JsonResponse(
        {"token": started.token, "ticket": started.ticket.pk, "greeting": channel.greeting},
        status=201,
    )


@_api
def chat_lines(request, channel):
    session = chat.session_of(channel=channel, token=request.headers.get("X-Chat-Token", ""))
    if request.method == "POST":
        line = chat.say(session=session, text=str(_json_body(request).get("text", "")))
        return JsonResponse({"id": line.pk}, status=201)
    try:
        after = min(max(0, int(request.GET.get("after", "0"))), 2**62)
    except ValueError:
        after = 0
    return JsonResponse(
        {
            "lines": chat.transcript(session=session, after=after),
            "ended": session.ended_at is not None,
        }
    )


@_api
def chat_end(request, channel):
    if request.method != "POST":
        return error_response(405, "Use POST.")
    session = chat.session_of(channel=channel, token=request.headers.get("X-Chat-Token", ""))
    chat.end_chat(session=session)
    return JsonResponse({"ended": True})


def channel_page(view):
    """A public page of one channel (no caching of personal answers)."""
    return never_cache(_channel_view(view))


@never_cache
@_channel_view
def hosted_chat(request, channel):
    """A page of Tercero's own with the widget open: a link a client can share."""
    if not channel.has_chat:
        raise Http404("Chat is closed.")
    return render(
        request,
        "care/hosted_chat.html",
        {"channel": channel, "base": request.build_absolute_uri("/").rstrip("/")},
    )


@never_cache
@_channel_view
def contact_form(request, channel):
    if not channel.has_form:
        raise Http404("This contact form is closed.")
    values = {k: request.POST.get(k, "") for k in ("name", "email", "subject", "message")}
    errors, made = {}, None
    if request.method == "POST":
        try:
            made = chat.submit_form(channel=channel, **values)
        except DomainError as error:  # shown beside the fields, what was typed kept
            errors = {"message": error.message, "fields": error.fields}
    context = {"channel": channel, "values": values, "errors": errors, "made": made}
    return render(request, "care/form.html", context)


def widget_js(request):
    """The embeddable widget: one small script, no dependencies, CSP-clean."""
    response = HttpResponse(WIDGET_JS.read_bytes(), content_type="text/javascript")
    response["Cross-Origin-Resource-Policy"] = "cross-origin"
    response["Cache-Control"] = "public, max-age=300"
    return response


@never_cache
def survey(request, signed: str):
    """One satisfaction survey. Opening the link shows the chosen score; only the
    button (a POST) records it, so link scanners in mail systems answer nothing."""
    with all_clients_scope():
        try:
            found = csat.survey_of(signed)
        except NotFound as error:
            raise Http404(error.message) from error
    with client_scope(clients=[found.client_id]):
        score = request.POST.get("score") or request.GET.get("score", "")
        context = {"survey": found, "score": score, "scores": csat.SCORES, "error": ""}
        status = 200
        if found.answered_at is None and found.expires_at <= timezone.now():
            context["error"] = "This survey has expired. Thank you all the same."
            status = 410
        elif request.method == "POST":
            try:
                csat.answer(survey=found, score=score, comment=request.POST.get("comment", ""))
                found.refresh_from_db()
            except DomainError as error:
                context["error"], status = error.message, error.status
        context["show_form"] = found.answered_at is None and status != 410
        return render(request, "care/survey.html", context, status=status)

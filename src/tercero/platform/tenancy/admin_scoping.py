"""Django admin with one door and one working client.

- Nobody signs in here: the admin's sign-in page hands the browser to /login/ (password,
  second factor, lockout, audit) and its password page to /account/password/. API
  tokens open no admin page (ClientScopeMiddleware refuses them off /api/).
- A signed-in person who may not use the admin (anyone but a provider admin) gets 404.
- Each admin request runs in the scope of ONE client: the working client, chosen among
  the person's granted clients (the request's scope) and kept in the session. Every
  list, form choice and save of a `ScopedAdmin` sees that client alone; another
  client's row is 404, and a form naming another client's id is refused (422).
"""

from collections.abc import Callable
from functools import update_wrapper
from typing import Any, cast

from django.conf import settings
from django.contrib import admin
from django.contrib.admin.models import LogEntry
from django.contrib.admin.utils import get_fields_from_path
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.views import redirect_to_login
from django.db import models
from django.db.models import QuerySet
from django.db.models.fields.related import RelatedField
from django.forms import ModelChoiceField, ModelMultipleChoiceField
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
)
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.template.response import SimpleTemplateResponse
from django.urls import URLPattern, URLResolver, path, reverse
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache

from tercero.platform.identity.models import User
from tercero.platform.identity.selectors import visible_users
from tercero.platform.tenancy.models import Client
from tercero.platform.tenancy.scoping import client_scope, clients_in_scope

# The session's working client in the admin (a client id).
WORKING_CLIENT = "admin_working_client"
_RECENT_ACTIONS = 10

View = Callable[..., HttpResponseBase]


class ScopedAdminSite(admin.AdminSite):
    site_header = "Tercero administration"
    site_title = "Tercero admin"

    def has_permission(self, request: HttpRequest) -> bool:
        return getattr(request, "api_token", None) is None and super().has_permission(request)

    def admin_view[V: View](self, view: V, cacheable: bool = False) -> V:
        checked = super().admin_view(_in_working_client(view), cacheable)

        def door(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not request.user.is_authenticated:
                return self._sign_in_first(request, request.get_full_path())
            if not self.has_permission(request):
                raise Http404("No such page.")
            return checked(request, *args, **kwargs)

        return cast(V, update_wrapper(door, checked))  # the view, behind the door

    def get_urls(self) -> list[URLResolver | URLPattern]:
        choose = self.admin_view(self.choose_working_client)
        return [path("working-client/", choose, name="working_client"), *super().get_urls()]

    def each_context(self, request: HttpRequest) -> dict[str, Any]:
        return {
            **super().each_context(request),
            "working_client": getattr(request, "working_client", None),
            "working_clients": getattr(request, "working_clients", []),
        }

    @method_decorator(never_cache)
    @login_not_required
    def login(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        """Signs nobody in: the one sign-in is /login/, with its second factor,
        lockout and audit."""
        return self._sign_in_first(request, request.GET.get("next", ""))

    def password_change(  # type: ignore[override]  # a redirect to the one password page
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        return redirect("password_change")

    def password_change_done(  # type: ignore[override]  # the same redirect
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        return redirect("password_change")

    def choose_working_client(self, request: HttpRequest) -> HttpResponse:
        """Work in another of the person's granted clients (POST `working_client`)."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        wanted = request.POST.get("working_client", "")
        granted: list[Client] = getattr(request, "working_clients", [])
        chosen = next((c for c in granted if str(c.pk) == wanted), None)
        if chosen is None:
            raise Http404("Client not found.")
        request.session[WORKING_CLIENT] = chosen.pk
        return HttpResponseRedirect(reverse("admin:index", current_app=self.name))

    def get_log_entries(self, request: HttpRequest) -> QuerySet[LogEntry]:
        """Recent actions name only rows of the working client."""
        entries = super().get_log_entries(request)
        user = request.user
        if not isinstance(user, User):
            return entries.none()  # the admin's door lets nobody else in
        recent = entries.filter(user=user).order_by("-action_time")[:_RECENT_ACTIONS]
        return entries.filter(pk__in=[e.pk for e in recent if self._is_in_scope(request, e)])

    def _is_in_scope(self, request: HttpRequest, entry: LogEntry) -> bool:
        model = entry.content_type.model_class() if entry.content_type else None
        model_admin = self._registry.get(model) if model is not None else None
        if model_admin is None:
            return False
        return model_admin.get_queryset(request).filter(pk=entry.object_id).exists()

    def _sign_in_first(self, request: HttpRequest, target: str) -> HttpResponseRedirect:
        index = reverse("admin:index", current_app=self.name)
        safe = url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
        if not safe or request.path_info == reverse("admin:logout", current_app=self.name):
            target = index
        return redirect_to_login(target, settings.LOGIN_URL)


def _in_working_client(view: View) -> View:
    """Run `view` (and render its page) in the scope of the working client alone."""

    def scoped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        granted = list(Client.objects.filter(pk__in=clients_in_scope() or []))
        wanted = request.session.get(WORKING_CLIENT)
        chosen = next((c for c in granted if c.pk == wanted), granted[0] if granted else None)
        # read by the admin's pages (each_context) and its forms' initial client
        setattr(request, "working_clients", granted)  # noqa: B010
        setattr(request, "working_client", chosen)  # noqa: B010
        with client_scope(clients=[chosen] if chosen else []):
            response = view(request, *args, **kwargs)
            if isinstance(response, SimpleTemplateResponse):
                response.render()
        return response

    return update_wrapper(scoped, view)


def in_working_client[M: models.Model](queryset: QuerySet[M], *, user: User) -> QuerySet[M]:
    """`queryset` cut to what the working client may offer: that client itself, its
    rows, and the people visible from it (provider staff and the client's own users)."""
    clients = clients_in_scope() or []
    model = queryset.model
    if model is Client:
        return queryset.filter(pk__in=clients)
    if model is get_user_model():
        return queryset.filter(pk__in=visible_users(user=user, client_ids=clients).values("pk"))
    if _has_client_key(model):
        return queryset.filter(client_id__in=clients)
    return queryset


def _has_client_key(model: type[models.Model]) -> bool:
    return any(field.name == "client" for field in model._meta.concrete_fields)


class ScopedAdmin(admin.ModelAdmin[Any]):
    """Base of every admin class: lists, objects, choices and saves of the working
    client only."""

    client_field = "client_id"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        reachable = clients_in_scope() or []
        return super().get_queryset(request).filter(**{f"{self.client_field}__in": reachable})

    def get_object(
        self, request: HttpRequest, object_id: str, from_field: str | None = None
    ) -> Any:
        found = super().get_object(request, object_id, from_field)
        if found is None:
            # another client's row does not exist here: 404, as on every other route
            raise Http404("Not found.")
        return found

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        initial = super().get_changeform_initial_data(request)
        working = getattr(request, "working_client", None)
        if working is not None and _has_client_key(self.model):
            initial.setdefault("client", working.pk)
        return initial

    def formfield_for_foreignkey(
        self, db_field: models.ForeignKey[Any, Any], request: HttpRequest, **kwargs: Any
    ) -> ModelChoiceField[Any] | None:
        kwargs["queryset"] = self._choices(db_field, request, kwargs)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(
        self, db_field: models.ManyToManyField[Any, Any], request: HttpRequest, **kwargs: Any
    ) -> ModelMultipleChoiceField[Any] | None:
        kwargs["queryset"] = self._choices(db_field, request, kwargs)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def get_list_filter(self, request: HttpRequest) -> Any:
        """A filter on a relation lists only related rows of this list (the working
        client's), never every row of the related table."""
        return [
            (name, admin.RelatedOnlyFieldListFilter) if self._is_relation(name) else name
            for name in super().get_list_filter(request)
        ]

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Any = None,
    ) -> HttpResponse:
        response = super().render_change_form(request, context, add, change, form_url, obj)
        if request.method == "POST" and context.get("errors"):
            response.status_code = 422  # refused input: a 4xx, and nothing was saved
        return response

    def _choices(
        self,
        db_field: RelatedField[Any, Any],
        request: HttpRequest,
        kwargs: dict[str, Any],
    ) -> QuerySet[Any]:
        using = kwargs.get("using")
        queryset = kwargs.get("queryset")
        if queryset is None:
            queryset = self.get_field_queryset(using, db_field, request)
        if queryset is None:
            queryset = db_field.remote_field.model._default_manager.using(using).all()
        user = request.user
        if not isinstance(user, User):
            raise Http404("No such page.")  # the admin's door lets nobody else in
        return in_working_client(queryset, user=user)

    def _is_relation(self, name: object) -> bool:
        return isinstance(name, str) and get_fields_from_path(self.model, name)[-1].is_relation

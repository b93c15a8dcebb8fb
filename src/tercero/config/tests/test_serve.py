"""`tercero serve` and `tercero demo` tell people where to sign in: the address they
really use (PUBLIC_BASE_URL) or the one served on, never a fixed 127.0.0.1:8000; and the
app is loaded and warmed before the first request."""

from typing import Any

import pytest

from tercero.config.management.commands.serve import Command, login_url


@pytest.mark.parametrize(
    ("public", "bind", "shown"),
    [
        ("https://ops.example.com/", "127.0.0.1:8000", "https://ops.example.com/login/"),
        ("", "10.0.0.5:9000", "http://10.0.0.5:9000/login/"),
        ("", "0.0.0.0:8080", "http://127.0.0.1:8080/login/"),
    ],
)
def test_the_sign_in_address_follows_the_public_url_or_the_bind(monkeypatch, public, bind, shown):
    monkeypatch.setenv("PUBLIC_BASE_URL", public)
    assert login_url(bind) == shown


def test_the_web_server_loads_the_app_before_forking_its_workers(monkeypatch):
    started: dict[str, list[str]] = {}
    monkeypatch.setattr(
        "tercero.config.management.commands.serve._spawn",
        lambda command: started.setdefault(command[2], command),
    )
    Command._start({"bind": "127.0.0.1:8123", "web_workers": 2})
    assert "--preload" in started["gunicorn"]


def test_loading_the_app_warms_the_url_map_and_page_templates():
    from django.template import engines
    from django.urls import get_resolver

    from tercero.config import wsgi

    wsgi.warm()
    resolver: Any = get_resolver()
    assert resolver._populated
    django_engine: Any = engines["django"]
    loader = django_engine.engine.template_loaders[0]
    assert any("web/base.html" in str(key) for key in loader.get_template_cache)


def test_each_task_queue_gets_its_own_worker_so_the_outbox_never_waits_behind_long_jobs(
    monkeypatch, settings
):
    started: list[list[str]] = []

    def spawn(command: list[str]) -> list[str]:
        started.append(command)
        return command

    monkeypatch.setattr("tercero.config.management.commands.serve._spawn", spawn)
    Command._start({"bind": "127.0.0.1:8123", "web_workers": 2})
    workers = [c for c in started if c[2:4] == ["tercero", "worker"]]
    taken = sorted(c[c.index("--queue-name") + 1] for c in workers)
    assert taken == sorted(settings.TASKS["default"]["QUEUES"])

    from tercero.delivery.work import tasks

    assert tasks.consume_events.queue_name == "events"
    assert tasks.send_webhooks.queue_name == "webhooks"

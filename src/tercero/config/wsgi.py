import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tercero.config.settings")
application = get_wsgi_application()


def warm() -> None:
    """Do once, before any request, what the first request would otherwise pay for: the
    URL map and the shared page templates. Opens no database connection, so a server
    that loads the app before forking its workers (gunicorn --preload) hands each a warm
    copy."""
    from django.template.loader import get_template
    from django.urls import get_resolver

    get_resolver()._populate()
    for name in ("web/base.html", "config/login.html", "404.html", "403.html"):
        get_template(name)


warm()

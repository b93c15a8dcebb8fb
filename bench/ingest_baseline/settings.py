"""Settings of the bare view: Django's own PostgreSQL or SQLite backend with the
connection settings Tercero uses (persistent connections, server-side binding, SQLite's
pragmas), no middleware, no sessions, no authentication."""

import os

from tercero.config import settings as tercero_settings

SECRET_KEY = "bench-only-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = "ingest_baseline.urls"
INSTALLED_APPS = ["ingest_baseline"]
MIDDLEWARE: list[str] = []
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
DATA_UPLOAD_MAX_MEMORY_SIZE = tercero_settings.DATA_UPLOAD_MAX_MEMORY_SIZE

_database = dict(tercero_settings.DATABASES["default"])
_database["ENGINE"] = (
    "django.db.backends.postgresql"
    if os.environ.get("DATABASE_URL", "").startswith("postgres")
    else "django.db.backends.sqlite3"
)
DATABASES = {"default": _database}

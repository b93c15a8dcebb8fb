"""Each pytest-xdist worker gets a var directory of its own: its keys, media, mail and
SQLite files, as two runs side by side each have theirs (`make test` splits the
PostgreSQL run over two workers; tools/testrun.py). Loaded with `-p tests.workers`, so
that it runs before Django reads its settings, which take the directory from
TERCERO_VAR_DIR."""

import os
from pathlib import Path

WORKER = os.environ.get("PYTEST_XDIST_WORKER")
if WORKER:
    base = Path(os.environ.get("TERCERO_VAR_DIR", Path.cwd() / "var"))
    os.environ["TERCERO_VAR_DIR"] = str(base / WORKER)

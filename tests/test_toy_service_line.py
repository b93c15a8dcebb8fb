"""A new service line is one folder plus one line in settings (tests/toyline/): with
nothing else changed it gets navigation, API, permissions, pages, the isolation matrix,
engagements and the demo. Run in a process of its own, under the settings that install
it."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from tests import migrated_db

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.every_engine
def test_a_service_line_from_one_folder_and_one_settings_line_gets_everything():
    # the same engine as this run, in a test database and a var directory of its own,
    # kept for the next run as this run's are, so that it too can start from its
    # migrated copy (tests/migrated_db.py)
    # It starts from this run's migrated copy when it has none of its own (a fresh
    # clone), with this run's keys, so that it migrates only the toy line's tables.
    var = Path(settings.VAR_DIR) / "toyline"
    var.mkdir(parents=True, exist_ok=True)
    for key in Path(settings.VAR_DIR).glob("*_key*"):
        if key.is_file():
            shutil.copy2(key, var / key.name)
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("LOG_FILE", "TERCERO_DATABASE_TESTS_ONLY")  # it runs all it names
    }
    if env.get("TERCERO_TEST_DB"):
        env["TERCERO_TEST_DB"] += "_toyline"
    env |= {
        "DJANGO_SETTINGS_MODULE": "tests.toyline.settings",
        "TERCERO_VAR_DIR": str(var),
        "TERCERO_TEST_BASE_DB": migrated_db.kept(connection),
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")])),
    }
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-o",
            "python_files=check_*.py test_*.py",
            "tests/toyline/check_toy_line.py",
            "tests/test_isolation_matrix.py::test_every_route_is_in_the_matrix",
            "tests/test_isolation_matrix.py::test_outsiders_get_404_for_another_clients_object",
            "tests/test_isolation_matrix.py::test_outsiders_get_404_pages_for_another_clients_object",
            "-k",
            "toy or errand or every_route",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert "7 passed" in run.stdout, run.stdout[-2000:]

"""Starting the app must not load the solver, SciPy or statsmodels: every web and worker
process pays for what set-up imports (about 0.7 s and 85 MB for these three), and only a
forecast, a staffing level, a pool check or a schedule build needs them."""

import json
import os
import subprocess
import sys

HEAVY = ("ortools", "scipy", "statsmodels", "ciw")

SET_UP = (
    "import json, sys, django; django.setup(); "
    f"print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))"
)


def test_django_set_up_leaves_the_heavy_libraries_unloaded():
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "tercero.config.settings"}
    done = subprocess.run(
        [sys.executable, "-c", SET_UP],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    loaded = json.loads(done.stdout.strip().splitlines()[-1])
    assert loaded == []


def test_the_heavy_libraries_load_when_a_schedule_is_built():
    """The other side of the rule: the builder still reaches the solver when it runs."""
    probe = (
        "import json, sys, django; django.setup(); "
        "from tercero.delivery.scheduling import building; "
        "print(json.dumps('ortools' in sys.modules))"
    )
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "tercero.config.settings"}
    done = subprocess.run(
        [sys.executable, "-c", probe],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert json.loads(done.stdout.strip().splitlines()[-1]) is True

"""A PostgreSQL dump of the demo database holds no national id, bank account or card
number in clear (the demo keys them in; they must be sealed or cut)."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


def _owner() -> str:
    import dj_database_url

    return dj_database_url.parse(os.environ["DATABASE_URL"])["USER"] or "root"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_dump_of_the_demo_database_holds_no_personal_data_in_clear(tmp_path):
    # protects: PCI DSS 3.5 / ASVS 14.2 - stored personal data is unreadable without keys
    if shutil.which("pg_dump") is None:
        pytest.fail("pg_dump is needed (Debian: postgresql-client)")
    call_command("demo", verbosity=0)
    settings = connection.settings_dict
    dump = tmp_path / "demo.sql"
    subprocess.run(
        [
            "pg_dump",
            "--no-owner",
            "-h",
            settings["HOST"] or "127.0.0.1",
            "-p",
            str(settings["PORT"] or 5432),
            "-U",
            # backups run as the owner (a superuser or BYPASSRLS role): the tests'
            # application role sees no rows through row-level security
            _owner(),
            "-f",
            str(dump),
            settings["NAME"],
        ],
        check=True,
    )
    assert dump.stat().st_size > 10_000
    # the demo really keyed those values in: they are sealed, not absent
    assert dump.read_text().count("enc1:") >= 24 * 4
    scan = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "plaintext_scan.py"), str(dump)],
        capture_output=True,
        text=True,
    )
    assert scan.returncode == 0, scan.stdout


def test_the_scanner_finds_what_it_looks_for(tmp_path):
    # protects: the scan above (a scanner that finds nothing proves nothing)
    sample = tmp_path / "leak.log"
    sample.write_text("paid 5500 0000 0000 0004 for QQ123456C into DE89370400440532013000\n")
    scan = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "plaintext_scan.py"), str(sample)],
        capture_output=True,
        text=True,
    )
    assert scan.returncode == 1
    assert "national id 'QQ123456C'" in scan.stdout
    assert "bank account" in scan.stdout
    assert "ending 0004" in scan.stdout

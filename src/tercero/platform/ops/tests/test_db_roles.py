"""The application's role is created once however many processes set up databases at
the same moment (e.g. the test suite's workers, or two `tercero db grant`)."""

import threading

import psycopg
import pytest
from django.db import connection

from tercero.platform.ops.database import create_role_sql

pytestmark = pytest.mark.postgres


def _owner_conninfo() -> str:
    import os

    import dj_database_url

    db = connection.settings_dict
    owner = dj_database_url.parse(os.environ["DATABASE_URL"])["USER"]
    return psycopg.conninfo.make_conninfo(
        dbname=db["NAME"], host=db["HOST"] or "", port=db["PORT"] or "", user=owner
    )


def test_two_processes_creating_the_role_at_once_both_succeed(db):
    # given two owner connections, each about to create the same new role
    conninfo = _owner_conninfo()
    sessions = [psycopg.connect(conninfo, autocommit=True) for _ in range(2)]
    failures: list[BaseException] = []
    try:
        for round_ in range(10):
            name = f"tercero_race_{round_}"
            for session in sessions:
                session.execute(f"DROP ROLE IF EXISTS {name}")
            start = threading.Barrier(2)

            def create(
                session: psycopg.Connection, name: str = name, start: threading.Barrier = start
            ) -> None:
                start.wait()
                try:
                    session.execute(create_role_sql(name))
                except BaseException as error:  # reported below
                    failures.append(error)

            threads = [threading.Thread(target=create, args=(s,)) for s in sessions]
            # when both create it at the same moment
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            # then neither fails and the role exists once
            assert not failures, failures
            found = sessions[0].execute("SELECT count(*) FROM pg_roles WHERE rolname = %s", [name])
            assert found.fetchone() == (1,)
    finally:
        for round_ in range(10):
            sessions[0].execute(f"DROP ROLE IF EXISTS tercero_race_{round_}")
        for session in sessions:
            session.close()

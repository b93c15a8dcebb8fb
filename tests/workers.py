"""Each pytest-xdist worker gets a var directory of its own: its media, mail and SQLite
files, as two runs side by side each have theirs (`make test` splits each engine's run
over two workers; tools/testrun.py). Loaded with `-p tests.workers`, so that it runs
before Django reads its settings, which take the directory from TERCERO_VAR_DIR.

The workers of one run share one set of embedded keys, made once in the run's own var
directory and copied into each worker's, so that they build the same database from the
migrations: the first to set up migrates and keeps a copy, the others start from it
(tests/migrated_db.py)."""

import base64
import contextlib
import os
import secrets
import shutil
from pathlib import Path

WORKER = os.environ.get("PYTEST_XDIST_WORKER")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _spec(prefix: str) -> str:
    return f"{prefix}{secrets.token_hex(4)}:{_b64(secrets.token_bytes(32))}"


# The embedded keys, in the form each one's owner writes when it makes its own
# (settings, security.keyring, audit.keys, tenancy.scope_key): a key file that does not
# read back fails the run's first test that uses it.
EMBEDDED_KEYS = {
    "secret_key": lambda: secrets.token_urlsafe(50),
    "master_keys": lambda: _spec("m"),
    "audit_chain_keys": lambda: _spec("c"),
    "audit_signing_keys": lambda: _spec("s"),
    "scope_key": lambda: _b64(secrets.token_bytes(32)),
}


def share_keys(base: Path, worker_dir: Path) -> None:
    """Copy the run's embedded keys into a worker's directory, making each once."""
    worker_dir.mkdir(parents=True, exist_ok=True)
    for name, make in EMBEDDED_KEYS.items():
        shared = base / name
        if not shared.exists():
            draft = base / f"{name}.{os.getpid()}"
            fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(make() + "\n")
            try:
                # another worker's key may have got there first: then every worker uses it
                with contextlib.suppress(FileExistsError):
                    os.link(draft, shared)
            finally:
                draft.unlink()
        if not (worker_dir / name).exists():
            shutil.copy2(shared, worker_dir / name)


if WORKER:
    base = Path(os.environ.get("TERCERO_VAR_DIR", Path.cwd() / "var")).resolve()
    os.environ["TERCERO_VAR_DIR"] = str(base / WORKER)
    share_keys(base, base / WORKER)

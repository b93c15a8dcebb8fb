"""Signed checkpoints, kept outside the database, pin the chain: cutting off the newest
events or rewriting the chain below a checkpoint is named, and a checkpoint line that
was altered does not verify."""

import json
import os
import re
import shutil
import stat

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.core.management import CommandError, call_command
from django.utils import timezone

from tercero.platform.audit import checkpoints, keys, tasks
from tercero.platform.audit.models import AuditCheckpoint, AuditEvent
from tercero.platform.audit.services import record, write_checkpoints
from tercero.platform.ops import scheduler
from tercero.platform.security.keyring import unb64
from tercero.platform.tenancy.scoping import all_clients_scope


def _write_events(count: int, client) -> None:
    for number in range(count):
        record(action="test.thing.happened", client=client, payload={"n": number})


def _verify_output(*args: str) -> str:
    with pytest.raises(CommandError) as failure:
        call_command("audit", "verify", *args)
    return str(failure.value)


def _lines() -> list[dict]:
    return [json.loads(line) for line in checkpoints.file_path().read_text().splitlines()]


def test_deleting_the_newest_events_below_a_checkpoint_is_named(transactional_db, tenant_a, tamper):
    # given
    _write_events(6, tenant_a.client)
    write_checkpoints(now=timezone.now())

    # when: the last two events are deleted
    tamper("DELETE FROM audit_auditevent WHERE sequence >= 5")

    # then
    output = _verify_output()
    assert "Audit chain broken at sequence 5: the chain ends at sequence 4" in output
    assert "pins sequence 6 (newest events deleted)" in output


def test_a_keyless_rewrite_of_the_whole_chain_is_named_at_the_checkpoint(
    transactional_db, tenant_a, rehash
):
    # given
    _write_events(5, tenant_a.client)
    write_checkpoints(now=timezone.now())

    # when: every event is rewritten as if written before keying, consistent in itself
    rehash(1, action="test.nothing.happened", key=None, key_id="")

    # then
    output = _verify_output()
    assert "Audit chain broken at sequence 5: differs from the checkpoint signed" in output


def test_a_tampered_checkpoint_line_does_not_verify(tenant_a):
    # given
    _write_events(3, tenant_a.client)
    write_checkpoints(now=timezone.now())
    first = _lines()[0]

    # when: the line is changed to pin an earlier head
    first["sequence"], first["count"] = 2, 2
    checkpoints.file_path().write_text(json.dumps(first) + "\n")

    # then
    output = _verify_output()
    assert "checkpoint line 1: its signature does not verify" in output


def test_checkpoints_are_appended_and_never_rewritten(tenant_a):
    # given
    _write_events(2, tenant_a.client)
    write_checkpoints(now=timezone.now())
    before = checkpoints.file_path().read_bytes()

    # when
    _write_events(1, tenant_a.client)
    write_checkpoints(now=timezone.now())

    # then
    after = checkpoints.file_path().read_bytes()
    assert after.startswith(before)
    assert [(line["scope"], line["sequence"]) for line in _lines()] == [
        ("chain", 2),
        ("client", 2),
        ("chain", 3),
        ("client", 3),
    ]


def test_verify_names_a_truncation_against_a_held_copy_of_the_checkpoints(
    transactional_db, tenant_a, tamper, tmp_path, capsys
):
    # given: a client kept a copy; then the server's own file is removed
    _write_events(4, tenant_a.client)
    write_checkpoints(now=timezone.now())
    held = tmp_path / "held.jsonl"
    shutil.copy(checkpoints.file_path(), held)
    checkpoints.file_path().unlink()

    # when
    tamper("DELETE FROM audit_auditevent WHERE sequence = 4")

    # then
    call_command("audit", "verify")
    assert "No signed checkpoint" in capsys.readouterr().out
    output = _verify_output("--checkpoints", str(held))
    assert "Audit chain broken at sequence 4: the chain ends at sequence 3" in output


def test_each_client_gets_a_checkpoint_of_its_latest_event_when_it_moved(tenant_a, tenant_b):
    # given
    a_first = record(action="test.thing.happened", client=tenant_a.client)
    b_first = record(action="test.thing.happened", client=tenant_b.client)
    record(action="site.created")

    # when
    first = write_checkpoints(now=timezone.now())
    unchanged = write_checkpoints(now=timezone.now())
    a_second = record(action="test.thing.happened", client=tenant_a.client)
    moved = write_checkpoints(now=timezone.now())

    # then
    with all_clients_scope():
        head = AuditEvent.objects.get(sequence=3)
    assert [(c.scope, c.client_id, c.sequence, c.count, c.hash) for c in first] == [
        ("chain", None, 3, 3, head.hash),
        ("client", tenant_a.client.pk, 1, 1, a_first.hash),
        ("client", tenant_b.client.pk, 2, 1, b_first.hash),
    ]
    assert [(c.scope, c.sequence) for c in unchanged] == [("chain", 3)]
    assert [(c.scope, c.client_id, c.sequence, c.count) for c in moved] == [
        ("chain", None, 4, 4),
        ("client", tenant_a.client.pk, 4, 2),
    ]
    assert a_second.sequence == 4
    with all_clients_scope():
        kept = list(AuditCheckpoint.objects.values_list("client_id", "sequence", "document"))
    assert kept == [
        (tenant_a.client.pk, 4, moved[1].line()),
        (tenant_b.client.pk, 2, first[2].line()),
        (tenant_a.client.pk, 1, first[1].line()),
    ]
    assert len(_lines()) == 6


def test_an_empty_chain_gets_no_checkpoint(db):
    assert write_checkpoints(now=timezone.now()) == []
    assert not checkpoints.file_path().exists()


def test_the_published_public_key_verifies_a_checkpoint(tenant_a, capsys):
    # given
    _write_events(1, tenant_a.client)
    signed = write_checkpoints(now=timezone.now())[0]

    # when
    call_command("audit", "public-key")

    # then: a client verifies with the printed key alone, as docs/security.md says
    key_id, text = capsys.readouterr().out.split()
    line = _lines()[0]
    signature = unb64(line.pop("signature"))
    message = json.dumps(line, sort_keys=True, separators=(",", ":")).encode()
    Ed25519PublicKey.from_public_bytes(unb64(text)).verify(signature, message)
    assert key_id == signed.signing_key_id


def test_the_checkpoint_command_signs_the_head_now(tenant_a, capsys):
    # given
    _write_events(2, tenant_a.client)

    # when
    call_command("audit", "checkpoint")

    # then
    out = capsys.readouterr().out
    assert "Checkpoint of sequence 2 signed with key" in out
    assert "and 1 client checkpoints" in out
    assert [line["sequence"] for line in _lines()] == [2, 2]


def test_the_scheduler_signs_a_checkpoint_every_ten_minutes():
    registered = {job.name: job for job in scheduler.jobs()}
    assert registered["audit_checkpoint"].every_seconds == 600
    assert registered["audit_checkpoint"].task is tasks.write_checkpoints


def test_embedded_keys_are_made_once_readable_by_the_owner_only(
    settings, tmp_path, monkeypatch, fresh_keys
):
    # given
    settings.VAR_DIR = tmp_path
    monkeypatch.delenv("AUDIT_CHAIN_KEYS", raising=False)
    monkeypatch.delenv("AUDIT_SIGNING_KEYS", raising=False)

    # when
    chain_key = keys.active_chain_key()
    signing_key_ids = list(keys.signing_keys())
    keys.chain_keys.cache_clear()
    keys.active_chain_key.cache_clear()

    # then
    assert keys.active_chain_key() == chain_key
    for name in ("audit_chain_keys", "audit_signing_keys"):
        assert stat.S_IMODE(os.stat(tmp_path / name).st_mode) == 0o600
    assert re.fullmatch(r"c[0-9a-f]{8}", chain_key[0])
    assert [re.fullmatch(r"s[0-9a-f]{8}", key_id) is not None for key_id in signing_key_ids] == [
        True
    ]

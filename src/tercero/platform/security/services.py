"""Reveal grants and the key life cycle. Each change writes its audit event."""

from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from tercero.platform.audit.services import record
from tercero.platform.errors import InvalidInput, PermissionDenied
from tercero.platform.security import crypto, keyring, misuse, sealed
from tercero.platform.security.models import DataKey, RevealGrant, SecurityAlert

if TYPE_CHECKING:
    from tercero.platform.identity.models import User

REVEAL_PERMISSION = "personal:reveal"
BATCH = 200


# --- reveal ------------------------------------------------------------------------------


def reveal_seconds() -> int:
    return int(getattr(settings, "REVEAL_SECONDS", 300))


def request_reveal(
    *,
    actor: "User",
    client_id: int,
    object_type: str,
    object_id: int,
    reason: str,
    step_up: bool = False,
) -> RevealGrant:
    """Let `actor` see one record's personal data for REVEAL_SECONDS. With `step_up`
    (the actor has an open misuse alert) the grant waits for a supervisor."""
    if REVEAL_PERMISSION not in actor.permissions:
        raise PermissionDenied("Your role may not reveal personal data.")
    reason = (reason or "").strip()
    if len(reason) < 5:
        raise InvalidInput(
            "Say why you need to see this (at least 5 characters).", fields={"reason": "required"}
        )
    now = timezone.now()
    status = RevealGrant.Status.PENDING if step_up else RevealGrant.Status.GRANTED
    with transaction.atomic():
        grant = RevealGrant.objects.create(
            client_id=client_id,
            user=actor,
            object_type=object_type,
            object_id=object_id,
            reason=reason[:500],
            status=status,
            created_at=now,
            expires_at=now + timedelta(seconds=reveal_seconds()),
        )
        record(
            action=f"{object_type}.revealed" if not step_up else f"{object_type}.reveal_requested",
            actor=actor,
            client=client_id,
            object_type=object_type,
            object_id=object_id,
            reason=grant.reason,
            payload={"grant_id": grant.pk, "seconds": reveal_seconds()},
        )
    return grant


def decide_reveal(*, actor: "User", grant: RevealGrant, approve: bool) -> RevealGrant:
    """A supervisor approves or refuses a pending reveal; an approval starts the clock."""
    if "work:assign" not in actor.permissions or actor.pk == grant.user_id:
        raise PermissionDenied("A supervisor other than the requester decides.")
    if grant.status != RevealGrant.Status.PENDING:
        raise InvalidInput("This request was already decided.", code="already_decided")
    now = timezone.now()
    grant.status = RevealGrant.Status.GRANTED if approve else RevealGrant.Status.REFUSED
    grant.decided_by = actor
    grant.expires_at = now + timedelta(seconds=reveal_seconds())
    with transaction.atomic():
        grant.save(update_fields=["status", "decided_by", "expires_at"])
        record(
            action="reveal.approved" if approve else "reveal.refused",
            actor=actor,
            client=grant.client_id,
            object_type=grant.object_type,
            object_id=grant.object_id,
            payload={"grant_id": grant.pk, "user_id": grant.user_id},
        )
    return grant


def live_grant(*, user: "User", object_type: str, object_id: int) -> RevealGrant | None:
    return (
        RevealGrant.objects.filter(
            user=user,
            object_type=object_type,
            object_id=object_id,
            status=RevealGrant.Status.GRANTED,
            expires_at__gt=timezone.now(),
        )
        .order_by("-expires_at")
        .first()
    )


# --- keys --------------------------------------------------------------------------------


def rotate_keys(*, actor: "User | None", client_id: int) -> DataKey:
    """A new active data key for the client; the old ones stay readable until the
    re-encryption has moved every value off them and they are retired."""
    with transaction.atomic():
        current = (
            DataKey.objects.select_for_update()
            .filter(client_id=client_id, purpose=DataKey.Purpose.DATA)
            .order_by("-version")
        )
        latest = current.first()
        current.filter(state=DataKey.State.ACTIVE).update(state=DataKey.State.READABLE)
        version = (latest.version if latest else 0) + 1
        master_id, wrapped = keyring.wrap(
            keyring.new_key(),
            context=crypto.key_context(client_id, DataKey.Purpose.DATA, version),
        )
        key = DataKey.objects.create(
            client_id=client_id,
            purpose=DataKey.Purpose.DATA,
            version=version,
            master_id=master_id,
            wrapped=wrapped,
        )
        _rewrap_index_key(client_id)
        record(
            action="keys.rotated",
            actor=actor,
            client=client_id,
            object_type="data_key",
            object_id=key.pk,
            payload={"version": version},
        )
    crypto.forget_keys(client_id)
    return key


def _rewrap_index_key(client_id: int) -> None:
    """The index key is never replaced (its hashes must keep matching), but it moves
    under the newest master key so that an old master key can be withdrawn."""
    index = (
        DataKey.objects.select_for_update()
        .filter(client_id=client_id, purpose=DataKey.Purpose.INDEX)
        .first()
    )
    if index is None or index.master_id == keyring.active_master_id():
        return
    context = crypto.key_context(client_id, index.purpose, index.version)
    raw = keyring.unwrap(index.master_id, index.wrapped, context=context)
    index.master_id, index.wrapped = keyring.wrap(raw, context=context)
    index.save(update_fields=["master_id", "wrapped"])


def reencrypt(*, client_id: int, progress: Callable[[str, int, int], None] | None = None) -> int:
    """Re-seal every value of the client that is not under its active key. Rows are
    locked batch by batch, so an edit running meanwhile is neither lost nor overwritten.
    Returns how many values moved."""
    moved = 0
    for location in sealed.locations():
        manager = location.model._default_manager
        rows = manager.filter(client_id=client_id, **{f"{location.field}__icontains": "enc1:"})
        ids = list(rows.order_by("pk").values_list("pk", flat=True))
        for start in range(0, len(ids), BATCH):
            with transaction.atomic():
                batch = manager.select_for_update().filter(pk__in=ids[start : start + BATCH])
                for row in batch:
                    before = getattr(row, location.field)
                    after, count = _reseal_tree(before)
                    if count:
                        manager.filter(pk=row.pk).update(**{location.field: after})
                        moved += count
            if progress:
                progress(location.label, min(start + BATCH, len(ids)), len(ids))
    return moved


def _reseal_tree(value: object) -> tuple[object, int]:
    if isinstance(value, str) and crypto.is_sealed(value):
        again = crypto.reseal(value)
        return again, int(again != value)
    if isinstance(value, dict):
        out: dict[object, object] = {}
        total = 0
        for key, item in value.items():
            out[key], count = _reseal_tree(item)
            total += count
        return out, total
    if isinstance(value, list):
        pairs = [_reseal_tree(item) for item in value]
        return [p[0] for p in pairs], sum(p[1] for p in pairs)
    return value, 0


def values_by_version(*, client_id: int) -> Counter[int]:
    """How many sealed values of the client each key version holds."""
    counts: Counter[int] = Counter()
    for location in sealed.locations():
        rows = location.model._default_manager.filter(
            client_id=client_id, **{f"{location.field}__icontains": "enc1:"}
        )
        for value in rows.values_list(location.field, flat=True).iterator():
            _count_versions(value, counts)
    return counts


def _count_versions(value: object, counts: Counter[int]) -> None:
    if isinstance(value, str) and crypto.is_sealed(value):
        counts[crypto.parse(value)[1]] += 1
    elif isinstance(value, dict):
        for item in value.values():
            _count_versions(item, counts)
    elif isinstance(value, list):
        for item in value:
            _count_versions(item, counts)


def retire_keys(*, actor: "User | None", client_id: int) -> list[int]:
    """Retire readable keys that no value uses any more; their wrapped key is erased.
    Refuses while values still need them."""
    in_use = values_by_version(client_id=client_id)
    retired = []
    with transaction.atomic():
        for key in DataKey.objects.select_for_update().filter(
            client_id=client_id, purpose=DataKey.Purpose.DATA, state=DataKey.State.READABLE
        ):
            if in_use.get(key.version):
                raise InvalidInput(
                    f"Key v{key.version} still seals {in_use[key.version]} values; "
                    "run the re-encryption first.",
                    code="key_in_use",
                )
            key.state = DataKey.State.RETIRED
            key.wrapped = ""
            key.retired_at = timezone.now()
            key.save(update_fields=["state", "wrapped", "retired_at"])
            retired.append(key.version)
        if retired:
            record(
                action="keys.retired",
                actor=actor,
                client=client_id,
                object_type="client",
                object_id=client_id,
                payload={"versions": retired},
            )
    crypto.forget_keys(client_id)
    return retired


def shred_client_keys(*, actor: "User | None", client_id: int, reason: str) -> int:
    """Crypto-shred: erase every key of the client. Its sealed values and keyed hashes
    can never be opened or matched again, wherever copies of them are (backups too)."""
    if not (reason or "").strip():
        raise InvalidInput("Say why the keys are destroyed.", fields={"reason": "required"})
    with transaction.atomic():
        count, _ = DataKey.objects.filter(client_id=client_id).delete()
        record(
            action="keys.shredded",
            actor=actor,
            client=client_id,
            object_type="client",
            object_id=client_id,
            reason=reason.strip()[:500],
            payload={"keys": count},
        )
    crypto.forget_keys(client_id)
    return count


# --- break-glass and alerts ---------------------------------------------------------------

ACCESS = "work_item_access"
_ALERT_HOOKS: list[Callable[[SecurityAlert, int | None], None]] = []


def on_alert(hook: Callable[[SecurityAlert, int | None], None]) -> None:
    """Call `hook(alert, engagement_id)` inside the transaction that raises an alert
    (the work engine turns it into an outbox event, hence a webhook)."""
    if hook not in _ALERT_HOOKS:
        _ALERT_HOOKS.append(hook)


def break_glass(
    *, actor: "User", client_id: int, object_id: int, engagement_id: int | None, reason: str
) -> RevealGrant:
    """Open one item that routing did not give the actor, for BREAK_GLASS_SECONDS, with
    a reason: audited, and an alert for the team lead at once."""
    reason = (reason or "").strip()
    if len(reason) < 10:
        raise InvalidInput(
            "Say why you need this item (at least 10 characters).", fields={"reason": "required"}
        )
    now = timezone.now()
    seconds = int(getattr(settings, "BREAK_GLASS_SECONDS", 1800))
    with transaction.atomic():
        grant = RevealGrant.objects.create(
            client_id=client_id,
            user=actor,
            object_type=ACCESS,
            object_id=object_id,
            reason=reason[:500],
            created_at=now,
            expires_at=now + timedelta(seconds=seconds),
        )
        record(
            action="work_item.break_glass",
            actor=actor,
            client=client_id,
            object_type="work_item",
            object_id=object_id,
            reason=grant.reason,
            payload={"engagement_id": engagement_id, "seconds": seconds},
        )
        raise_alert(
            client_id=client_id,
            user_id=actor.pk,
            kind=SecurityAlert.Kind.BREAK_GLASS,
            window_start=now,
            count=1,
            detail=f"Reason given: {grant.reason}"[:500],
            object_id=object_id,
            engagement_id=engagement_id,
        )
    return grant


def raise_alert(
    *,
    client_id: int,
    user_id: int,
    kind: str,
    window_start: datetime,
    count: int,
    limit: int = 0,
    detail: str = "",
    object_id: int | None = None,
    engagement_id: int | None = None,
    step_up: bool = False,
) -> SecurityAlert | None:
    """Record an alert once per person, client, kind and hour (None if already raised)."""
    try:
        with transaction.atomic():
            alert = SecurityAlert.objects.create(
                client_id=client_id,
                user_id=user_id,
                kind=kind,
                window_start=window_start,
                count=count,
                limit=limit,
                detail=detail[:500],
                object_id=object_id,
            )
            record(
                action="security.alert_raised",
                actor=None,
                client=client_id,
                object_type="security_alert",
                object_id=alert.pk,
                payload={"kind": kind, "user_id": user_id, "count": count, "limit": limit},
            )
            for hook in _ALERT_HOOKS:
                hook(alert, engagement_id)
    except IntegrityError:
        return None
    if step_up:
        misuse.require_step_up(
            user_id=user_id, reason=f"Alert #{alert.pk}: {alert.get_kind_display()}"
        )
    return alert


def acknowledge_alert(
    *, actor: "User", alert: SecurityAlert, note: str, lift_step_up: bool
) -> None:
    if "work:assign" not in actor.permissions:
        raise PermissionDenied("Team leads and managers handle security alerts.")
    if alert.user_id == actor.pk:
        raise PermissionDenied("Someone else must handle an alert about you.")
    if alert.acknowledged_at is not None:
        raise InvalidInput("This alert was already handled.", code="already_handled")
    note = (note or "").strip()
    if not note:
        raise InvalidInput("Say what you found.", fields={"note": "required"})
    with transaction.atomic():
        alert.acknowledged_at = timezone.now()
        alert.acknowledged_by = actor
        alert.note = note[:500]
        alert.save(update_fields=["acknowledged_at", "acknowledged_by", "note"])
        record(
            action="security.alert_acknowledged",
            actor=actor,
            client=alert.client_id,
            object_type="security_alert",
            object_id=alert.pk,
            reason=alert.note,
        )
        if lift_step_up:
            misuse.lift_step_up(actor=actor, user_id=alert.user_id)

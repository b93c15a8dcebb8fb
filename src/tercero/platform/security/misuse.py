"""Step-up after a misuse alert: the flag work services consult before a reveal."""

from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.utils import timezone

from tercero.platform.audit.services import record
from tercero.platform.security.models import StepUp

if TYPE_CHECKING:
    from tercero.platform.identity.models import User


def step_up_required(*, user: "User") -> bool:
    return StepUp.objects.filter(user_id=user.pk, lifted_at__isnull=True).exists()


def require_step_up(*, user_id: int, reason: str) -> bool:
    """Open a step-up for the user; False when one is open already."""
    try:
        with transaction.atomic():
            StepUp.objects.create(user_id=user_id, reason=reason[:300])
            record(
                action="user.step_up_required",
                actor=None,
                object_type="user",
                object_id=user_id,
                reason=reason[:500],
            )
    except IntegrityError:
        return False
    return True


def lift_step_up(*, actor: "User", user_id: int) -> int:
    with transaction.atomic():
        lifted = StepUp.objects.filter(user_id=user_id, lifted_at__isnull=True).update(
            lifted_at=timezone.now(), lifted_by=actor
        )
        if lifted:
            record(action="user.step_up_lifted", actor=actor, object_type="user", object_id=user_id)
    return lifted

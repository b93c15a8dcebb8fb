"""Whether an agent's skills let them serve a queue, for building schedules.

A queue names the work types it takes (`Queue.work_types`); each work type states the
skills its items need at the least (`WorkType.default_skills`, skill -> level 1-5). An agent
serves a queue in a schedule when they are cleared for its engagement and hold every one of
those skills at the level or better, for every work type the queue takes: routing would
offer them none of its items otherwise. A queue that takes no work type receives no items
(intake refuses them), so it asks for no skill; a work type no installed service registers
any more asks for none either. Skills an item adds for itself are not known when
scheduling weeks ahead, so only the work types' own count."""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from tercero.delivery.work import registry


def queue_needs(work_types: Iterable[str]) -> dict[str, int]:
    """The skills a queue taking these work types asks for: each skill at the highest
    level any of its work types needs."""
    needs: dict[str, int] = {}
    for key in work_types:
        found = registry.find(key)
        for skill, level in (found.default_skills if found else {}).items():
            needs[skill] = max(needs.get(skill, 0), level)
    return needs


def meets(skills: Mapping[str, int], needs: Mapping[str, int]) -> bool:
    """Whether skills held (skill -> level) cover every skill needed at its level."""
    return all(skills.get(skill, 0) >= level for skill, level in needs.items())


@dataclass(frozen=True)
class SkillGap:
    """A queue some agents are cleared for but none of them has the skills to serve.

    `needs` is what the queue asks for; `best` the highest level of each of those skills
    among the cleared agents (0: none of them has it)."""

    queue_id: int
    queue_name: str
    needs: dict[str, int]
    best: dict[str, int]

    @property
    def missing(self) -> dict[str, int]:
        """The skills no cleared agent has at the level needed (empty: each skill is
        held by someone, but no one agent holds them all)."""
        return {s: level for s, level in self.needs.items() if self.best.get(s, 0) < level}

    @property
    def sentence(self) -> str:
        """What is missing, in words a lead can act on."""
        if not self.missing:
            together = ", ".join(_skill_words(s, n) for s, n in sorted(self.needs.items()))
            return (
                f"Nobody may serve {self.queue_name}: it needs {together}, and no one "
                "cleared agent has all of these."
            )
        parts = [
            f"{_skill_words(skill, level)} ({_best_words(self.best.get(skill, 0))})"
            for skill, level in sorted(self.missing.items())
        ]
        return f"Nobody may serve {self.queue_name}: it needs {_and(parts)}."


def skill_gap(
    queue_id: int, queue_name: str, needs: dict[str, int], held: Sequence[Mapping[str, int]]
) -> SkillGap | None:
    """The gap when none of the cleared agents' skills (`held`) meet the queue's needs;
    None when one does or the queue needs no skill."""
    if not needs or any(meets(skills, needs) for skills in held):
        return None
    best = {skill: max((s.get(skill, 0) for s in held), default=0) for skill in needs}
    return SkillGap(queue_id=queue_id, queue_name=queue_name, needs=needs, best=best)


def _skill_words(skill: str, level: int) -> str:
    return f"the skill “{skill.replace('_', ' ')}” at level {level} or better"


def _best_words(best: int) -> str:
    return (
        "no cleared agent has it"
        if best == 0
        else f"the best any cleared agent has is level {best}"
    )


def _and(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]

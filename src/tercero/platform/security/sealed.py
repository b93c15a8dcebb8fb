"""Where sealed values live, so that key rotation can find and re-encrypt them.

Apps register their columns at start-up:

    sealed.register(WorkItem, "payload", json=True)
"""

from dataclasses import dataclass

from django.db import models


@dataclass(frozen=True)
class Location:
    model: type[models.Model]
    field: str
    json: bool = False

    @property
    def label(self) -> str:
        return f"{self.model._meta.label}.{self.field}"


_LOCATIONS: dict[str, Location] = {}


def register(model: type[models.Model], field: str, *, json: bool = False) -> None:
    location = Location(model, field, json)
    _LOCATIONS[location.label] = location


def locations() -> list[Location]:
    return [_LOCATIONS[label] for label in sorted(_LOCATIONS)]

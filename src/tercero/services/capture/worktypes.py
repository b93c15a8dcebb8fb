"""Data capture (data entry and processing): documents keyed by agents.

A `capture.document` item is one document (an invoice, a claim form, an application)
whose fields an agent keys into the client's system; it is done when every field is
keyed and the agent has recorded how many failed validation.
"""

from datetime import date, time

from pydantic import BaseModel, Field, model_validator

from tercero.delivery.work import registry
from tercero.services.capture import events


class DocumentPayload(BaseModel):
    document_ref: str = Field(min_length=1, max_length=200)
    document_kind: str = Field(default="form", max_length=50)
    pages: int = Field(default=1, ge=1, le=10_000)
    fields_total: int = Field(ge=1, le=100_000)
    # what the agent produces: JSON Schema's readOnly keeps them off the client's form
    fields_keyed: int = Field(default=0, ge=0, json_schema_extra={"readOnly": True})
    fields_rejected: int = Field(default=0, ge=0, json_schema_extra={"readOnly": True})
    language: str = Field(default="", pattern=r"^([a-z]{2})?$")
    due_date: date | None = None
    customer_name: str = Field(default="", max_length=200, title="Customer name")
    customer_national_id: str = Field(default="", max_length=40, title="Customer national id")
    customer_date_of_birth: date | None = Field(default=None, title="Customer date of birth")
    customer_iban: str = Field(default="", max_length=40, title="Customer bank account (IBAN)")

    @model_validator(mode="after")
    def _counts(self):
        if self.fields_keyed > self.fields_total:
            raise ValueError("fields_keyed cannot exceed fields_total")
        if self.fields_rejected > self.fields_keyed:
            raise ValueError("fields_rejected cannot exceed fields_keyed")
        return self


def _complete(payload: DocumentPayload, resolution: str) -> list[str]:
    problems = []
    if payload.fields_keyed < payload.fields_total:
        problems.append(f"{payload.fields_total - payload.fields_keyed} fields are not keyed.")
    if not resolution.strip():
        problems.append("Say what was keyed and where (the resolution note).")
    return problems


def _deadline(payload: DocumentPayload):
    if payload.due_date is None:
        return None
    return registry.Deadline(anchor=payload.due_date, business_days_before=0, at=time(17, 0))


DOCUMENT = registry.WorkType(
    key="capture.document",
    title="Document to key",
    payload_schema=DocumentPayload,
    office="back",
    channel="back_office",
    default_skills={"data_entry": 1},
    language_field="language",
    sla_metrics=("turnaround",),
    deadline=_deadline,
    summary=lambda p: f"{p.document_kind.capitalize()} {p.document_ref} ({p.fields_total} fields)",
    display_fields=(
        ("document_ref", "Document"),
        ("document_kind", "Kind"),
        ("pages", "Pages"),
        ("fields_total", "Fields"),
        ("fields_keyed", "Keyed"),
        ("due_date", "Due"),
        ("customer_name", "Customer"),
        ("customer_national_id", "National id"),
        ("customer_date_of_birth", "Date of birth"),
        ("customer_iban", "Bank account"),
    ),
    completion_check=_complete,
    personal_fields=(
        "customer_name",
        "customer_national_id",
        "customer_date_of_birth",
        "customer_iban",
    ),
    personal_kinds={
        "customer_name": "name",
        "customer_national_id": "national_id",
        "customer_date_of_birth": "date",
        "customer_iban": "iban",
    },
    attachment="optional",
    on_transition=events.document_moved,
)

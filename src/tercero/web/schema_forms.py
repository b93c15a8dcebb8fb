"""A Django form drawn from a JSON Schema (what pydantic's `model_json_schema()` gives).

The form gives labelled, typed inputs and first-line checks in the browser's language;
the schema's owner still validates the submitted payload itself, so the form never has
to know every rule.
"""

import re
from datetime import date, time

from django import forms
from django.core.validators import RegexValidator


def _label(name: str, spec: dict) -> str:
    """The schema's own title, unless it is only the name title-cased (pydantic's
    default), which reads worse than a sentence: "Fields total", not "Fields Total"."""
    sentence = name.replace("_", " ").capitalize()
    title = spec.get("title")
    if not title or title == name.replace("_", " ").title():
        return sentence
    return title


def _unwrap(spec: dict) -> tuple[dict, bool]:
    """(the real spec, whether null is allowed) for `anyOf: [X, {type: null}]`."""
    options = spec.get("anyOf")
    if not options:
        return spec, False
    real = [option for option in options if option.get("type") != "null"]
    nullable = len(real) < len(options)
    merged = {**{k: v for k, v in spec.items() if k != "anyOf"}, **(real[0] if real else {})}
    return merged, nullable


def field_for(name: str, spec: dict, *, required: bool, definitions: dict) -> forms.Field:
    spec, nullable = _unwrap(spec)
    if "$ref" in spec:
        spec = {**definitions.get(spec["$ref"].rsplit("/", 1)[-1], {}), **spec}
    required = required and not nullable and "default" not in spec
    common = {
        "label": _label(name, spec),
        "required": required,
        "help_text": spec.get("description", ""),
        "initial": spec.get("default"),
    }
    kind = spec.get("type")
    if "enum" in spec:
        choices = [(value, str(value)) for value in spec["enum"]]
        if not required:
            choices = [("", "—"), *choices]
        return forms.ChoiceField(choices=choices, **common)
    if kind == "boolean":
        return forms.BooleanField(**{**common, "required": False})
    if kind == "integer":
        return forms.IntegerField(
            min_value=spec.get("minimum"), max_value=spec.get("maximum"), **common
        )
    if kind == "number":
        return forms.FloatField(
            min_value=spec.get("minimum"), max_value=spec.get("maximum"), **common
        )
    if kind == "string":
        return _string_field(spec, common)
    # lists, objects and anything else: JSON text, checked by the schema's owner
    return forms.JSONField(**common)


def _string_field(spec: dict, common: dict) -> forms.Field:
    if spec.get("format") == "date":
        return forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), **common)
    if spec.get("format") == "email":
        return forms.EmailField(max_length=spec.get("maxLength"), **common)
    validators = []
    if spec.get("pattern"):
        validators.append(RegexValidator(re.compile(spec["pattern"])))
    long_text = (spec.get("maxLength") or 0) > 500
    return forms.CharField(
        max_length=spec.get("maxLength"),
        min_length=spec.get("minLength"),
        validators=validators,
        widget=forms.Textarea(attrs={"rows": 4}) if long_text else None,
        **common,
    )


def form_for(schema: dict, *, base: type[forms.Form] = forms.Form) -> type[forms.Form]:
    """A form class with one field per schema property, in the schema's order; a
    property marked `readOnly` (what the work produces, not what a submitter knows) is
    left out."""
    required = set(schema.get("required", []))
    definitions = schema.get("$defs", {})
    fields = {
        name: field_for(name, spec, required=name in required, definitions=definitions)
        for name, spec in schema.get("properties", {}).items()
        if not spec.get("readOnly")
    }
    return type("SchemaForm", (base,), fields)


def payload_of(form: forms.Form, schema: dict) -> dict:
    """The cleaned data as a JSON payload: dates as ISO text, empty optionals left out."""
    payload = {}
    for name, spec in schema.get("properties", {}).items():
        if spec.get("readOnly"):
            continue
        value = form.cleaned_data.get(name)
        if value in (None, "") and name not in schema.get("required", []):
            continue
        payload[name] = value.isoformat() if isinstance(value, date | time) else value
    return payload

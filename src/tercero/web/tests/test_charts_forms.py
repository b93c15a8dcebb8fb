"""Domain-free UI parts: SVG charts, forms from JSON Schema, masking and durations."""

import itertools
from datetime import date

from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, Field

from tercero.web.charts import Point, bar_chart
from tercero.web.schema_forms import form_for, payload_of
from tercero.web.templatetags.tercero_ui import duration, mask


def test_a_chart_names_every_value_and_escapes_labels():
    svg = bar_chart(
        [Point("<b>Acme</b>", 97.5), Point("Bergmann", None)],
        title="SLA met",
        chart_id="c",
        unit="%",
        maximum=100,
        target=95,
    )
    assert svg.startswith('<div class="chart-box"><svg class="chart"')
    assert 'role="img"' in svg
    assert "<b>" not in svg
    assert "&lt;b&gt;Acme&lt;/b&gt;: 97.5%; Bergmann: no data. Target 95%." in svg
    assert svg.count("<rect") == 1  # no bar for a day without data


def test_a_month_of_days_has_labels_far_enough_apart_to_read():
    # given thirty days, each labelled like "07 Dec" (about 36 px at 11 px type)
    days = [Point(f"{day:02d} Dec", 90.0) for day in range(1, 31)]
    # when
    svg = bar_chart(days, title="SLA met by day", chart_id="d", unit="%", maximum=100)
    # then eight labels at most, each at least 60 px from the next
    labels = [part for part in svg.split("<text")[1:] if "Dec<" in part]
    xs = [float(part.split('x="')[1].split('"')[0]) for part in labels]
    assert len(xs) == 8
    assert min(b - a for a, b in itertools.pairwise(xs)) >= 60


@given(st.lists(st.floats(min_value=0, max_value=100), min_size=1, max_size=40))
def test_bars_stay_inside_the_plot(values):
    svg = bar_chart([Point(str(i), v) for i, v in enumerate(values)], title="t", chart_id="c")
    for part in svg.split("<rect")[1:]:
        y = float(part.split('y="')[1].split('"')[0])
        height = float(part.split('height="')[1].split('"')[0])
        assert y >= 16 - 0.1
        assert y + height <= 240 - 44 + 0.1


class Order(BaseModel):
    reference: str = Field(min_length=2, max_length=20, pattern=r"^PO-\d+$")
    lines: int = Field(ge=1, le=500)
    due: date | None = None
    kind: str = Field(default="form", title="Kind of document")
    urgent: bool = False


def test_a_form_from_a_schema_checks_what_the_schema_says():
    schema = Order.model_json_schema()
    form = form_for(schema)(data={"reference": "XX-1", "lines": "0"})
    assert not form.is_valid()
    assert set(form.errors) == {"reference", "lines"}
    assert form.fields["lines"].label == "Lines"
    assert form.fields["kind"].label == "Kind of document"
    assert not form.fields["due"].required
    good = form_for(schema)(data={"reference": "PO-12", "lines": "3", "due": "2026-12-01"})
    assert good.is_valid()
    assert payload_of(good, schema) == {
        "reference": "PO-12",
        "lines": 3,
        "due": "2026-12-01",
        "urgent": False,
    }
    Order.model_validate(payload_of(good, schema))


def test_masking_and_durations():
    assert mask("Maria Santos") == "••••••••••os"
    assert mask("1234") == "••••"
    assert mask(None) == ""
    assert duration(3 * 86400 + 4 * 3600) == "3 d 4 h"
    assert duration(2 * 3600 + 5 * 60) == "2 h 05 min"
    assert duration(59) == "under a minute"

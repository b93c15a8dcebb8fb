from hypothesis import given
from hypothesis import strategies as st

from tercero.delivery.engagements.complexity import FACTORS, assess

inputs = st.fixed_dictionaries(
    {
        "volume": st.integers(0, 10**9),
        "process_steps": st.integers(1, 1000),
        "exception_rate": st.floats(0, 100),
        "systems": st.integers(0, 1000),
        "regulation": st.sampled_from(["none", "light", "moderate", "strict"]),
        "languages": st.integers(0, 50),
        "hours_of_cover": st.sampled_from(["business_hours", "extended", "24_7"]),
    }
)


def test_weights_sum_to_one_hundred():
    assert sum(weight for weight, *_ in FACTORS.values()) == 100


@given(inputs)
def test_score_is_between_0_and_100_and_explained_by_its_factors(values):
    result = assess(values)
    assert 0 <= result["score"] <= 100
    assert [item["factor"] for item in result["breakdown"]] == list(FACTORS)
    assert abs(sum(item["contribution"] for item in result["breakdown"]) - result["score"]) < 0.1


@given(inputs, st.integers(1, 10**6))
def test_more_volume_never_lowers_the_score(values, extra):
    assert (
        assess({**values, "volume": values["volume"] + extra})["score"] >= assess(values)["score"]
    )


def test_worked_example_simplest_and_hardest():
    simplest = {
        "volume": 0,
        "process_steps": 1,
        "exception_rate": 0,
        "systems": 1,
        "regulation": "none",
        "languages": 1,
        "hours_of_cover": "business_hours",
    }
    hardest = {
        "volume": 500_000,
        "process_steps": 40,
        "exception_rate": 25,
        "systems": 12,
        "regulation": "strict",
        "languages": 9,
        "hours_of_cover": "24_7",
    }
    assert (assess(simplest)["score"], assess(simplest)["band"]) == (0, "low")
    assert (assess(hardest)["score"], assess(hardest)["band"]) == (100, "very_high")
    assert assess(hardest)["breakdown"][0]["explanation"].startswith(
        "Monthly volume: 500000 items/month is level 5 of 5"
    )

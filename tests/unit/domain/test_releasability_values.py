"""Who may see a record, and the value parsers every input path goes through."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from allied.domain.actors import Membership, Role
from allied.domain.errors import InvalidInput
from allied.domain.releasability import Releasability, ReleaseKind
from allied.domain.values import (
    actor_code,
    choice,
    identifier,
    int_in_range,
    non_negative_decimal,
    parse_date,
    positive_int,
    text,
)

D = dt.date
NATO = [
    Membership("EST", "NATO", Role.MEMBER, D(2004, 3, 29)),
    Membership("SWE", "NATO", Role.MEMBER, D(2024, 3, 7)),
]


@pytest.mark.parametrize(
    ("spec", "viewer", "day", "visible"),
    [
        ("owner", "EST", D(2024, 1, 1), False),
        ("nations:EST,LVA", "EST", D(2024, 1, 1), True),
        ("nations:EST,LVA", "SWE", D(2024, 1, 1), False),
        ("org:NATO", "SWE", D(2024, 3, 6), False),  # not yet an ally
        ("org:NATO", "SWE", D(2024, 3, 7), True),
        ("org:NATO", "UKR", D(2024, 3, 7), False),
        ("public", "UKR", D(2024, 1, 1), True),
        ("public:2024-06-01", "UKR", D(2024, 5, 31), False),
        ("public:2024-06-01", "UKR", D(2024, 6, 1), True),
    ],
)
def test_visible_to(spec: str, viewer: str, day: dt.date, visible: bool) -> None:
    rel = Releasability.parse(spec)
    assert rel.visible_to(viewer, "DEU", day, NATO) is visible
    assert rel.visible_to("DEU", "DEU", day, NATO)  # the owner always sees its own


def test_default_is_owner_only() -> None:
    assert Releasability.parse(None).kind is ReleaseKind.OWNER
    assert Releasability.parse("  ").kind is ReleaseKind.OWNER


@pytest.mark.parametrize("spec", ["nations:", "nations:,", "org:", "secret", "owner:EST",
                                  "public:2024-13-01", "nations:E$T"])
def test_bad_specs_name_the_field(spec: str) -> None:
    with pytest.raises(InvalidInput) as err:
        Releasability.parse(spec, field="offers.releasability")
    assert err.value.field == "offers.releasability"


codes = st.from_regex(r"[A-Z]{3}", fullmatch=True)
specs = st.one_of(
    st.just("owner"),
    st.just("public"),
    st.dates(D(2000, 1, 1), D(2040, 1, 1)).map(lambda d: f"public:{d.isoformat()}"),
    st.lists(codes, min_size=1, max_size=5).map(lambda cs: "nations:" + ",".join(cs)),
    st.sampled_from(["NATO", "EU", "UDCG", "G7"]).map(lambda o: f"org:{o}"),
)


@given(specs)
def test_parse_and_str_round_trip(spec: str) -> None:
    rel = Releasability.parse(spec)
    assert Releasability.parse(str(rel)) == rel


# --- value parsers ------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["12", 12, 12.0, " 7 "])
def test_positive_int_accepts(value: object) -> None:
    assert positive_int(value, "quantity") in (12, 7)


@pytest.mark.parametrize("value", [0, -3, "-3", 12.5, "12.5", "", None, True, "1e3", [1]])
def test_positive_int_rejects_and_names_the_field(value: object) -> None:
    with pytest.raises(InvalidInput) as err:
        positive_int(value, "quantity")
    assert err.value.field == "quantity"


@pytest.mark.parametrize("value", ["2024-02-30", "yesterday", "", None, 20240101])
def test_parse_date_rejects(value: object) -> None:
    with pytest.raises(InvalidInput) as err:
        parse_date(value, "needed_by")
    assert err.value.field == "needed_by"


def test_parse_date_accepts_dates_and_datetimes() -> None:
    assert parse_date(" 2024-03-07 ", "d") == D(2024, 3, 7)
    assert parse_date(dt.datetime(2024, 3, 7, 12), "d") == D(2024, 3, 7)


def test_other_parsers() -> None:
    assert actor_code(" est ", "donor") == "EST"
    assert int_in_range("3", "priority", 1, 5) == 3
    assert non_negative_decimal("12.50", "value") == Decimal("12.50")
    assert identifier("R-2024:01", "id") == "R-2024:01"
    assert text(" hi ", "note") == "hi"
    assert choice("udcg", "channel", ("udcg", "bilateral")) == "udcg"
    for call in (
        lambda: actor_code("E", "donor"),
        lambda: int_in_range(6, "priority", 1, 5),
        lambda: int_in_range(True, "priority", 0, 5),
        lambda: non_negative_decimal("-1", "value"),
        lambda: non_negative_decimal("NaN", "value"),
        lambda: identifier("has space", "id"),
        lambda: identifier("R-2024/01", "id"),  # could never be read back by id
        lambda: text("", "note"),
        lambda: text("x" * 2001, "note"),
        lambda: choice("air", "channel", ("udcg",)),
    ):
        with pytest.raises(InvalidInput) as err:
            call()
        assert err.value.field in {"donor", "priority", "value", "id", "note", "channel"}

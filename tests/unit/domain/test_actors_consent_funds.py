"""Memberships by date, consent records and policies, pooled funds' pro-rata credit."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from allied.domain.actors import Membership, Role, is_member, members_on
from allied.domain.consent import (
    CONSENT_TRANSITIONS,
    ConsentRequest,
    ConsentStatus,
    OriginPolicy,
    combined,
    standing_answer,
)
from allied.domain.errors import IllegalTransition, InvalidInput
from allied.domain.funds import Contribution, credit, pro_rata_shares

D = dt.date

# --- memberships ---------------------------------------------------------------------

GBR_EU = Membership("GBR", "EU", Role.MEMBER, D(1973, 1, 1), D(2020, 1, 31))
SWE_NATO = Membership("SWE", "NATO", Role.MEMBER, D(2024, 3, 7))
SWE_INVITED = Membership("SWE", "NATO", Role.INVITEE, D(2022, 6, 29), D(2024, 3, 6))
FRA_EU = Membership("FRA", "EU", Role.MEMBER, D(1958, 1, 1))
ALL = [GBR_EU, SWE_NATO, SWE_INVITED, FRA_EU]


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (D(1972, 12, 31), ["FRA"]),
        (D(1973, 1, 1), ["FRA", "GBR"]),  # first day inclusive
        (D(2020, 1, 31), ["FRA", "GBR"]),  # last day inclusive
        (D(2020, 2, 1), ["FRA"]),
    ],
)
def test_membership_bounds_are_inclusive(day: dt.date, expected: list[str]) -> None:
    assert members_on(ALL, "EU", day) == expected


def test_roles_are_kept_apart() -> None:
    assert members_on(ALL, "NATO", D(2024, 3, 6)) == []
    assert members_on(ALL, "NATO", D(2024, 3, 6), roles=(Role.INVITEE,)) == ["SWE"]
    assert members_on(ALL, "NATO", D(2024, 3, 7)) == ["SWE"]
    assert not is_member(ALL, "SWE", "NATO", D(2024, 3, 6))
    assert is_member(ALL, "SWE", "NATO", D(2024, 3, 7))


def test_a_membership_cannot_end_before_it_starts() -> None:
    with pytest.raises(InvalidInput) as err:
        Membership("GBR", "EU", Role.MEMBER, D(2020, 1, 31), D(2020, 1, 30))
    assert err.value.field == "end"


@given(
    start=st.dates(D(1950, 1, 1), D(2030, 1, 1)),
    length=st.one_of(st.none(), st.integers(0, 20_000)),
    day=st.dates(D(1940, 1, 1), D(2090, 1, 1)),
)
def test_active_on_matches_the_interval(
    start: dt.date, length: int | None, day: dt.date
) -> None:
    end = None if length is None else start + dt.timedelta(days=length)
    m = Membership("EST", "NATO", Role.MEMBER, start, end)
    assert m.active_on(day) == (start <= day and (end is None or day <= end))


# --- consent ---------------------------------------------------------------------------


def consent(**kw: object) -> ConsentRequest:
    base: dict[str, object] = {
        "id": "C1", "origin": "DEU", "holder": "EST", "family": "122mm-tube",
        "recipient": "UKR", "requested_on": D(2022, 1, 14),
    }
    base.update(kw)
    return ConsentRequest(**base)  # type: ignore[arg-type]


def test_an_origin_needs_no_consent_from_itself() -> None:
    with pytest.raises(InvalidInput) as err:
        consent(holder="DEU")
    assert err.value.field == "holder"


@pytest.mark.parametrize("start", list(ConsentStatus))
@pytest.mark.parametrize("target", list(ConsentStatus))
def test_consent_answers_follow_the_table(start: ConsentStatus, target: ConsentStatus) -> None:
    c = consent(status=start)
    if target in CONSENT_TRANSITIONS[start]:
        c.answer(target, D(2022, 2, 1), reason="because")
        assert c.status is target and c.decided_on == D(2022, 2, 1) and c.reason == "because"
    else:
        with pytest.raises(IllegalTransition) as err:
            c.answer(target, D(2022, 2, 1))
        assert start.value in str(err.value) and target.value in str(err.value)
        assert c.status is start


def test_consent_answer_errors_name_the_field() -> None:
    with pytest.raises(InvalidInput) as err:
        consent().answer("maybe", D(2022, 2, 1))
    assert err.value.field == "status"
    with pytest.raises(InvalidInput) as err:
        consent().answer("granted", D(2022, 1, 13))
    assert err.value.field == "on"


def test_a_pending_request_expires_after_its_last_day() -> None:
    c = consent(expires_on=D(2022, 1, 31))
    assert c.effective_status(D(2022, 1, 31)) is ConsentStatus.PENDING
    assert c.effective_status(D(2022, 2, 1)) is ConsentStatus.EXPIRED
    c.answer("granted", D(2022, 1, 20))
    assert c.effective_status(D(2023, 1, 1)) is ConsentStatus.GRANTED


def test_an_answer_counts_from_its_date() -> None:
    c = consent()
    c.answer("granted", D(2023, 6, 1))
    assert c.effective_status(D(2023, 5, 31)) is ConsentStatus.PENDING
    assert c.effective_status(D(2023, 6, 1)) is ConsentStatus.GRANTED
    late = consent(expires_on=D(2022, 1, 31))
    late.answer("denied", D(2022, 1, 20))
    assert late.effective_status(D(2022, 1, 19)) is ConsentStatus.PENDING
    assert late.effective_status(D(2022, 1, 20)) is ConsentStatus.DENIED


def test_standing_policies() -> None:
    assert standing_answer(OriginPolicy.RESTRICTIVE) is ConsentStatus.DENIED
    assert standing_answer(OriginPolicy.PERMISSIVE) is ConsentStatus.GRANTED
    assert standing_answer(OriginPolicy.CASE_BY_CASE) is ConsentStatus.PENDING
    assert standing_answer(None) is ConsentStatus.PENDING


@given(st.lists(st.sampled_from(list(ConsentStatus)), max_size=6))
def test_combined_consent_needs_every_origin(statuses: list[ConsentStatus]) -> None:
    result = combined(statuses)
    assert result is combined(list(reversed(statuses)))
    assert (result is ConsentStatus.GRANTED) == all(s is ConsentStatus.GRANTED for s in statuses)
    if ConsentStatus.DENIED in statuses:
        assert result is ConsentStatus.DENIED


# --- pooled funds ------------------------------------------------------------------------

amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("1e9"), places=2)


@given(st.lists(st.tuples(st.sampled_from(["DEU", "NLD", "NOR", "DNK", "CAN"]), amounts),
                min_size=1, max_size=12))
def test_pro_rata_shares_sum_to_exactly_one(rows: list[tuple[str, Decimal]]) -> None:
    contribs = [
        Contribution(f"c{i}", "NATO-CAP", who, amount, D(2023, 1, 1))
        for i, (who, amount) in enumerate(rows)
    ]
    shares = pro_rata_shares(contribs, "NATO-CAP")
    assert sum(shares.values()) == 1
    assert set(shares) == {who for who, _ in rows}
    total = sum((a for _, a in rows), Decimal(0))
    for who, share in shares.items():
        given_by = sum((a for w, a in rows if w == who), Decimal(0))
        assert abs(share - given_by / total) < Decimal("1e-20")


def test_credit_splits_a_procured_value_and_respects_the_date() -> None:
    contribs = [
        Contribution("c1", "EPF", "DEU", Decimal(300), D(2022, 3, 1)),
        Contribution("c2", "EPF", "FRA", Decimal(100), D(2022, 3, 1)),
        Contribution("c3", "EPF", "ITA", Decimal(600), D(2023, 3, 1)),
        Contribution("c4", "NATO-CAP", "DEU", Decimal(50), D(2022, 3, 1)),
    ]
    assert credit(Decimal(1000), contribs, "EPF", up_to=D(2022, 12, 31)) == {
        "DEU": Decimal(750), "FRA": Decimal(250)
    }
    assert credit(Decimal(1000), contribs, "EPF") == {
        "DEU": Decimal(300), "FRA": Decimal(100), "ITA": Decimal(600)
    }
    assert pro_rata_shares(contribs, "NOPE") == {}


@pytest.mark.parametrize("amount", [Decimal(0), Decimal(-5)])
def test_a_contribution_is_positive(amount: Decimal) -> None:
    with pytest.raises(InvalidInput) as err:
        Contribution("c1", "EPF", "DEU", amount, D(2022, 3, 1))
    assert err.value.field == "amount_eur"

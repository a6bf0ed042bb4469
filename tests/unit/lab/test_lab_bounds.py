"""The lab bounds what one request may ask of it (issue 20, item 11): no overrides of
the scenario's shape, a bound on the whole work (runs x variants x months x actors),
and a bound on the runs going at once, per user and in all."""

from __future__ import annotations

import pytest

from allied.domain.errors import Busy, InvalidInput
from allied.entrypoints.web.analysis import MAX_RUNS
from allied.lab import scenario as sc
from allied.service.lab import MAX_WORK, LabSlots, lab_work, run_scenario


def test_overrides_may_not_add_variants_or_read_files() -> None:
    attacks = [
        ["variants={" + ",".join(f"v{i}: {{}}" for i in range(100)) + "}"],
        ["variants.v99={}"],
        {"variants": {"v0": {}, "v1": {}}},
        ["positions=/etc/passwd"],
        ["name=other"],
        ["consent.cases=[{origin: DEU, holder: EST}]"],  # a list adds cases
        ["decision={forum: EU}"],  # a whole block
        ["escalation.steps=[{month: 1, size: 1}]"],
    ]
    for overrides in attacks:
        with pytest.raises(InvalidInput) as err:
            run_scenario("natoization-2024", runs=100, overrides=overrides, chart=None)
        assert err.value.field, overrides


def test_single_parameters_may_still_be_overridden() -> None:
    out = run_scenario(
        "natoization-2024", runs=100, overrides=["aid.months=12"], chart=None
    )
    assert out["summary"]["runs"] == 100


def test_every_built_in_scenario_fits_the_bound_at_the_forms_most_runs() -> None:
    for name in sc.builtin_names():
        raw, _ = sc.load_raw(name)
        assert lab_work(raw, MAX_RUNS) <= MAX_WORK, name


def test_the_whole_work_is_bounded_before_anything_runs() -> None:
    raw, _ = sc.load_raw("natoization-2024")
    assert lab_work(raw, 1) == 2 * 36 * 54  # two variants of 36 months, 54 actors
    calls = []
    with pytest.raises(InvalidInput) as err:
        run_scenario(
            "natoization-2024",
            runs=MAX_RUNS,
            overrides=["aid.months=240"],  # 240 / 36 times the work
            chart=None,
            progress=lambda done, total: calls.append(done),
        )
    assert err.value.field == "runs" and "run-actor-months" in err.value.message
    assert calls == []
    # a smaller bound refuses what the default allows
    with pytest.raises(InvalidInput):
        run_scenario("natoization-2024", runs=1000, chart=None, max_work=1000 * 54 * 50)


def test_escalation_steps_are_at_most_one_a_month() -> None:
    with pytest.raises(InvalidInput) as err:
        run_scenario("escalation-ladder", runs=100, overrides=["escalation.n_steps=10**9"],
                     chart=None)
    assert "n_steps" in str(err.value.field) or err.value.field == "escalation.n_steps"
    with pytest.raises(InvalidInput):
        run_scenario("escalation-ladder", runs=100, overrides=["escalation.n_steps=1000000000"],
                     chart=None)


def test_lab_slots_bound_runs_per_user_and_in_all() -> None:
    slots = LabSlots(total=2, per_user=1)
    slots.take("a")
    with pytest.raises(Busy, match="of yours"):
        slots.take("a")
    slots.take("b")
    with pytest.raises(Busy, match="running 2"):
        slots.take("c")
    slots.give_back("a")
    slots.take("c")
    assert slots.running() == 2
    slots.give_back("b")
    slots.give_back("c")
    assert slots.running() == 0


def test_each_listed_parameter_is_one_an_override_may_set() -> None:
    """The page's list of a scenario's parameters (issue 19, review item 14): every key,
    set to its own value in the scenario, gives the same scenario; every field with a
    description is listed with its meaning; no list or block the scenario lacks is."""
    from allied.lab import scenario as sc
    from allied.service.lab import check_overrides, scenario_parameters

    for name in sc.builtin_names():
        raw, _ = sc.load_raw(name)
        params = scenario_parameters(name)
        assert params and all(p["meaning"] for p in params), name
        for p in params:
            if p["value"] == "not set":
                continue
            value = sc.yaml.safe_load(p["value"])
            same = sc.apply_overrides(raw, check_overrides({p["key"]: value}))
            assert sc.validate(same) == sc.validate(raw), (name, p["key"])
        keys = {p["key"].split(".")[0] for p in params}
        assert keys <= {k for k in ("decision", "consent", "ratification", "aid", "escalation",
                                    "cohesion") if raw.get(k) is not None}, name
        assert not any(p["key"] in ("consent.cases", "escalation.steps", "cohesion.years")
                       for p in params)


def test_an_override_in_a_block_left_out_keeps_that_blocks_defaults() -> None:
    """The page lists decision.objection.reluctance's default as 3 (the decision's
    objection), so setting decision.objection.base alone must keep 3, not the bare Logit's
    4; likewise a hold-up added by one key starts from the Holdup's defaults."""
    from allied.lab import scenario as sc

    raw = {"name": "x", "date": "2024-01-01", "decision": {}}
    out = sc.validate(sc.apply_overrides(raw, ["decision.objection.base=-6"]))
    assert out.decision is not None
    default = sc.Decision().objection
    assert out.decision.objection == default.model_copy(update={"base": -6.0})
    held = sc.validate(sc.apply_overrides(raw, ["decision.holdup.start.support=1"]))
    assert held.decision is not None and held.decision.holdup is not None
    assert held.decision.holdup.start == sc.Holdup().start.model_copy(update={"support": 1.0})
    assert raw == {"name": "x", "date": "2024-01-01", "decision": {}}  # not changed

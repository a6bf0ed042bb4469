"""Lab scenarios: a YAML document validated against a schema that names the bad field.

The schema (every field, its default and meaning) is documented in ``docs/lab.md``;
``allied lab schema`` prints it as JSON Schema. A scenario has a name, a date (which
fixes who sits in each forum), and one or more mechanism blocks (``decision``,
``consent``, ``ratification``, ``aid``, ``escalation``, ``cohesion``). ``variants`` name
sets of overrides (dotted keys) that run on the same random numbers, so their
difference is the effect of the change and not of the noise.
"""

from __future__ import annotations

import copy
import datetime as dt
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from allied.domain.consent import OriginPolicy
from allied.domain.errors import InvalidInput
from allied.domain.rules import Rule


class _Base(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Logit(_Base):
    """A logistic response: ``sigmoid(base + escalation*e + reluctance*(1-position)*salience
    + support*position*salience + transactional*t + noise)``."""

    base: float = -4.0
    escalation: float = 3.0
    reluctance: float = 4.0
    support: float = 0.0
    transactional: float = 2.0
    run_noise: Annotated[float, Field(ge=0)] = 0.5


class Holdup(_Base):
    """A hold-up that lasts: at the outset each participant takes the decision hostage
    with the probability of the ``start`` logit, and then objects in every round until it
    is released: by a side payment or linked concession after ``LogNormal(log(median_days),
    sigma)`` days, by a change of government (``Exponential(government_change_days)``,
    when set) or by a deadline (``deadline_days``, when set), whichever comes first."""

    start: Logit = Logit(
        base=-3.5, escalation=0.0, reluctance=0.0, transactional=0.0, run_noise=0.0
    )
    median_days: float = Field(120.0, gt=0)
    sigma: float = Field(1.2, gt=0, le=5)
    government_change_days: float | None = Field(None, gt=0)
    deadline_days: float | None = Field(None, gt=0)


class Decision(_Base):
    forum: str = "NATO"
    rule: Rule = Rule.CONSENSUS_SILENCE
    issue: str = "support"
    escalation: float = Field(0.5, ge=0, le=1)
    max_rounds: int = Field(4, ge=1, le=200)
    softening: float = Field(0.25, ge=0, lt=1)
    days_per_round: float = Field(3.0, gt=0)
    abstain_share: float = Field(0.3, ge=0, le=1)
    objection: Logit = Logit(base=-7.0, escalation=3.0, reluctance=3.0, transactional=3.0)
    fallback: Literal["none", "coalition"] = "coalition"
    coalition_pool: str = "UDCG"
    join: Logit = Logit(base=-2.5, escalation=-1.0, reluctance=0.0, support=5.0, transactional=-2.0)
    holdup: Holdup | None = None


class ConsentCase(_Base):
    origin: str
    holder: str
    label: str = ""
    lethal: bool = True
    observed: Literal["granted", "denied", "expired", "pending"] | None = None


class Consent(_Base):
    requested_on: dt.date = dt.date(2022, 1, 14)
    cases: list[ConsentCase] = Field(min_length=1)
    policies: dict[str, OriginPolicy] = {}
    grant: Logit = Logit(base=0.5, escalation=0.0, reluctance=-3.0, transactional=0.0)
    lethal: float = -1.0
    prewar: float = -1.5
    answer_days_mean: float = Field(10.0, gt=0)
    expiry_days: float = Field(30.0, gt=0)


class Ratification(_Base):
    candidate: str
    org: str = "NATO"
    signed_on: dt.date
    issue: str = "support"
    median_days: float = Field(60.0, gt=0)
    sigma: float = Field(0.6, gt=0)
    holdup: Logit = Logit(base=-5.0, escalation=0.0, reluctance=2.0, transactional=5.0)
    war: float = 0.0
    holdup_mean_days: float = Field(240.0, gt=0)
    # when set, a hold-up lasts LogNormal(log(holdup_median_days), holdup_sigma) days
    # (the form fitted by `allied lab fit`) instead of Exponential(holdup_mean_days)
    holdup_median_days: float | None = Field(None, gt=0)
    holdup_sigma: float = Field(1.2, gt=0, le=5)


class Aid(_Base):
    start: dt.date = dt.date(2022, 3, 1)
    months: int = Field(36, ge=1, le=240)
    channel: Literal["coalition", "consensus"] = "coalition"
    forum: str = "NATO"
    target: Literal["kiel", "model"] = "kiel"
    model_scale_pct: float = Field(0.6, gt=0)
    stock_months: float = Field(6.0, ge=0)
    production_share: float = Field(0.6, ge=0)
    noise: float = Field(0.4, ge=0, le=0.57)  # sd of a uniform shock; <= 1/sqrt(3) stays > 0
    pause: Logit = Logit(base=-6.0, escalation=0.0, reluctance=0.0, transactional=4.0)
    pause_months: int = Field(4, ge=1)
    package: Logit = Logit(base=-7.0, escalation=3.0, reluctance=3.0, transactional=4.0)
    package_escalation: float = Field(0.3, ge=0, le=1)


class Step(_Base):
    month: int = Field(ge=0)
    size: float = Field(gt=0)


class Escalation(_Base):
    months: int = Field(36, ge=1, le=240)
    strategy: Literal["salami", "fait-accompli", "steps"] = "salami"
    total: float = Field(1.0, gt=0)
    n_steps: int = Field(8, ge=1, le=240)  # at most one a month
    first_month: int = Field(1, ge=0)
    steps: list[Step] = []
    size_noise: float = Field(0.2, ge=0)
    detect_mid: float = Field(0.15, ge=0)
    detect_slope: float = Field(25.0, gt=0)
    single_threshold: float = Field(0.5, gt=0)
    single_sd: float = Field(0.15, ge=0)
    cumulative_threshold: float = Field(0.8, gt=0)
    cumulative_sd: float = Field(0.2, ge=0)
    decay: float = Field(0.85, ge=0, le=1)
    inadvertent: float = Field(0.01, ge=0, le=1)
    rungs: int = Field(5, ge=1)


class Cohesion(_Base):
    years: list[int] = [2022, 2023, 2024]
    issue: str = "support"
    drift: float = Field(0.3, ge=0, le=1)
    noise: float = Field(0.08, ge=0)
    behaviour_weight: float = Field(0.5, ge=0, le=1)
    fatigue: float = Field(0.03, ge=0)


class Scenario(_Base):
    name: str = Field(min_length=1)
    title: str = ""
    question: str = ""
    date: dt.date
    positions: str | None = None
    decision: Decision | None = None
    consent: Consent | None = None
    ratification: Ratification | None = None
    aid: Aid | None = None
    escalation: Escalation | None = None
    cohesion: Cohesion | None = None
    variants: dict[str, dict[str, Any]] = {}

    @model_validator(mode="after")
    def _has_a_mechanism(self) -> Scenario:
        blocks = (self.decision, self.consent, self.ratification, self.aid, self.escalation)
        if all(b is None for b in blocks) and self.cohesion is None:
            raise ValueError(
                "a scenario needs at least one of decision, consent, ratification, aid, "
                "escalation, cohesion"
            )
        return self


def _field_of(err: ValidationError) -> tuple[str, str]:
    first = err.errors()[0]
    loc = ".".join(str(p) for p in first["loc"]) or "scenario"
    return loc, first["msg"]


def _parse_value(text: str) -> Any:
    return yaml.safe_load(text) if text.strip() else ""


def apply_overrides(raw: dict[str, Any], sets: list[str] | dict[str, Any]) -> dict[str, Any]:
    """Apply ``key.sub=value`` overrides (values parsed as YAML) to a raw scenario."""
    out = copy.deepcopy(raw)
    items = list(sets.items()) if isinstance(sets, dict) else [split_set(s) for s in sets]
    for key, value in items:
        parts = key.split(".")
        node: Any = out
        for i, p in enumerate(parts[:-1]):
            if not isinstance(node, dict):
                raise InvalidInput(
                    f"cannot set {key}: {'.'.join(parts[:i])} is not a block", field=key
                )
            node = node.setdefault(p, {})
            if node is None:
                node = {}
        if not isinstance(node, dict):
            raise InvalidInput(f"cannot set {key}", field=key)
        node[parts[-1]] = value
    return out


def split_set(text: str) -> tuple[str, Any]:
    """``key=value`` as (key, value parsed as YAML)."""
    if "=" not in text:
        raise InvalidInput(f"expected key=value, got {text!r}", field="--set")
    key, value = text.split("=", 1)
    if not key.strip():
        raise InvalidInput(f"expected key=value, got {text!r}", field="--set")
    return key.strip(), _parse_value(value)


def validate(raw: Any, *, source: str = "scenario") -> Scenario:
    if not isinstance(raw, dict):
        raise InvalidInput("a scenario is a YAML mapping", field="scenario", source=source)
    try:
        scn = Scenario.model_validate(raw)
    except ValidationError as exc:
        field, msg = _field_of(exc)
        raise InvalidInput(msg, field=field, source=source) from None
    for name, over in scn.variants.items():
        if not isinstance(over, dict):
            raise InvalidInput("a variant is a mapping of overrides", field=f"variants.{name}")
        base = {k: v for k, v in raw.items() if k != "variants"}
        try:
            Scenario.model_validate(apply_overrides(base, over))
        except ValidationError as exc:
            field, msg = _field_of(exc)
            raise InvalidInput(msg, field=f"variants.{name}.{field}", source=source) from None
    return scn


def variant(raw: dict[str, Any], name: str) -> Scenario:
    """The scenario with the overrides of variant ``name`` applied."""
    base = {k: v for k, v in raw.items() if k != "variants"}
    over = raw.get("variants", {}).get(name)
    if over is None:
        raise InvalidInput(f"no variant {name!r}", field="variant")
    return Scenario.model_validate(apply_overrides(base, over))


def builtin_names() -> list[str]:
    folder = resources.files("allied.lab").joinpath("scenarios")
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".yaml"))


def load_raw(name_or_path: str) -> tuple[dict[str, Any], str]:
    """Read a built-in scenario by name, or a YAML file by path."""
    folder: Path | None = None
    if name_or_path in builtin_names():
        text = (
            resources.files("allied.lab")
            .joinpath("scenarios", f"{name_or_path}.yaml")
            .read_text(encoding="utf-8")
        )
        source = f"{name_or_path}.yaml"
    else:
        path = Path(name_or_path)
        if not path.is_file():
            raise InvalidInput(
                f"no built-in scenario or file {name_or_path!r}; built-in: "
                f"{', '.join(builtin_names())}",
                field="scenario",
            )
        text = path.read_text(encoding="utf-8")
        source = str(path)
        folder = path.resolve().parent
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise InvalidInput(
            f"not YAML: {getattr(exc, 'problem', exc)}",
            line=mark.line + 1 if mark is not None else None,
            source=source,
        ) from None
    if not isinstance(raw, dict):
        raise InvalidInput("a scenario is a YAML mapping", field="scenario", source=source)
    positions = raw.get("positions")
    if isinstance(positions, str) and folder is not None and not Path(positions).is_absolute():
        raw["positions"] = str(folder / positions)  # relative to the scenario file
    return raw, source


def load(name_or_path: str, sets: list[str] | None = None) -> tuple[Scenario, dict[str, Any]]:
    raw, source = load_raw(name_or_path)
    if sets:
        raw = apply_overrides(raw, sets)
        source = f"{source} with --set {' '.join(sets)}"
    return validate(raw, source=source), raw


def issues_read(model: BaseModel) -> set[str]:
    """The issues the scenario's mechanisms read positions on (every ``issue`` field,
    defaults included), so that a positions file on other issues can be flagged."""
    found: set[str] = set()
    for name in type(model).model_fields:
        value = getattr(model, name)
        if name == "issue" and isinstance(value, str):
            found.add(value)
        for item in value if isinstance(value, list | tuple) else (value,):
            if isinstance(item, BaseModel):
                found |= issues_read(item)
    return found

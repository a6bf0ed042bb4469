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
from typing import Any, Literal, get_args, get_origin

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

    base: float = Field(default=-4.0, description="intercept of the logit")
    escalation: float = Field(default=3.0, description="weight of the escalation level asked (0-1)")
    reluctance: float = Field(
        default=4.0, description="weight of the actor's opposition (1 - position) x salience"
    )
    support: float = Field(
        default=0.0, description="weight of the actor's support position x salience"
    )
    transactional: float = Field(
        default=2.0, description="weight of the actor's transactionalism (0-1)"
    )
    run_noise: float = Field(
        default=0.5, ge=0, description="sd of a shock drawn once per run and shared by all actors"
    )


class Holdup(_Base):
    """A hold-up that lasts: at the outset each participant takes the decision hostage
    with the probability of the ``start`` logit, and then objects in every round until it
    is released: by a side payment or linked concession after ``LogNormal(log(median_days),
    sigma)`` days, by a change of government (``Exponential(government_change_days)``,
    when set) or by a deadline (``deadline_days``, when set), whichever comes first."""

    start: Logit = Field(
        Logit(base=-3.5, escalation=0.0, reluctance=0.0, transactional=0.0, run_noise=0.0),
        description="P(a participant takes the decision hostage at the outset)",
    )
    median_days: float = Field(
        120.0, gt=0, description="median days until a side payment releases a hold-up"
    )
    sigma: float = Field(1.2, gt=0, le=5, description="log-scale spread of those days")
    government_change_days: float | None = Field(
        None, gt=0, description="mean days to a change of government that ends it (off: none)"
    )
    deadline_days: float | None = Field(
        None, gt=0, description="a deadline releasing any hold-up after this many days"
    )


class Decision(_Base):
    """A proposal decided in a forum by a rule, round after round, softened when it fails."""

    forum: str = Field("NATO", description="the forum whose members decide (NATO, EU, UDCG)")
    rule: Rule = Field(Rule.CONSENSUS_SILENCE, description="the decision rule")
    issue: str = Field("support", description="the issue whose positions drive objections")
    escalation: float = Field(0.5, ge=0, le=1, description="escalation level of the proposal")
    max_rounds: int = Field(4, ge=1, le=200, description="rounds at most before it fails")
    softening: float = Field(
        0.25, ge=0, lt=1, description="share the escalation drops after a failed round"
    )
    days_per_round: float = Field(3.0, gt=0, description="days one round takes")
    abstain_share: float = Field(
        0.3, ge=0, le=1, description="share of objectors who abstain (unanimity, QMV)"
    )
    objection: Logit = Field(
        Logit(base=-7.0, escalation=3.0, reluctance=3.0, transactional=3.0),
        description="P(a participant objects in a round)",
    )
    fallback: Literal["none", "coalition"] = Field(
        "coalition", description="what follows a failure: a coalition of the willing or none"
    )
    coalition_pool: str = Field("UDCG", description="who may join the coalition")
    join: Logit = Field(
        Logit(base=-2.5, escalation=-1.0, reluctance=0.0, support=5.0, transactional=-2.0),
        description="P(a member of the pool joins the coalition)",
    )
    holdup: Holdup | None = Field(None, description="hold-ups that last (issue linkage)")


class ConsentCase(_Base):
    origin: str
    holder: str
    label: str = ""
    lethal: bool = True
    observed: Literal["granted", "denied", "expired", "pending"] | None = None


class Consent(_Base):
    """Re-export consent asked of origin states, answered by their standing policy or
    drawn case by case."""

    requested_on: dt.date = Field(dt.date(2022, 1, 14), description="the day consent is asked")
    cases: list[ConsentCase] = Field(min_length=1)
    policies: dict[str, OriginPolicy] = {}
    grant: Logit = Field(
        Logit(base=0.5, escalation=0.0, reluctance=-3.0, transactional=0.0),
        description="P(a case-by-case origin grants)",
    )
    lethal: float = Field(-1.0, description="added to the grant logit for lethal items")
    prewar: float = Field(-1.5, description="added for requests before 2022-02-24")
    answer_days_mean: float = Field(10.0, gt=0, description="mean days to an answer")
    expiry_days: float = Field(30.0, gt=0, description="a request unanswered this long expires")


class Ratification(_Base):
    """An accession protocol ratified by every member's parliament."""

    candidate: str = Field(description="the acceding state (ISO3)")
    org: str = Field("NATO", description="the organisation joined")
    signed_on: dt.date = Field(description="the day the protocol is signed")
    issue: str = Field("support", description="the issue whose positions drive hold-ups")
    median_days: float = Field(60.0, gt=0, description="median days a parliament takes")
    sigma: float = Field(0.6, gt=0, description="log-scale spread of those days")
    holdup: Logit = Field(
        Logit(base=-5.0, escalation=0.0, reluctance=2.0, transactional=5.0),
        description="P(a member holds the ratification up for side payments)",
    )
    war: float = Field(0.0, description="added to the hold-up logit while the war is hot")
    holdup_mean_days: float = Field(
        240.0, gt=0, description="mean extra days of a hold-up (exponential)"
    )
    # when set, a hold-up lasts LogNormal(log(holdup_median_days), holdup_sigma) days
    # (the form fitted by `allied lab fit`) instead of Exponential(holdup_mean_days)
    holdup_median_days: float | None = Field(
        None, gt=0, description="when set, hold-ups last LogNormal days of this median"
    )
    holdup_sigma: float = Field(
        1.2, gt=0, le=5, description="log-scale spread of those hold-up days"
    )


class Aid(_Base):
    """Monthly aid flows of the donors, limited by stocks and production."""

    start: dt.date = Field(dt.date(2022, 3, 1), description="the first month")
    months: int = Field(36, ge=1, le=240, description="months simulated")
    channel: Literal["coalition", "consensus"] = Field(
        "coalition", description="bilateral (coalition) or a forum's monthly package (consensus)"
    )
    forum: str = Field("NATO", description="the forum of the consensus channel")
    target: Literal["kiel", "model"] = Field(
        "kiel", description="pledge targets from the Kiel tracker or from the model"
    )
    model_scale_pct: float = Field(
        0.6, gt=0, description="% of GDP a year per unit of support (target model)"
    )
    stock_months: float = Field(6.0, ge=0, description="the starting stock, in months of target")
    production_share: float = Field(
        0.6, ge=0, description="share of target refilled into stock each month"
    )
    noise: float = Field(
        0.4, ge=0, le=0.57, description="sd of the monthly pledge shock (uniform, mean 1)"
    )
    pause: Logit = Field(
        Logit(base=-6.0, escalation=0.0, reluctance=0.0, transactional=4.0),
        description="P(a donor pauses its pledges in a month)",
    )
    pause_months: int = Field(4, ge=1, description="months a pause lasts")
    package: Logit = Field(
        Logit(base=-7.0, escalation=3.0, reluctance=3.0, transactional=4.0),
        description="P(an ally objects to a month's package, consensus channel)",
    )
    package_escalation: float = Field(0.3, ge=0, le=1, description="escalation level of a package")


class Step(_Base):
    month: int = Field(ge=0)
    size: float = Field(gt=0)


class Escalation(_Base):
    """The alliance's steps up a ladder and the adversary's responses."""

    months: int = Field(36, ge=1, le=240, description="months simulated")
    strategy: Literal["salami", "fait-accompli", "steps"] = Field(
        "salami", description="equal slices, all at once, or the listed steps"
    )
    total: float = Field(1.0, gt=0, description="the planned total step (1 = the planned step)")
    n_steps: int = Field(8, ge=1, le=240, description="slices of a salami (at most one a month)")
    first_month: int = Field(1, ge=0, description="the month of the first step")
    steps: list[Step] = []
    size_noise: float = Field(0.2, ge=0, description="log-scale noise on each step's size")
    detect_mid: float = Field(0.15, ge=0, description="step size detected half the time")
    detect_slope: float = Field(25.0, gt=0, description="steepness of detection with size")
    single_threshold: float = Field(
        0.5, gt=0, description="mean size of one detected step that draws a response"
    )
    single_sd: float = Field(0.15, ge=0, description="its sd across runs")
    cumulative_threshold: float = Field(
        0.8, gt=0, description="mean pressure that draws a response"
    )
    cumulative_sd: float = Field(0.2, ge=0, description="its sd across runs")
    decay: float = Field(0.85, ge=0, le=1, description="share of pressure kept each month")
    inadvertent: float = Field(
        0.01, ge=0, le=1, description="monthly P(one rung up whatever the alliance does)"
    )
    rungs: int = Field(5, ge=1, description="rungs of the ladder")


class Cohesion(_Base):
    """Positions and behaviour of the donors drifting year by year, split in two tiers."""

    years: list[int] = [2022, 2023, 2024]
    issue: str = Field("support", description="the issue whose positions drift")
    drift: float = Field(0.3, ge=0, le=1, description="pull towards the anchor each year")
    noise: float = Field(0.08, ge=0, description="sd of the yearly noise on positions")
    behaviour_weight: float = Field(
        0.5, ge=0, le=1, description="weight of behaviour (Kiel aid) against position"
    )
    fatigue: float = Field(0.03, ge=0, description="yearly drift down per unit of transactionalism")


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
    """Apply ``key.sub=value`` overrides (values parsed as YAML) to a raw scenario.

    A block the scenario leaves out starts from the model's default for it (setting
    ``decision.objection.base`` keeps the decision's default objection weights, not the
    bare ``Logit``'s), so a parameter's listed default is what the other fields keep."""
    out = copy.deepcopy(raw)
    items = list(sets.items()) if isinstance(sets, dict) else [split_set(s) for s in sets]
    for key, value in items:
        parts = key.split(".")
        node: Any = out
        model: type[BaseModel] | None = Scenario
        for i, p in enumerate(parts[:-1]):
            if not isinstance(node, dict):
                raise InvalidInput(
                    f"cannot set {key}: {'.'.join(parts[:i])} is not a block", field=key
                )
            info = model.model_fields.get(p) if model is not None else None
            if node.get(p) is None:
                seed = info.default if info is not None else None
                node[p] = seed.model_dump(mode="json") if isinstance(seed, BaseModel) else {}
            node = node[p]
            model = _model_of(info.annotation) if info is not None else None
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


# -- the parameters an override may set ---------------------------------------------------


def _model_of(annotation: Any) -> type[BaseModel] | None:
    """The model class of a field's annotation (``Holdup | None`` -> ``Holdup``), if any."""
    for each in (annotation, *get_args(annotation)):
        if isinstance(each, type) and issubclass(each, BaseModel):
            return each
    return None


def _bounds(info: Any) -> str:
    """What a field accepts, in words: its range or its choices."""
    words = []
    for rule in info.metadata:
        for attr, word in (("ge", "at least"), ("gt", "above"), ("le", "at most"), ("lt", "below")):
            if getattr(rule, attr, None) is not None:
                words.append(f"{word} {getattr(rule, attr):g}")
    annotation = info.annotation
    kinds = [a for a in (annotation, *get_args(annotation)) if a is not type(None)]
    for kind in kinds:
        if get_origin(kind) is Literal:
            words.append("one of " + ", ".join(str(c) for c in get_args(kind)))
        elif isinstance(kind, type) and issubclass(kind, Rule):
            words.append("one of " + ", ".join(r.value for r in kind))
        elif kind is dt.date:
            words.append("a date YYYY-MM-DD")
        elif kind is int:
            words.insert(0, "a whole number")
        elif kind is bool:
            words.append("true or false")
        elif kind is float:
            words.insert(0, "a number")
        elif kind is str:
            words.insert(0, "a name")
    if type(None) in get_args(annotation):
        words.append("null to unset")
    return ", ".join(words)


def show_value(value: Any) -> str:
    """A parameter's value as the form takes it (``key=value``)."""
    if value is None:
        return "not set"
    if isinstance(value, Rule):
        return value.value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _fields(
    prefix: str, cls: type[BaseModel], current: Any, defaults: Any, about: str
) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for name, info in cls.model_fields.items():
        key = f"{prefix}.{name}"
        value = getattr(current, name) if current is not None else None
        if defaults is not None:
            default = getattr(defaults, name)
        else:
            default = None if info.is_required() else info.default
        meaning = info.description or ""
        if get_origin(info.annotation) in (list, dict):
            continue  # cases, policies, steps, years: not one value
        sub = _model_of(info.annotation)
        if sub is not None:
            out += _fields(
                key,
                sub,
                value,
                default if isinstance(default, BaseModel) else None,
                meaning or about,
            )
            continue
        out.append(
            {
                "key": key,
                "value": show_value(value),
                "default": show_value(default) if not info.is_required() else "required",
                "meaning": f"{about}: {meaning}" if about else meaning,
                "accepts": _bounds(info),
            }
        )
    return out


def parameters(raw: dict[str, Any]) -> list[dict[str, Any]]:
    """The parameters an override (``key=value``) may set in the scenario ``raw``: every
    single-valued field of the mechanism blocks it has, as a dotted key, with its value in
    the scenario, its default, its meaning and what it accepts. A block the scenario lacks
    is not offered (setting one would add a mechanism), nor are lists and mappings (cases,
    policies, steps, years); an optional sub-block (``decision.holdup``) is, "not set"."""
    scenario = validate(raw)
    out: list[dict[str, Any]] = []
    for name, info in Scenario.model_fields.items():
        block = getattr(scenario, name)
        cls = _model_of(info.annotation)
        if cls is None or block is None or name == "variants":
            continue
        out += _fields(name, cls, block, None, "")
    return out

"""Turn the per-run arrays of a scenario into plain, JSON-ready metrics."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from allied.domain.consent import ConsentStatus
from allied.lab.actors import ActorTable
from allied.lab.model import CONSENT_CODES, Arrays, combined_codes
from allied.lab.scenario import Scenario

TOP = 8


def r6(x: float) -> float:
    """Six significant digits: stable, readable JSON."""
    return float(f"{float(x):.6g}")


def quantiles(x: npt.NDArray[Any]) -> dict[str, float]:
    if x.size == 0:
        return {}
    q = np.quantile(x.astype(np.float64), [0.1, 0.5, 0.9])
    return {"mean": r6(x.mean()), "p10": r6(q[0]), "p50": r6(q[1]), "p90": r6(q[2])}


def top(
    actors: ActorTable, values: npt.NDArray[Any], scale: float, n: int = TOP
) -> list[dict[str, Any]]:
    order = np.argsort(-values, kind="stable")
    return [
        {"actor": actors.codes[i], "value": r6(values[i] * scale)}
        for i in order[:n]
        if values[i] > 0
    ]


def summarise(actors: ActorTable, scn: Scenario, a: Arrays, runs: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if scn.decision is not None:
        adopted = a["adopted"].astype(bool)
        delay = a["actor_delay_days"]
        d: dict[str, Any] = {
            "forum": scn.decision.forum,
            "rule": scn.decision.rule.value,
            "p_adopted": r6(adopted.mean()),
            "days_to_adoption": quantiles(a["days"][adopted]),
            "rounds": quantiles(a["rounds"]),
            "final_escalation_if_adopted": quantiles(a["final_escalation"][adopted]),
            "blocks_per_run": top(actors, a["actor_blocks"], 1.0 / runs),
            "delay_share": top(actors, delay, 1.0 / max(float(delay.sum()), 1e-12)),
        }
        if "held_up" in a:
            held = a["held_up"].astype(bool)
            d["p_held_up"] = r6(held.mean())
            d["days_to_adoption_if_held_up"] = quantiles(a["days"][adopted & held])
            d["p_adopted_within_365_days"] = r6((adopted & (a["days"] <= 365)).mean())
            d["hostage_per_run"] = top(actors, a["actor_hostage"], 1.0 / runs)
        if "coalition_size" in a:
            failed = ~adopted
            d["p_coalition_acts"] = r6(a["coalition_acts"].mean())
            d["coalition_size_if_consensus_fails"] = quantiles(a["coalition_size"][failed])
            d["acts_without_consensus"] = top(
                actors, a["actor_acts_alone"], 1.0 / max(int(failed.sum()), 1)
            )
        out["decision"] = d
    if scn.consent is not None:
        st = a["consent_status"]
        cases = []
        for j, case in enumerate(scn.consent.cases):
            col = st[:, j]
            cases.append(
                {
                    "origin": case.origin,
                    "holder": case.holder,
                    "label": case.label,
                    "observed": case.observed,
                    **{f"p_{k.value}": r6((col == v).mean()) for k, v in CONSENT_CODES.items()},
                }
            )
        comb = combined_codes(st)
        out["consent"] = {
            "cases": cases,
            "p_all_granted": r6((comb == CONSENT_CODES[ConsentStatus.GRANTED]).mean()),
        }
    if scn.ratification is not None:
        days = a["ratification_days"]
        out["ratification"] = {
            "candidate": scn.ratification.candidate,
            "days_to_last_ratification": quantiles(days),
            "p_within_365_days": r6((days <= 365).mean()),
            "p_within_730_days": r6((days <= 730).mean()),
            "last_ratifier": top(actors, a["actor_last_ratifier"], 1.0 / runs),
            "holdup_probability": top(actors, a["actor_holdups"], 1.0 / runs),
        }
    if scn.aid is not None:
        out["aid"] = {
            "channel": scn.aid.channel,
            "delivered_usd_bn": quantiles(a["aid_delivered_usd_bn"]),
            "fill_rate": quantiles(a["aid_fill_rate"]),
            "lateness_months": quantiles(a["aid_lateness_months"]),
            "monthly_cv": quantiles(a["aid_monthly_cv"]),
            "packages_blocked": quantiles(a["aid_packages_blocked"]),
            "burden_share": top(actors, a["actor_burden_share"], 1.0 / runs, 12),
            "package_objections_per_run": top(actors, a["actor_package_objections"], 1.0 / runs),
        }
    if scn.escalation is not None:
        rung = a["escalation_rung"]
        first = a["escalation_first_month"]
        out["escalation"] = {
            "strategy": scn.escalation.strategy,
            "rung": quantiles(rung),
            "p_rung": {str(k): r6((rung >= k).mean()) for k in range(1, scn.escalation.rungs + 1)},
            "p_deliberate_response": r6((a["escalation_deliberate_responses"] > 0).mean()),
            "first_escalation_month": quantiles(first[first >= 0]),
            "share_done_before_first_escalation": quantiles(a["escalation_done_before_response"]),
        }
    if scn.cohesion is not None:
        split = a["cohesion_split"]
        out["cohesion"] = {
            "split_by_year": {
                str(y): quantiles(split[:, k]) for k, y in enumerate(scn.cohesion.years)
            },
            "upper_tier_size": quantiles(a["cohesion_upper_size"]),
            "tier_switches": quantiles(a["cohesion_switches"]),
            "p_upper_tier": top(actors, a["actor_upper_tier"], 1.0 / runs, 20),
        }
    return out


def headline(summary: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per variant and metric, for a table."""
    rows: list[dict[str, Any]] = []
    for name, v in summary["variants"].items():
        for block, metrics in v.items():
            for key, value in metrics.items():
                if isinstance(value, dict) and "mean" in value:
                    text = "  ".join(f"{q} {value[q]:g}" for q in ("mean", "p10", "p50", "p90"))
                elif isinstance(value, list):
                    text = ", ".join(
                        f"{x['actor']} {x['value']:.3g}" if "actor" in x else str(x)
                        for x in value[:6]
                    )
                elif isinstance(value, dict) and all(
                    isinstance(v, dict) and "mean" in v for v in value.values()
                ):
                    text = ", ".join(f"{k} mean {v['mean']:g}" for k, v in value.items())
                elif isinstance(value, dict):
                    text = ", ".join(
                        f"{k} {val:g}" if isinstance(val, float) else f"{k} {val}"
                        for k, val in value.items()
                    )
                else:
                    text = str(value)
                if text:
                    rows.append({"variant": name, "metric": f"{block}.{key}", "value": text})
    return rows

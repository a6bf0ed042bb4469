"""From confirmed events to stances per state and issue, a timeline, and fissures.

Each confirmed event gives signals on the issues it bears on (see ``signals``); a
stance is the mean of the signals of an actor's events on an issue, in [-1, 1], and
its salience is the share of the actor's evidence that bears on the issue, in [0, 1]
(how much the issue occupies that actor, as in spatial models of bargaining).
Fissures cluster the actors by their stances (average-linkage hierarchical
clustering, SciPy) into groups.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from allied.domain.actors import ORGANISATIONS as ALL_ORGANISATIONS
from allied.domain.errors import InvalidInput
from allied.monitor.model import EventType as T
from allied.monitor.model import date_ceiling, date_floor
from allied.monitor.record import ACCEPTED, RecordedEvent


class Issue(StrEnum):
    MILITARY_AID = "military-aid"
    ESCALATION = "escalation-tolerance"
    UKRAINE_MEMBERSHIP = "ukraine-membership"
    REEXPORT = "reexport-restrictiveness"
    EU_AUTONOMY = "eu-autonomy"


ISSUE_HELP = {
    Issue.MILITARY_AID: "support for military aid to Ukraine (+1 gives or clears aid, "
    "-1 blocks it)",
    Issue.ESCALATION: "tolerance of escalation with Russia (+1 deploys, sanctions, arms; "
    "-1 calls for ceasefire, talks, dialogue)",
    Issue.UKRAINE_MEMBERSHIP: "Ukraine's membership of NATO (+1 supports, -1 opposes)",
    Issue.REEXPORT: "restrictiveness on re-export of arms it made (+1 blocks transfers, "
    "-1 clears them)",
    Issue.EU_AUTONOMY: "EU strategic autonomy (+1 calls for European defence or a separate "
    "EU path)",
}

ADVERSARIES = frozenset({"RUS", "BLR"})
ORGANISATIONS = frozenset(ALL_ORGANISATIONS)
DE_ESCALATE = re.compile(
    r"ceasefire|cease-fire|truce|peace|talks|negotiat|dialogue|diplomac|de-?escalat|armistice",
    re.IGNORECASE,
)
ESCALATE = re.compile(
    r"presence|troops|forces|weapons|arms|deterren|battlegroup|tanks|missiles|air defen",
    re.IGNORECASE,
)
AUTONOMY = re.compile(
    r"autonom|european defen[cs]e|strategic sovereignty|separate|own dialogue|eu-russia"
    r"|european army|independen",
    re.IGNORECASE,
)


def parse_issue(value: str, field_name: str = "--issue") -> Issue:
    try:
        return Issue(value.strip().lower())
    except ValueError:
        known = ", ".join(i.value for i in Issue)
        raise InvalidInput(f"unknown issue {value!r} (one of: {known})", field=field_name) from None


def signals(e: RecordedEvent) -> list[tuple[Issue, float]]:
    """The issues an event bears on, each with a signed score in [-1, 1]."""
    out: list[tuple[Issue, float]] = []
    if e.actor in ADVERSARIES:
        return out
    t, target, text = e.type, e.target, e.evidence
    if t is T.PROVIDE:
        if target is None or target == "UKR":
            out += [(Issue.MILITARY_AID, 1.0), (Issue.ESCALATION, 0.5)]
    elif t is T.AUTHORISE:
        out += [(Issue.REEXPORT, -1.0), (Issue.MILITARY_AID, 0.5)]
    elif t is T.BLOCK:
        if target not in ADVERSARIES:
            out += [(Issue.REEXPORT, 1.0), (Issue.MILITARY_AID, -1.0)]
    elif t is T.CALL_FOR:
        if DE_ESCALATE.search(text):
            out += [(Issue.ESCALATION, -1.0), (Issue.MILITARY_AID, -0.5)]
        elif ESCALATE.search(text):
            out.append((Issue.ESCALATION, 1.0))
        if AUTONOMY.search(text):
            out.append((Issue.EU_AUTONOMY, 1.0))
    elif t is T.SUPPORT_MEMBERSHIP:
        if target == "UKR":
            out.append((Issue.UKRAINE_MEMBERSHIP, 1.0))
    elif t is T.OPPOSE_MEMBERSHIP:
        if target == "UKR":
            out.append((Issue.UKRAINE_MEMBERSHIP, -1.0))
    elif t is T.DEPLOY:
        out.append((Issue.ESCALATION, 0.5))
    elif t is T.WITHDRAW:
        out.append((Issue.ESCALATION, -0.5))
    elif t is T.SANCTION:
        if target in ADVERSARIES or target is None:
            out.append((Issue.ESCALATION, 0.5))
    elif t is T.MEET:
        if target in ADVERSARIES:
            out.append((Issue.ESCALATION, -0.5))
    elif t is T.ACCUSE and target in ADVERSARIES:
        out.append((Issue.ESCALATION, 0.25))
    return out


@dataclass
class Evidence:
    event: str
    date: str | None
    type: str
    target: str | None
    score: float
    document: str
    evidence: str
    start: int
    end: int


@dataclass
class Position:
    actor: str
    issue: Issue
    position: float
    salience: float
    events: int
    evidence: list[Evidence] = field(default_factory=list)
    series: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self, *, with_evidence: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {
            "actor": self.actor,
            "issue": self.issue.value,
            "position": self.position,
            "salience": self.salience,
            "events": self.events,
        }
        if with_evidence:
            out["series"] = self.series
            out["evidence"] = [vars(e) for e in self.evidence]
        return out


def _accepted(events: Iterable[RecordedEvent], on: str | None) -> list[RecordedEvent]:
    """Confirmed or corrected events dated on or before ``on`` (undated ones always)."""
    limit = date_ceiling(on) if on else None
    out = [
        e
        for e in events
        if e.status in ACCEPTED
        and (limit is None or e.date is None or (date_floor(e.date) or limit) <= limit)
    ]
    return sorted(out, key=lambda e: (e.date or "", e.id))


def positions(
    events: Iterable[RecordedEvent],
    *,
    issues: Sequence[Issue] | None = None,
    on: str | None = None,
) -> list[Position]:
    """Stance per actor and issue from accepted (confirmed or corrected) events up to ``on``."""
    wanted = set(issues) if issues else set(Issue)
    per: dict[tuple[str, Issue], list[Evidence]] = defaultdict(list)
    totals: dict[str, int] = defaultdict(int)
    for e in _accepted(events, on):
        sig = signals(e)
        if sig:
            totals[e.actor] += 1
        for issue, score in sig:
            per[(e.actor, issue)].append(
                Evidence(e.id, e.date, e.type.value, e.target, score, e.document, e.evidence,
                         e.start, e.end)
            )
    out: list[Position] = []
    for (actor, issue), ev in sorted(per.items(), key=lambda kv: (kv[0][0], kv[0][1].value)):
        if issue not in wanted:
            continue
        mean = sum(x.score for x in ev) / len(ev)
        series: list[dict[str, Any]] = []
        running: list[float] = []
        for x in ev:
            running.append(x.score)
            point = {"date": x.date, "position": round(sum(running) / len(running), 3)}
            if series and series[-1]["date"] == x.date:
                series[-1] = point
            else:
                series.append(point)
        out.append(
            Position(
                actor=actor,
                issue=issue,
                position=round(mean, 3),
                salience=round(len(ev) / totals[actor], 3),
                events=len(ev),
                evidence=ev,
                series=series,
            )
        )
    return out


def timeline(events: Iterable[RecordedEvent], *, on: str | None = None) -> list[dict[str, Any]]:
    """Accepted events in date order, each with the issues it bears on."""
    rows = []
    for e in _accepted(events, on):
        rows.append(
            {
                "date": e.date,
                "actor": e.actor,
                "type": e.type.value,
                "target": e.target,
                "issues": ",".join(f"{i.value}{s:+g}" for i, s in signals(e)),
                "document": e.document,
                "id": e.id,
                "evidence": e.evidence,
            }
        )
    return rows


@dataclass
class Fissures:
    issues: list[Issue]
    actors: list[str]
    matrix: list[list[float]]  # actors x issues, 0 where an actor has no stance
    groups: list[list[str]]  # actors per group, largest first
    labels: dict[str, int]  # actor -> group number (1-based)
    means: list[dict[str, float]]  # per group: issue -> mean stance

    def as_dict(self) -> dict[str, Any]:
        return {
            "issues": [i.value for i in self.issues],
            "groups": [
                {"group": n + 1, "actors": g, "mean": self.means[n]}
                for n, g in enumerate(self.groups)
            ],
            "stances": {
                a: dict(zip([i.value for i in self.issues], row, strict=True))
                for a, row in zip(self.actors, self.matrix, strict=True)
            },
        }


def fissures(
    stances: Sequence[Position], *, groups: int = 2, states_only: bool = True
) -> Fissures:
    """Cluster actors by their stances into ``groups`` (average linkage, Euclidean)."""
    import numpy as np
    from scipy.cluster.hierarchy import (  # type: ignore[import-untyped]
        fcluster,
        linkage,
    )

    if groups < 1:
        raise InvalidInput("the number of groups must be at least 1", field="--groups")
    rows = [p for p in stances if not (states_only and p.actor in ORGANISATIONS)]
    issues = sorted({p.issue for p in rows}, key=lambda i: list(Issue).index(i))
    actors = sorted({p.actor for p in rows})
    if len(actors) < 2:
        raise InvalidInput(
            "fissures need stances of at least two states: confirm more events",
            field="events",
        )
    col = {i: n for n, i in enumerate(issues)}
    idx = {a: n for n, a in enumerate(actors)}
    matrix = np.zeros((len(actors), len(issues)))
    for p in rows:
        matrix[idx[p.actor], col[p.issue]] = p.position
    k = min(groups, len(actors))
    if k == 1:
        labels = np.ones(len(actors), dtype=int)
    else:
        z = linkage(matrix, method="average", metric="euclidean")
        labels = fcluster(z, t=k, criterion="maxclust")
    members: dict[int, list[str]] = defaultdict(list)
    for a, lab in zip(actors, labels, strict=True):
        members[int(lab)].append(a)
    ordered = sorted(members.values(), key=lambda g: (-len(g), g))
    label_of = {a: n + 1 for n, g in enumerate(ordered) for a in g}
    means = []
    for g in ordered:
        sub = matrix[[idx[a] for a in g]]
        means.append({i.value: round(float(sub[:, col[i]].mean()), 3) for i in issues})
    return Fissures(
        issues=issues,
        actors=actors,
        matrix=[[round(float(v), 3) for v in r] for r in matrix],
        groups=ordered,
        labels=label_of,
        means=means,
    )


def fissure_chart(f: Fissures, path: str, title: str = "Fissures: stances by group") -> None:
    """A heat map of stances, actors ordered by group, written as PNG to ``path``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    order = [a for g in f.groups for a in g]
    idx = {a: n for n, a in enumerate(f.actors)}
    data = np.array([f.matrix[idx[a]] for a in order]) if order else np.zeros((0, 0))
    height = max(3.0, 0.35 * len(order) + 1.5)
    fig, ax = plt.subplots(figsize=(2.0 + 1.6 * len(f.issues), height))
    try:
        im = ax.imshow(data, cmap="RdBu", vmin=-1, vmax=1, aspect="auto")
        ax.set_xticks(range(len(f.issues)), [i.value for i in f.issues], rotation=30, ha="right")
        ax.set_yticks(range(len(order)), [f"{a} (group {f.labels[a]})" for a in order])
        edge = 0
        for g in f.groups[:-1]:
            edge += len(g)
            ax.axhline(edge - 0.5, color="black", linewidth=2)
        for r in range(len(order)):
            for c in range(len(f.issues)):
                colour = "white" if abs(data[r, c]) > 0.6 else "black"
                ax.text(c, r, f"{data[r, c]:+.2f}", ha="center", va="center", fontsize=8,
                        color=colour)
        fig.colorbar(im, ax=ax, label="stance (-1 .. +1)")
        ax.set_title(title)
        fig.tight_layout()
        fig.savefig(path, dpi=100)
    finally:
        plt.close(fig)

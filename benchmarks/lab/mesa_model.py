"""The lab's 36-month aid model written in Mesa, the way an analyst would.

Same mechanism and parameters as ``allied.lab.model.aid`` (contact group or NATO
consensus channel): one agent per donor, one step per month, scalar draws from the
model's generator. Used only by ``bench_lab.py`` to time it side by side.
"""

from __future__ import annotations

import math
from typing import Any

import mesa
import numpy as np

from allied.lab import scenario as sc
from allied.lab.actors import load_actors
from allied.lab.model import aid_targets, build_world, sigmoid


class Donor(mesa.Agent):
    def __init__(
        self, model: AidModel, target: float, p_pause: float, p_object: float, nato: bool
    ) -> None:
        super().__init__(model)
        self.target = target
        self.stock = model.params.stock_months * target
        self.production = model.params.production_share * target
        self.p_pause = p_pause
        self.p_object = p_object
        self.nato = nato
        self.pause_left = 0
        self.backlog = 0.0
        self.delivered = 0.0
        self.pledged = 0.0

    def pledge(self) -> None:
        m = self.model
        if self.pause_left > 0:
            self.pause_left -= 1
        if self.pause_left == 0 and m.random.random() < self.p_pause:
            self.pause_left = m.params.pause_months
        half_width = math.sqrt(3.0) * m.params.noise
        shock = 1.0 + half_width * (2.0 * m.random.random() - 1.0)
        amount = self.target * shock if self.pause_left == 0 else 0.0
        self.pledged += amount
        self.backlog += amount

    def deliver(self) -> None:
        m = self.model
        amount = min(self.backlog, self.stock)
        if self.nato and not m.package_ok:
            amount = 0.0
        self.stock = self.stock - amount + self.production
        self.backlog -= amount
        self.delivered += amount
        m.month_total += amount
        m.waiting += self.backlog


class AidModel(mesa.Model):
    def __init__(self, raw: dict[str, Any], seed: int) -> None:
        super().__init__(seed=seed)
        scenario = sc.validate(raw)
        assert scenario.aid is not None
        self.params = scenario.aid
        world = build_world(load_actors(), scenario, [])
        donors = world.forum("UDCG", self.params.start)
        targets = aid_targets(world, self.params)
        p_pause = sigmoid(world.logit(self.params.pause, 0.0, "support"))
        p_obj = sigmoid(world.logit(self.params.package, self.params.package_escalation, "support"))
        nato = world.forum(self.params.forum, self.params.start)
        self.consensus = self.params.channel == "consensus"
        for i in range(len(targets)):
            if donors[i]:
                Donor(self, float(targets[i]), float(p_pause[i]), float(p_obj[i]), bool(nato[i]))
        self.package_ok = True
        self.month_total = 0.0
        self.waiting = 0.0
        self.monthly: list[float] = []

    def step(self) -> None:
        self.agents.do("pledge")
        if self.consensus:
            self.package_ok = not any(
                a.nato and self.random.random() < a.p_object for a in self.agents
            )
        self.month_total = 0.0
        self.agents.do("deliver")
        self.monthly.append(self.month_total)

    def result(self) -> dict[str, float]:
        delivered = sum(a.delivered for a in self.agents)
        pledged = sum(a.pledged for a in self.agents)
        m = np.array(self.monthly)
        return {
            "delivered_usd_bn": delivered / 1e9,
            "fill_rate": delivered / pledged if pledged else 1.0,
            "lateness_months": self.waiting / pledged if pledged else 0.0,
            "monthly_cv": float(m.std() / m.mean()) if m.mean() > 0 else 0.0,
        }


def run(raw: dict[str, Any], replications: int, seed: int) -> list[dict[str, float]]:
    out = []
    for r in range(replications):
        model = AidModel(raw, seed + r)
        for _ in range(model.params.months):
            model.step()
        out.append(model.result())
    return out

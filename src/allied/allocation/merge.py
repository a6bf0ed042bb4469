"""Interchangeable offers solved as one (issue 24): an exact reduction of the problem.

Two offers are *interchangeable* when every request sees them alike: the same family,
the same reserved recipient (or none), the same channel rule outcome, the same origin
and consent answer (when they need consent), and the same weight for every request that
accepts the family. The weight depends on the offer only through its lateness: it is the
request's ``priority / quantity`` for every offer available on or before the request's
needed-by date. So two offers of a family have the same weight for every request exactly
when they have the same available-from day, or when both are available by the earliest
needed-by date among the requests that accept the family (both on time for all of them).

:func:`merge_offers` replaces each class of interchangeable offers by one offer with
their summed quantity (its id and date those of its first member in the problem's
order; its consent answer the class's, given explicitly). A plan of the merged problem
is a plan of the original one once each line of a merged offer is split over its members
(:func:`allied.allocation.plan.plan_part`: members the longest available first, by
available-from date then id, each filled before the next; requests in id order), with
the same weight for every unit: the optimum is the same, and so is every reason for
what stays unfilled (an offer saturated in the split plan is what
``insufficient-supply`` looks at). Among equally good plans, the split may
give the flow to other offers than a solve without merging would.

A decade's store has hundreds of thousands of open offers, most of them available long
before the needed-by dates of the requests still open (benchmarks/scale/ALLOCATE.md):
merged, the pairs follow the requests and the distinct late days, not the offers.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping

from allied.allocation.model import ConsentStatus, OfferSpec, Problem

#: Per merged offer id: the original offers it stands for, the longest available first
#: (by available-from date, then id): the order the split fills them in.
Members = Mapping[str, tuple[OfferSpec, ...]]

_Key = tuple[str, str | None, dt.date | None, str | None, str | None, ConsentStatus | None]


def merge_offers(problem: Problem) -> tuple[Problem, Members | None]:
    """The problem with each class of interchangeable offers merged into one, and the
    members of each merged offer; ``(problem, None)`` unchanged when no two offers are
    interchangeable."""
    earliest: dict[str, dt.date] = {}
    for r in problem.requests:
        for f in r.accepts:
            if f not in earliest or r.needed_by < earliest[f]:
                earliest[f] = r.needed_by
    forbids_lethal = problem.lethal_forbidden()
    classes: dict[_Key, list[int]] = {}
    statuses = problem.offer_consents()
    for j, (o, status) in enumerate(zip(problem.offers, statuses, strict=True)):
        origin = None if status is None else o.origin
        first_due = earliest.get(o.family)
        day = None if first_due is None or o.available_from <= first_due else o.available_from
        blocked_channel = o.channel if o.lethal and o.channel in forbids_lethal else None
        # expired and pending are one answer to the rules (docs/allocation.md)
        answer = ConsentStatus.PENDING if status is ConsentStatus.EXPIRED else status
        key = (o.family, o.recipient, day, blocked_channel, origin, answer)
        classes.setdefault(key, []).append(j)
    if len(classes) == len(problem.offers):
        return problem, None
    offers: list[OfferSpec] = []
    members: dict[str, tuple[OfferSpec, ...]] = {}
    for group in sorted(classes.values()):  # by first member: the problem's order
        first = problem.offers[group[0]]
        if len(group) == 1:
            offers.append(first)
            continue
        merged = dataclasses.replace(
            first,
            quantity=sum(problem.offers[j].quantity for j in group),
            consent=statuses[group[0]],
        )
        offers.append(merged)
        members[first.id] = tuple(sorted((problem.offers[j] for j in group),
                                         key=lambda o: (o.available_from, o.id)))
    return dataclasses.replace(problem, offers=tuple(offers)), members

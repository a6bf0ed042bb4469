"""API writers on PostgreSQL run one at a time from their start (they take the ledger
head first): a change that reads a row and writes it back cannot lose another's update.

The scenario a review found when writers took the head last: an approval reads a
pledged allocation; meanwhile it is withdrawn and a new pledge takes the freed
capacity; the stale approval then wrote ``approved`` back, and the offer was committed
twice over.
"""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import pytest

from allied.entrypoints.api.context import AppContext
from allied.service import access, governance
from allied.service.caller import Caller
from api.conftest import Api

DAY = dt.date(2024, 6, 1)
COORD = Caller(user="coord", nation="", role="coordinator")


def test_a_stale_approval_cannot_revive_a_withdrawn_pledge(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    if api.store.engine.dialect.name != "postgresql":
        pytest.skip("SQLite writers take turns on its write lock; this is about PostgreSQL")
    ctx: AppContext = api.app.state.ctx
    for body, make in (
        ({"id": "LU-OFF", "donor": "EST", "family": "other", "quantity": 10,
          "available_from": "2024-01-01", "releasability": "public"}, access.create_offer),
        ({"id": "LU-REQ", "recipient": "UKR", "family": "other", "quantity": 20, "priority": 3,
          "needed_by": "2024-12-31", "releasability": "public"}, access.create_request),
    ):
        make(ctx.uow(), COORD, ctx.today(), body)
    first = access.pledge(ctx.uow(), COORD, DAY, offer_id="LU-OFF", request_id="LU-REQ",
                          quantity=10)["id"]

    paused, go = threading.Event(), threading.Event()
    original = governance.expire_consents

    def pause_in_approval(*args: Any, **kwargs: Any) -> Any:
        if threading.current_thread().name == "approve":
            paused.set()
            go.wait(20)
        return original(*args, **kwargs)

    monkeypatch.setattr(governance, "expire_consents", pause_in_approval)
    out: dict[str, Any] = {}

    def run(name: str, fn: Any) -> None:
        try:
            out[name] = fn()
        except Exception as exc:
            out[name] = exc

    approve = threading.Thread(
        name="approve",
        target=run,
        args=("approve", lambda: access.advance_allocation(ctx.uow(), COORD, DAY, first,
                                                           "approved")),
    )
    approve.start()
    assert paused.wait(20)
    withdraw = threading.Thread(
        name="withdraw",
        target=run,
        args=("withdraw", lambda: access.advance_allocation(ctx.uow(), COORD, DAY, first,
                                                            "withdrawn")),
    )
    withdraw.start()
    withdraw.join(1.0)
    assert withdraw.is_alive(), "the withdrawal did not wait for the approval in progress"
    go.set()
    approve.join(20)
    withdraw.join(20)
    assert out["approve"]["status"] == "approved"
    assert out["withdraw"]["status"] == "withdrawn"  # applied after, to the approved row
    # the capacity is free again: a new pledge takes it, and nothing is counted twice
    access.pledge(ctx.uow(), COORD, DAY, offer_id="LU-OFF", request_id="LU-REQ", quantity=10)
    offer = api.client("coord").get("/api/v1/offers/LU-OFF").json()
    assert offer["committed"] == 10

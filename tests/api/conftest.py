"""API fixtures: an app over the reference store (SQLite, and PostgreSQL when configured)
with one user per demo role, and a TestClient per user."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from allied.adapters.db.repository_users import SqlServiceUnitOfWork, service_sessions
from allied.bootstrap import Store
from allied.entrypoints.api import ApiOptions, create_app
from allied.service.caller import Caller
from allied.service.users import add_user

#: The day the tests look at the records (Sweden is in NATO, Finland too).
TODAY = dt.date(2024, 6, 1)

#: name -> (role, nation)
USERS: dict[str, tuple[str, str | None]] = {
    "coord": ("coordinator", None),
    "est": ("donor", "EST"),
    "gbr": ("donor", "GBR"),
    "usa": ("donor", "USA"),
    "deu": ("origin", "DEU"),
    "ukr": ("recipient", "UKR"),
    "audit": ("auditor", None),
    "admin": ("admin", None),
}


@dataclass
class Api:
    app: FastAPI
    store: Store
    tokens: dict[str, str]

    def client(self, user: str | None = None) -> TestClient:
        headers = {"Authorization": f"Bearer {self.tokens[user]}"} if user else {}
        return TestClient(self.app, headers=headers)

    def uow(self) -> SqlServiceUnitOfWork:
        return SqlServiceUnitOfWork(service_sessions(self.store.engine))

    def add_user(self, name: str, role: str, nation: str | None) -> str:
        uow = SqlServiceUnitOfWork(service_sessions(self.store.engine))
        token = add_user(uow, Caller("test-admin"), name=name, role=role, nation=nation).token
        self.tokens[name] = token
        return token


def make_api(store: Store, options: ApiOptions | None = None) -> Api:
    app = create_app(store=store, options=options, today=lambda: TODAY)
    api = Api(app, store, {})
    for name, (role, nation) in USERS.items():
        api.add_user(name, role, nation)
    return api


@pytest.fixture
def api(store: Store) -> Iterator[Api]:
    made = make_api(store)
    yield made
    made.app.state.ctx.close()

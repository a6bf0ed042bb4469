"""``allied user add|revoke|list``, ``allied demo --no-serve`` and ``allied serve --help``."""

from __future__ import annotations

import hashlib
import re
import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, select
from typer.testing import CliRunner

from allied.adapters.db.tables_users import users
from allied.config import Settings
from allied.entrypoints.api import create_app
from allied.entrypoints.cli.app import app

runner = CliRunner()
TOKEN = re.compile(r"^[A-Za-z0-9_-]{40,}$")


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, loaded_sqlite_template: Path) -> Path:
    path = tmp_path / "allied.db"
    shutil.copy(loaded_sqlite_template, path)
    monkeypatch.setenv("ALLIED_DATABASE_URL", f"sqlite:///{path}")
    return path


def _client(db: Path) -> TestClient:
    return TestClient(create_app(Settings(database_url=f"sqlite:///{db}")))


def test_user_add_prints_the_token_once_and_stores_its_hash(db: Path) -> None:
    result = runner.invoke(
        app, ["user", "add", "--name", "est-mod", "--role", "donor", "--nation", "est"]
    )
    assert result.exit_code == 0, result.output
    token = result.stdout.strip()
    assert TOKEN.match(token), result.stdout
    engine = create_engine(f"sqlite:///{db}")
    with engine.connect() as conn:
        stored = conn.execute(select(users.c.token_hash, users.c.nation)).one()
    engine.dispose()
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert stored.nation == "EST"
    assert token.encode() not in db.read_bytes()
    listed = runner.invoke(app, ["user", "list", "--format", "json"])
    assert listed.exit_code == 0 and token not in listed.stdout
    assert '"est-mod"' in listed.stdout
    with _client(db) as client:
        me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert me.json() == {"user": "est-mod", "nation": "EST", "role": "donor"}
        revoked = runner.invoke(app, ["user", "revoke", "est-mod"])
        assert revoked.exit_code == 0
        again = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert again.status_code == 401


def test_user_add_refuses_bad_input(db: Path) -> None:
    r = runner.invoke(app, ["user", "add", "--name", "x", "--role", "donor"])
    assert r.exit_code == 2 and "nation" in r.stderr
    r = runner.invoke(app, ["user", "add", "--name", "x", "--role", "king", "--nation", "EST"])
    assert r.exit_code == 2 and "role" in r.stderr
    assert runner.invoke(app, ["user", "add", "--name", "x", "--role", "auditor"]).exit_code == 0
    r = runner.invoke(app, ["user", "add", "--name", "x", "--role", "auditor"])
    assert r.exit_code == 2 and "already exists" in r.stderr
    assert runner.invoke(app, ["user", "revoke", "nobody"]).exit_code == 2


def test_demo_prints_a_working_token_per_role(db: Path) -> None:
    result = runner.invoke(app, ["demo", "--no-serve"])
    assert result.exit_code == 0, result.output
    assert "http://127.0.0.1:8000/api/v1/" in result.stdout
    rows = re.findall(r"^\s+(demo-\S+)\s+(\S+)\s+(\S+)\s+(\S+)$", result.stdout, re.M)
    roles = {role for _, role, _, _ in rows}
    assert roles == {"coordinator", "donor", "origin", "recipient", "auditor", "admin"}
    with _client(db) as client:
        for name, role, nation, token in rows:
            me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).json()
            assert me == {"user": name, "role": role, "nation": "" if nation == "-" else nation}
    # a second demo gives fresh tokens; the old ones stop working
    again = runner.invoke(app, ["demo", "--no-serve"])
    assert again.exit_code == 0
    with _client(db) as client:
        old = rows[0][3]
        assert (
            client.get("/api/v1/me", headers={"Authorization": f"Bearer {old}"}).status_code == 401
        )


def test_serve_and_user_have_help() -> None:
    for args in (["serve", "--help"], ["user", "--help"], ["user", "add", "--help"]):
        result = runner.invoke(app, args)
        assert result.exit_code == 0 and "Usage" in result.output

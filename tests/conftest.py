"""Shared fixtures: stores on SQLite (always) and PostgreSQL (with ALLIED_TEST_POSTGRES_URL)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

from allied.bootstrap import Store, build
from allied.config import Settings
from allied.ingest.reference import ReferenceDataset, load_reference_dataset
from allied.service.reference import load_reference
from backends import BACKENDS, POSTGRES_URL, reset_postgres
from callers import CALLER

# Tests never assert on wall time: Hypothesis's per-example deadline (200 ms) is one,
# and fails at random on a shared, loaded machine.
settings.register_profile("allied", deadline=None)
settings.load_profile("allied")


@pytest.fixture
def reference() -> ReferenceDataset:
    """A fresh copy of the reference dataset (its objects attach to one store only)."""
    return load_reference_dataset()


@pytest.fixture(scope="session")
def loaded_sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file with the schema and reference data, built once and copied per test."""
    path = tmp_path_factory.mktemp("template") / "allied.db"
    store = build(Settings(database_url=f"sqlite:///{path}"))
    load_reference(store.uow(), CALLER, load_reference_dataset())
    store.close()
    return path


@pytest.fixture(params=BACKENDS)
def empty_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """A migrated store with no data, on each backend."""
    if request.param == "postgres":
        assert POSTGRES_URL
        reset_postgres(POSTGRES_URL)
        url = POSTGRES_URL
    else:
        url = f"sqlite:///{tmp_path / 'allied.db'}"
    store = build(Settings(database_url=url))
    yield store
    store.close()


@pytest.fixture(params=BACKENDS)
def store(
    request: pytest.FixtureRequest, tmp_path: Path, loaded_sqlite_template: Path
) -> Iterator[Store]:
    """A migrated store holding the reference data, on each backend."""
    if request.param == "postgres":
        assert POSTGRES_URL
        reset_postgres(POSTGRES_URL)
        store = build(Settings(database_url=POSTGRES_URL))
        load_reference(store.uow(), CALLER, load_reference_dataset())
    else:
        path = tmp_path / "allied.db"
        shutil.copy(loaded_sqlite_template, path)
        store = build(Settings(database_url=f"sqlite:///{path}"))
    yield store
    store.close()

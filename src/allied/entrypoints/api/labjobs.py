"""Lab runs as jobs of the API server: started by ``POST /api/v1/lab/runs``, polled by
``GET /api/v1/lab/runs/{id}``.

A job is checked in full before it is queued (the scenario is a built-in one, each
override one parameter of a block, the scenario still valid with them, the whole work at
most :data:`allied.service.lab.MAX_WORK`): bad input is refused up front (422 naming
the field), never found later by a failed job. It then takes a slot of the app's
:class:`~allied.service.lab.LabSlots` (the same slots as the dashboard's lab page, so
the two together never run more than their bound; beyond it: 429) and runs in a thread
of the executor the app owns (created with the app, no thread until the first job,
shut down with the app's lifespan). The simulation is
:func:`allied.service.lab.run_scenario`, as on the dashboard.

Jobs live in this process's memory only: a restarted server has forgotten them, and with
several server workers a job is known to the worker that started it (poll through the
same worker, or run one). At most :attr:`LabJobs.keep` jobs are kept; the oldest finished
ones are forgotten first.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
import threading
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Literal

from allied.domain.errors import AlliedError, InvalidInput, NotFound
from allied.domain.users import Action, require, sees_all
from allied.entrypoints.api.errors import error_body, status_for
from allied.lab import scenario as sc
from allied.service.caller import Caller
from allied.service.lab import MAX_WORK, LabSlots, check_overrides, lab_work, run_scenario

log = logging.getLogger("allied.api")

State = Literal["queued", "running", "done", "failed"]


@dataclass
class LabJob:
    id: str
    user: str
    scenario: str
    runs: int
    seed: int
    overrides: dict[str, Any]
    created_at: dt.datetime
    state: State = "queued"
    done: int = 0
    total: int = 0
    summary: dict[str, Any] | None = None
    table: list[dict[str, Any]] | None = None
    error: dict[str, Any] | None = None
    finished_at: dt.datetime | None = None
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def as_dict(self) -> dict[str, Any]:
        with self.lock:
            fraction = 1.0 if self.state == "done" else (
                round(self.done / self.total, 4) if self.total else 0.0
            )
            return {
                "id": self.id,
                "scenario": self.scenario,
                "runs": self.runs,
                "seed": self.seed,
                "overrides": dict(self.overrides),
                "state": self.state,
                "progress": fraction,
                "created_at": self.created_at.isoformat(),
                "finished_at": self.finished_at.isoformat() if self.finished_at else None,
                "summary": self.summary,
                "table": self.table,
                "error": self.error,
            }


def _renamed(exc: InvalidInput) -> InvalidInput:
    name = exc.field or ""
    if not name.startswith("overrides"):
        exc.field = f"overrides.{name}".rstrip(".")
    return exc


def check_job(
    scenario: str, runs: int, overrides: Mapping[str, Any]
) -> dict[str, Any]:
    """The scenario to run, with its overrides applied, or :class:`InvalidInput` naming
    the field (``scenario``, ``overrides.KEY`` or ``runs``)."""
    if scenario not in sc.builtin_names():
        raise InvalidInput(
            f"unknown scenario {scenario!r} (one of: {', '.join(sc.builtin_names())})",
            field="scenario",
        )
    raw, _ = sc.load_raw(scenario)
    try:
        if overrides:
            raw = sc.apply_overrides(raw, check_overrides(overrides))
        sc.validate(raw)
    except InvalidInput as exc:
        raise _renamed(exc) from None
    work = lab_work(raw, runs)
    if work > MAX_WORK:
        raise InvalidInput(
            f"asks for {work:,} run-actor-months (runs x variants x months x actors); "
            f"at most {MAX_WORK:,}: fewer runs or fewer months",
            field="runs",
        )
    return raw


class Stopped(Exception):
    """A running job ended by the server's shutdown."""


class LabJobs:
    """The lab jobs of one app: an executor of ``workers`` threads and the jobs' states."""

    def __init__(self, workers: int = 2, keep: int = 200) -> None:
        self.keep = keep
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="allied-lab")
        self._jobs: dict[str, LabJob] = {}
        self._lock = threading.Lock()
        self._closed = False

    def start(
        self,
        caller: Caller,
        slots: LabSlots,
        *,
        scenario: str,
        runs: int,
        seed: int,
        overrides: Mapping[str, Any],
    ) -> LabJob:
        """Check the job, take a lab slot (or ``Busy``) and queue it."""
        require(caller.role, Action.READ)
        check_job(scenario, runs, overrides)
        if self._closed:
            raise InvalidInput("the server is shutting down", field="scenario")
        slots.take(caller.user)
        job = LabJob(
            id="LAB-" + secrets.token_hex(6),
            user=caller.user,
            scenario=scenario,
            runs=runs,
            seed=seed,
            overrides=dict(overrides),
            created_at=dt.datetime.now(dt.UTC),
        )
        with self._lock:
            self._forget_old()
            self._jobs[job.id] = job
        try:
            self._executor.submit(self._run, job, slots)
        except RuntimeError:  # the executor was shut down meanwhile
            slots.give_back(caller.user)
            with self._lock:
                self._jobs.pop(job.id, None)
            raise InvalidInput("the server is shutting down", field="scenario") from None
        return job

    def _run(self, job: LabJob, slots: LabSlots) -> None:
        def progress(done: int, total: int) -> None:
            if self._closed:  # the server stops: end the run at its next chunk
                raise Stopped("the server stopped before the run finished")
            with job.lock:
                job.done, job.total = done, total

        with job.lock:
            job.state = "running"
        try:
            out = run_scenario(
                job.scenario,
                runs=job.runs,
                seed=job.seed,
                overrides=job.overrides or None,
                chart=None,
                progress=progress,
            )
            with job.lock:
                job.summary, job.table, job.state = out["summary"], out["table"], "done"
        except Stopped as exc:
            with job.lock:
                job.state = "failed"
                job.error = error_body("stopped", str(exc))
        except AlliedError as exc:
            _, code = status_for(exc)
            field_ = exc.field if isinstance(exc, InvalidInput) else None
            message = exc.message if isinstance(exc, InvalidInput) else str(exc)
            with job.lock:
                job.state = "failed"
                job.error = error_body(code, message, field_)
        except Exception:
            log.exception("lab job %s failed", job.id)
            with job.lock:
                job.state = "failed"
                job.error = error_body("error", "the simulation failed (see the server log)")
        finally:
            with job.lock:
                job.finished_at = dt.datetime.now(dt.UTC)
            slots.give_back(job.user)

    def get(self, caller: Caller, job_id: str) -> LabJob:
        """A job of the caller's (the coordinator and the auditor see every job)."""
        require(caller.role, Action.READ)
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None or (job.user != caller.user and not sees_all(caller.role)):
            raise NotFound(f"no lab job {job_id!r} (jobs are forgotten when the server restarts)")
        return job

    def _forget_old(self) -> None:
        over = len(self._jobs) - self.keep + 1
        if over <= 0:
            return
        finished = sorted(
            (j for j in self._jobs.values() if j.state in ("done", "failed")),
            key=lambda j: j.created_at,
        )
        for j in finished[:over]:
            del self._jobs[j.id]

    def close(self) -> None:
        """Stop taking jobs; queued ones are dropped, a running one stops after the chunk
        of runs it is on (its thread then ends, so the process can exit)."""
        self._closed = True
        self._executor.shutdown(wait=False, cancel_futures=True)

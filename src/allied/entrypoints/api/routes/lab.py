"""Lab runs through the API: ``POST /api/v1/lab/runs`` starts a job (202 with its id),
``GET /api/v1/lab/runs/{id}`` answers its state, progress and, when done, the summary
``allied simulate -f json`` prints (see :mod:`allied.entrypoints.api.labjobs`)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, StringConstraints

from allied.domain.errors import Busy
from allied.entrypoints.api.deps import CurrentCaller
from allied.entrypoints.api.errors import error_body
from allied.entrypoints.api.labjobs import LabJobs
from allied.entrypoints.api.routes.common import READ_ERRORS, WRITE_ERRORS
from allied.entrypoints.api.schemas import ErrorOut, JsonInt, Strict
from allied.lab import scenario as sc
from allied.service.lab import LabSlots

router = APIRouter(prefix="/api/v1/lab", tags=["lab"])

#: a dotted parameter of a block, as ``--set``: ``decision.escalation``
Key = Annotated[
    str, StringConstraints(max_length=100, pattern=r"^[a-z][a-z0-9_-]*(\.[a-z0-9_-]+)+$")
]
Scalar = Annotated[
    bool | int | float | Annotated[str, StringConstraints(max_length=200)] | None,
    Field(union_mode="left_to_right"),
]


#: The most runs one job asks for (the dashboard's lab page has the same bound).
MAX_RUNS = 200_000


def _scenario_names(schema: dict[str, Any]) -> None:
    """The built-in scenarios, listed when the OpenAPI document is generated."""
    schema["enum"] = sc.builtin_names()


class LabRunIn(Strict):
    scenario: Annotated[str, StringConstraints(max_length=60)] = Field(
        description="a built-in scenario (`allied lab list`)",
        json_schema_extra=_scenario_names,
    )
    runs: Annotated[
        int,
        Field(ge=1, le=MAX_RUNS, description="Monte Carlo replications, at most as on the "
              "dashboard's lab page (the whole work is bounded too)"),
        JsonInt,
    ] = 10_000
    seed: Annotated[int, Field(ge=0, le=2**32 - 1), JsonInt] = 0
    overrides: dict[Key, Scalar] = Field(
        default_factory=dict, max_length=50,
        description='one parameter each, as `--set`: {"decision.escalation": 0.5}',
    )


class LabJobOut(BaseModel):
    id: str
    scenario: str
    runs: int
    seed: int
    overrides: dict[str, Any]
    state: str = Field(description="queued, running, done or failed")
    progress: float = Field(description="fraction of the runs done, 0 to 1")
    created_at: str
    finished_at: str | None
    summary: dict[str, Any] | None = Field(
        description="when done: what `allied simulate -f json` prints"
    )
    table: list[dict[str, Any]] | None = Field(description="when done: the headline rows")
    error: dict[str, Any] | None = Field(description="when failed: error, message, field")


def _jobs(request: Request) -> LabJobs:
    jobs: LabJobs = request.app.state.lab_jobs
    return jobs


def _slots(request: Request) -> LabSlots:
    slots = getattr(request.app.state, "lab_slots", None)
    if slots is None:  # an app without the dashboard: slots of its own
        slots = request.app.state.lab_slots = LabSlots()
    assert isinstance(slots, LabSlots)
    return slots


@router.post(
    "/runs",
    status_code=202,
    response_model=LabJobOut,
    responses={**WRITE_ERRORS, 429: {"model": ErrorOut,
                                     "description": "the lab's slots are all taken"}},
)
def start_run(body: LabRunIn, request: Request, caller: CurrentCaller) -> JSONResponse:
    """Start a lab run (any role): checked in full first (422 naming `scenario`, `runs` or
    `overrides.KEY`; the work at most the lab's bound), then queued; 429 with
    `Retry-After` while the lab's slots (shared with the dashboard) are taken. Poll
    `GET /lab/runs/{id}`. Jobs live in the server's memory: a restart forgets them."""
    try:
        job = _jobs(request).start(
            caller, _slots(request), scenario=body.scenario, runs=body.runs, seed=body.seed,
            overrides=body.overrides,
        )
    except Busy as exc:
        return JSONResponse(
            error_body("busy", str(exc)), status_code=429, headers={"Retry-After": "10"}
        )
    return JSONResponse(
        job.as_dict(), status_code=202, headers={"Location": f"/api/v1/lab/runs/{job.id}"}
    )


@router.get("/runs/{job_id}", response_model=LabJobOut, responses=READ_ERRORS)
def get_run(job_id: str, request: Request, caller: CurrentCaller) -> dict[str, Any]:
    """A lab job's state and progress; its summary when done (its owner; the coordinator
    and the auditor see every job)."""
    return _jobs(request).get(caller, job_id).as_dict()

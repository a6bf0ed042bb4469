"""Reports over the records, for the roles that may see their inputs."""

from __future__ import annotations

from typing import Any

from allied.domain.errors import NotFound, PermissionDenied
from allied.domain.users import (
    Action,
    require,
    sees_all,
)
from allied.service.caller import Caller
from allied.service.ports import UnitOfWork

#: Reports computed from every offer and allocation, whatever their releasability: only
#: for the roles that see everything. The others read public data (Kiel, SIPRI) only.
WHOLE_RECORD_REPORTS = frozenset({"gaps", "predictability"})


def report(uow: UnitOfWork, caller: Caller, name: str, options: Any = None) -> dict[str, Any]:
    """A report as JSON (``allied.service.reports``), for the roles that may see its inputs."""
    from allied.service.reports import REPORTS, report_data

    require(caller.role, Action.READ)
    if name in WHOLE_RECORD_REPORTS and not sees_all(caller.role):
        raise PermissionDenied(
            f"report {name} sums records of every nation: coordinator and auditor only"
        )
    if name not in REPORTS:
        raise NotFound(f"no report {name!r}; expected one of {', '.join(REPORTS)}")
    return report_data(uow, name, options)

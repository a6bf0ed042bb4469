"""Regenerate the example charts in ``docs/reports/`` from the shipped data.

Run from the repository root: ``.venv/bin/python benchmarks/reports/make_examples.py``.
It builds a throw-away SQLite database, loads the reference dataset, imports the shipped
Kiel release and SIPRI extract, runs the optimiser on the reference scenario and moves
its allocations along their lifecycle (a fixed, ILLUSTRATIVE mix: some delivered, some
shipped, some pledged, the rest left proposed), then writes every report as PNG and HTML.
"""

from __future__ import annotations

import datetime as dt
import sys
import tempfile
from pathlib import Path

from allied.bootstrap import build
from allied.config import Settings
from allied.ingest.kiel import builtin_kiel_path, read_kiel
from allied.ingest.reference import load_reference_dataset
from allied.ingest.sipri import builtin_sipri_path, read_sipri
from allied.service.allocations import allocate_stored
from allied.service.caller import Caller
from allied.service.governance import move_allocation
from allied.service.public_data import import_kiel, import_sipri
from allied.service.reference import load_reference
from allied.service.reports import REPORTS, render_report

ROOT = Path(__file__).resolve().parents[2]
CALLER = Caller(user="examples", nation="")
DAY = dt.date(2024, 6, 1)
# Where each n-th allocation ends up (ILLUSTRATIVE): index modulo 4.
PATHS = {
    0: ("pledged", "approved", "shipped", "delivered"),
    1: ("pledged", "approved", "shipped"),
    2: ("pledged",),
    3: (),
}


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        store = build(Settings(database_url=f"sqlite:///{tmp}/examples.db"))
        try:
            load_reference(store.uow(), CALLER, load_reference_dataset())
            import_kiel(store.uow(), CALLER, read_kiel(builtin_kiel_path()))
            import_sipri(store.uow(), CALLER, read_sipri(builtin_sipri_path()), source="extract")
            run = allocate_stored(store.uow(), CALLER, as_of=DAY)
            for i, allocation_id in enumerate(run.allocation_ids):
                for step in PATHS[i % 4]:
                    try:
                        move_allocation(store.uow(), CALLER, allocation_id, step, today=DAY)
                    except Exception as exc:  # consent still pending: leave it there
                        print(f"{allocation_id}: stays before {step} ({exc})", file=sys.stderr)
                        break
            for name in REPORTS:
                for fmt in ("png", "html"):
                    body = render_report(store.uow(), name, fmt)
                    path = out / f"{name}.{fmt}"
                    if isinstance(body, bytes):
                        path.write_bytes(body)
                    else:
                        path.write_text(body, encoding="utf-8")
                    print(f"wrote {path.relative_to(ROOT)}")
        finally:
            store.close()


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "reports")

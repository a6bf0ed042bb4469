"""Reports as use-cases: read the store, compute (``allied.reports``), render.

Signatures an HTTP API can call as they are:

- :func:`build_report` -> :class:`~allied.reports.model.Report` (plain tables);
- :func:`report_data` -> a JSON-ready ``dict``;
- :func:`render_report` -> ``str`` (table text is left to the caller; ``csv``, ``json``,
  ``html``) or ``bytes`` (``png``).

Each reads in one unit of work and writes nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from allied.domain.errors import InvalidInput, MissingData
from allied.reports.burden import burden
from allied.reports.data import reference_figures
from allied.reports.deliveries import deliveries
from allied.reports.gaps import gaps
from allied.reports.model import Period, Report
from allied.reports.predictability import predictability
from allied.service.ports import UnitOfWork
from allied.service.public_data import public_data
from allied.service.rows import offer_rows, request_rows
from allied.service.totals import allocation_totals

REPORTS = ("burden", "predictability", "gaps", "deliveries")

#: the public data set each report cannot be built without (``gaps`` reads only the
#: clearinghouse's own records)
NEEDS: dict[str, str | None] = {
    "burden": "kiel",
    "predictability": "kiel",
    "gaps": None,
    "deliveries": "sipri",
}
#: each public data set: what it is, and the command that imports the shipped extract
DATASETS: dict[str, tuple[str, str]] = {
    "kiel": ("Kiel Ukraine Support Tracker", "allied import kiel"),
    "sipri": ("SIPRI trade register", "allied import sipri"),
}


@runtime_checkable
class ReportSums(Protocol):
    """A store that sums what the reports show itself (grouped queries): what
    ``reports.gaps.gap_sums`` and ``reports.predictability.clearinghouse_sums`` compute
    from the records, for the period's first and last day (``None``: open)."""

    def gap_sums(self, start: dt.date | None, end: dt.date | None) -> dict[str, dict[str, int]]:
        ...

    def clearinghouse_sums(
        self, start: dt.date | None, end: dt.date | None
    ) -> dict[tuple[str, str], dict[str, int]]: ...
FORMATS = ("table", "csv", "json", "png", "html")


@dataclass(frozen=True)
class ReportOptions:
    """What a report may be asked. Unused options are ignored by reports that lack them."""

    start: dt.date | None = None
    end: dt.date | None = None
    gdp_year: int | None = None  # burden: None = Kiel's 2021 GDP basis
    attribute_eu: bool = False  # burden: attribute EU-institution aid to members
    recipient: str | None = None  # deliveries: one recipient (ISO3) only


def _release(months: list[Any]) -> str | None:
    labels = sorted({m.source for m in months if m.source})
    return "; ".join(labels) or None


def build_report(uow: UnitOfWork, name: str, options: ReportOptions | None = None) -> Report:
    """Compute report ``name`` over the stored data."""
    options = options or ReportOptions()
    if name not in REPORTS:
        raise InvalidInput(
            f"unknown report {name!r}; expected one of {', '.join(REPORTS)}", field="name"
        )
    period = Period(options.start, options.end)
    with uow:
        port = public_data(uow)
        if name == "burden":
            months = port.kiel_months()
            _need(months, name)
            return burden(
                months,
                reference_figures(),
                period=period,
                gdp_year=options.gdp_year,
                attribute_eu=options.attribute_eu,
                release=_release(months),
            )
        if name == "predictability":
            months = port.kiel_months()
            _need(months, name)
            if isinstance(uow, ReportSums):  # summed by the database
                return predictability(
                    months, transfers=port.sipri_transfers(), period=period,
                    release=_release(months),
                    clearing_sums=uow.clearinghouse_sums(period.start, period.end),
                )
            return predictability(
                months,
                offer_rows(uow),
                allocation_totals(uow, "offer"),
                port.sipri_transfers(),
                period=period,
                release=_release(months),
            )
        if name == "gaps":
            if isinstance(uow, ReportSums):
                return gaps(period=period, sums=uow.gap_sums(period.start, period.end))
            return gaps(
                request_rows(uow),
                offer_rows(uow),
                allocation_totals(uow, "request"),
                period=period,
            )
        transfers = port.sipri_transfers()
        _need(transfers, name)
        return deliveries(transfers, period=period, recipient=options.recipient)


def missing_data(report: str) -> MissingData:
    """The error a report answers while its public data set is not stored: which report,
    which data and the exact command that imports it."""
    dataset = NEEDS[report]
    if dataset is None:
        raise ValueError(f"report {report!r} needs no public data")
    label, command = DATASETS[dataset]
    return MissingData(
        f"the {report} report needs the {label} data, which has not been imported: "
        f"run `{command}` (the shipped extract) or `{command} FILE` first",
        dataset=dataset,
        command=command,
    )


def _need(rows: list[Any], report: str) -> None:
    if not rows:
        raise missing_data(report)


def unavailable(uow: UnitOfWork, names: tuple[str, ...] = REPORTS) -> dict[str, MissingData]:
    """Of the reports ``names``, those that cannot be built now for want of their public
    data, each with the error it would answer (one existence check per data set; reads
    only)."""
    wanted = {NEEDS[n] for n in names if NEEDS.get(n)}
    with uow:
        port = public_data(uow)
        absent = {d for d in sorted(d for d in wanted if d) if not port.holds(d)}
    return {n: missing_data(n) for n in names if NEEDS.get(n) in absent}


def report_data(uow: UnitOfWork, name: str, options: ReportOptions | None = None) -> dict[str, Any]:
    """The report as a JSON-ready dictionary (what ``--format json`` prints)."""
    return build_report(uow, name, options).as_dict()


def render(report: Report, fmt: str, *, table: str | None = None) -> str | bytes:
    """Render a computed report: csv/json/html text or png bytes."""
    from allied.reports import render as text

    if fmt == "json":
        return text.to_json(report)
    if fmt == "csv":
        return text.to_csv(report, table)
    if fmt == "png":
        from allied.reports.charts import render_png

        return render_png(report)
    if fmt == "html":
        from allied.reports.html import render_html

        return render_html(report)
    raise InvalidInput(
        f"unknown format {fmt!r}; expected one of csv, json, png, html", field="format"
    )


def render_report(
    uow: UnitOfWork,
    name: str,
    fmt: str,
    options: ReportOptions | None = None,
    *,
    table: str | None = None,
) -> str | bytes:
    """Compute and render report ``name`` in ``fmt`` (``csv``, ``json``, ``png``, ``html``)."""
    return render(build_report(uow, name, options), fmt, table=table)

"""The clearinghouse's use-cases, one module per area, each taking the caller.

Each use-case checks the caller's role (:mod:`allied.domain.users`) and filters what it
reads by the visibility policy (:mod:`allied.domain.visibility`). The entry points (API,
dashboard, CLI) reach them through :mod:`allied.service.access`.
"""

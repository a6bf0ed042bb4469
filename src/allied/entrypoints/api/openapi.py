"""The OpenAPI document and the router say what the server does.

* :func:`document_limits`: the page size a list route accepts is an option of the app
  (``ALLIED_API_MAX_PAGE_SIZE``); the document is generated with that same maximum
  (the routes are declared once, with the hard ceiling, for every app). Every free-text
  path and query parameter is documented with the pattern the app-wide check
  :func:`~allied.entrypoints.api.deps.plain_params` enforces (no control characters).
* :func:`allowed_methods`: the methods a path answers, from every route that matches
  it (a 405 used to name only the first route's, e.g. ``Allow: POST`` where GET works).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from starlette.routing import Match
from starlette.types import Scope

from allied.entrypoints.api.context import ApiOptions
from allied.entrypoints.api.plain import PLAIN_PATTERN

METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def _limit_param(param: dict[str, Any], options: ApiOptions) -> None:
    schema = param.get("schema", {})
    for choice in schema.get("anyOf", [schema]):
        if choice.get("type") == "integer":
            choice["maximum"] = options.max_page_size
    # a route with its own default (the to-do list's items per section) declares it
    default = schema.get("default")
    if not isinstance(default, int):
        default = options.default_page_size
    param["description"] = (
        f"page size, 1 to {options.max_page_size} (default {min(default, options.max_page_size)})"
    )
    schema["description"] = param["description"]


def _plain_param(param: dict[str, Any]) -> None:
    schema = param.get("schema", {})
    for choice in schema.get("anyOf", [schema]):
        if choice.get("type") == "string" and "enum" not in choice and "pattern" not in choice:
            choice["pattern"] = PLAIN_PATTERN


def document_limits(app: FastAPI, options: ApiOptions) -> None:
    """Generate ``app``'s OpenAPI document with the page-size limits of ``options``."""
    generate: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = generate()
            for item in document.get("paths", {}).values():
                for operation in item.values():
                    for param in operation.get("parameters", []):
                        if param.get("in") == "query" and param.get("name") == "limit":
                            _limit_param(param, options)
                        if param.get("in") in ("path", "query"):
                            _plain_param(param)
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def allowed_methods(app: Any, scope: Scope) -> list[str]:
    """The methods some route of ``app`` fully matches for the path of ``scope``."""
    routes = app.router.routes
    allowed = []
    for method in METHODS:
        probe = {**scope, "method": method}
        if any(route.matches(probe)[0] is Match.FULL for route in routes):
            allowed.append(method)
    return allowed

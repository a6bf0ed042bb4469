"""Sign-in for the dashboard: a session cookie holding the bearer token, and CSRF tokens.

The cookie (``allied_session``) holds the user's bearer token, is ``HttpOnly`` (no script
reads it), ``SameSite=Strict`` (no other site's page sends it) and ``Secure`` when the
page is served over HTTPS. Each request resolves it with the API's own
:func:`allied.service.users.authenticate`, so a revoked token signs the user out at once
and every worker agrees without shared server state.

Every form that changes something carries a CSRF token: an HMAC of a fixed label keyed
by the session token. Only a page rendered for the session knows it (the cookie is
unreadable to scripts and never sent cross-site), it needs no server-side store, and it
is checked with a constant-time comparison. The sign-in form, which has no session yet,
uses a double-submit token: a random value in a short-lived ``HttpOnly`` cookie that the
form must echo.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from fastapi import Request
from fastapi.responses import Response

from allied.service.caller import Caller
from allied.service.users import authenticate

SESSION_COOKIE = "allied_session"
LOGIN_COOKIE = "allied_login_csrf"
_CSRF_LABEL = b"allied-web-csrf-v1"
SESSION_MAX_AGE = 12 * 3600

if TYPE_CHECKING:
    from allied.entrypoints.api.context import AppContext


class SignInRequired(Exception):
    """The page needs a signed-in user; the handler redirects to the sign-in page."""

    def __init__(self, next_url: str = "/") -> None:
        super().__init__("sign in required")
        self.next_url = next_url


class CsrfFailed(Exception):
    """A form arrived without the CSRF token of the session, or from another origin."""


def csrf_for(token: str) -> str:
    """The CSRF token of a session (an HMAC keyed by the session's bearer token)."""
    return hmac.new(token.encode("utf-8"), _CSRF_LABEL, hashlib.sha256).hexdigest()


def session_token(request: Request) -> str | None:
    value = request.cookies.get(SESSION_COOKIE)
    return value or None


def current(request: Request, ctx: AppContext) -> tuple[Caller, str]:
    """The signed-in caller and its session token, or :class:`SignInRequired`."""
    token = session_token(request)
    caller = authenticate(ctx.read_uow(), token) if token else None
    if caller is None or token is None:
        raise SignInRequired(safe_next(request.url.path))
    return caller, token


def _same_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    if not origin or origin == "null":
        return origin != "null"
    parts = urlsplit(origin)
    return parts.netloc == request.headers.get("host", request.url.netloc)


def check_csrf(request: Request, token: str, submitted: str | None) -> None:
    """Refuse a state-changing form unless it carries the session's CSRF token and, when
    the browser says where it comes from, comes from this origin."""
    if not _same_origin(request):
        raise CsrfFailed("the form came from another origin")
    if not submitted or not hmac.compare_digest(submitted, csrf_for(token)):
        raise CsrfFailed("the form's security token is missing or stale; reload the page")


def new_login_csrf() -> str:
    return secrets.token_urlsafe(24)


def check_login_csrf(request: Request, submitted: str | None) -> None:
    expected = request.cookies.get(LOGIN_COOKIE)
    if not _same_origin(request):
        raise CsrfFailed("the form came from another origin")
    if not expected or not submitted or not hmac.compare_digest(expected, submitted):
        raise CsrfFailed("the sign-in form's security token is missing or stale; reload it")


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def set_login_cookie(response: Response, request: Request, value: str) -> None:
    response.set_cookie(
        LOGIN_COOKIE,
        value,
        max_age=1800,
        path="/login",
        httponly=True,
        samesite="strict",
        secure=_secure(request),
    )


def start_session(response: Response, request: Request, token: str) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=SESSION_MAX_AGE,
        path="/",
        httponly=True,
        samesite="strict",
        secure=_secure(request),
    )
    response.delete_cookie(LOGIN_COOKIE, path="/login")


def end_session(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")


def safe_next(path: str) -> str:
    """Only a local path may be a redirect target (no ``//host`` or scheme)."""
    if not path.startswith("/") or path.startswith("//") or "\\" in path:
        return "/"
    return path

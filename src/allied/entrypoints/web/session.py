"""Sign-in for the dashboard: server-side sessions, a throttle on failed sign-ins, CSRF.

Signing in with a bearer token opens a session kept in the database
(:class:`~allied.adapters.db.repository_users.SqlWebSessions`): a random id, of which
only the SHA-256 digest is stored, bound to the digest of the token it was opened with.
The cookie (``allied_session``) holds that id, never the token; it is ``HttpOnly`` (no
script reads it), ``SameSite=Strict`` (no other site's page sends it) and ``Secure`` when
the page is served over HTTPS. Each request resolves the session, then its token's user
with the API's own rules, so a revoked or rotated token signs the user out at once and
every worker agrees. Signing out ends the session on the server: a copy of the cookie
taken before is refused afterwards.

Failed sign-ins are throttled per client address (:class:`SignInThrottle`, in each
server process): after :data:`MAX_FAILURES` wrong tokens in :data:`FAILURE_WINDOW`
seconds, the client is answered 429 without its token being looked at until the
oldest failure leaves the window.

Every form that changes something carries a CSRF token: an HMAC of a fixed label keyed
by the session id. Only a page rendered for the session knows it (the cookie is
unreadable to scripts and never sent cross-site), and it is checked with a
constant-time comparison. The sign-in form, which has no session yet, uses a
double-submit token: a random value in a short-lived ``HttpOnly`` cookie that the form
must echo.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import math
import secrets
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from fastapi import Request
from fastapi.responses import Response

from allied.adapters.db.repository_users import SqlWebSessions
from allied.domain.users import hash_token
from allied.service.caller import Caller
from allied.service.users import authenticate_digest

SESSION_COOKIE = "allied_session"
LOGIN_COOKIE = "allied_login_csrf"
_CSRF_LABEL = b"allied-web-csrf-v1"
SESSION_MAX_AGE = 12 * 3600
#: wrong tokens a client may send in :data:`FAILURE_WINDOW` seconds before it waits
MAX_FAILURES = 5
FAILURE_WINDOW = 60.0
#: clients whose failures are remembered at once (the oldest are forgotten first)
MAX_CLIENTS = 10_000

if TYPE_CHECKING:
    from allied.entrypoints.api.context import AppContext


class SignInRequired(Exception):
    """The page needs a signed-in user; the handler redirects to the sign-in page."""

    def __init__(self, next_url: str = "/") -> None:
        super().__init__("sign in required")
        self.next_url = next_url


class CsrfFailed(Exception):
    """A form arrived without the CSRF token of the session, or from another origin."""


class SignInThrottle:
    """Failed sign-ins per client address, in a sliding window (thread-safe)."""

    def __init__(
        self,
        max_failures: int = MAX_FAILURES,
        window: float = FAILURE_WINDOW,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_clients: int = MAX_CLIENTS,
    ) -> None:
        self.max_failures = max_failures
        self.window = window
        self.clock = clock
        self.max_clients = max_clients
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def _recent(self, client: str, now: float) -> deque[float]:
        times = self._failures.get(client) or deque()
        while times and times[0] <= now - self.window:
            times.popleft()
        return times

    def wait(self, client: str) -> int:
        """Seconds the client must wait before its next try (0: it may try now)."""
        with self._lock:
            now = self.clock()
            times = self._recent(client, now)
            if len(times) < self.max_failures:
                return 0
            return max(1, math.ceil(times[0] + self.window - now))

    def failed(self, client: str) -> None:
        with self._lock:
            now = self.clock()
            times = self._recent(client, now)
            times.append(now)
            self._failures[client] = times
            self._failures.move_to_end(client)
            while len(self._failures) > self.max_clients:
                self._failures.popitem(last=False)

    def succeeded(self, client: str) -> None:
        with self._lock:
            self._failures.pop(client, None)


def client_of(request: Request) -> str:
    """The address failed sign-ins are counted against (the peer of the connection)."""
    return request.client.host if request.client else "unknown"


def csrf_for(session_id: str) -> str:
    """The CSRF token of a session (an HMAC keyed by the session's id)."""
    return hmac.new(session_id.encode("utf-8"), _CSRF_LABEL, hashlib.sha256).hexdigest()


def session_id(request: Request) -> str | None:
    value = request.cookies.get(SESSION_COOKIE)
    return value if value and len(value) <= 200 else None


def sessions_of(request: Request) -> SqlWebSessions:
    store: SqlWebSessions = request.app.state.web_sessions
    return store


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def current(request: Request, ctx: AppContext) -> tuple[Caller, str]:
    """The signed-in caller and its session id, or :class:`SignInRequired`."""
    sid = session_id(request)
    digest = sessions_of(request).token_hash(hash_token(sid), _now()) if sid else None
    caller = authenticate_digest(ctx.read_uow(), digest) if digest else None
    if caller is None or sid is None:
        raise SignInRequired(safe_next(request.url.path))
    return caller, sid


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


def start_session(response: Response, request: Request, caller: Caller, token: str) -> str:
    """Open a session for ``caller`` (signed in with ``token``) and set its cookie;
    returns the session id."""
    sid = secrets.token_urlsafe(32)
    now = _now()
    sessions_of(request).start(
        hash_token(sid),
        caller.user_id or caller.user,
        hash_token(token),
        now,
        now + dt.timedelta(seconds=SESSION_MAX_AGE),
    )
    response.set_cookie(
        SESSION_COOKIE,
        sid,
        max_age=SESSION_MAX_AGE,
        path="/",
        httponly=True,
        samesite="strict",
        secure=_secure(request),
    )
    response.delete_cookie(LOGIN_COOKIE, path="/login")
    return sid


def end_session(response: Response, request: Request, sid: str) -> None:
    """End the session on the server (its cookie is refused from now on) and clear it."""
    sessions_of(request).end(hash_token(sid), _now())
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")


def safe_next(path: str) -> str:
    """Only a local path may be a redirect target (no ``//host`` or scheme)."""
    if not path.startswith("/") or path.startswith("//") or "\\" in path:
        return "/"
    return path

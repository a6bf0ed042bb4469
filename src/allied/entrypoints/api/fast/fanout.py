"""Independent reads of one page run side by side.

A page such as the dashboard's overview is several reads that do not depend on each
other (the cell's picture, the offers by donor, the open proposals, the caller's to-do
list), each its own unit of work and so its own transaction, as they are when run one
after the other. Most of each read's time is the database's: run on several connections
at once, the page waits for the longest read rather than for their sum.

``FanOut.run`` takes the reads as ``{name: thunk}`` and returns ``{name: result}``. The
calling thread runs the first read itself while a small pool of threads (a few per
process) runs as many of the others as it has threads idle; the caller runs the rest.
A busy server (every pool thread taken by other pages) therefore runs a page's reads
one after the other in the request's own thread, as before, with no hand-over between
threads: a page never waits for the pool, and the pool never waits for a page (no read
it runs submits another), so nothing can deadlock.

A read that raises makes ``run`` raise the first such error in the reads' order, after
every read it started has ended (none is left running on a unit of work the caller
abandons). With ``threads=0`` (SQLite, whose one writer and in-process reads gain
nothing from this) every read runs in turn in the caller's thread.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

#: pool threads per process: the overview's five reads on a two-core machine
THREADS = 4


class FanOut:
    """Runs a page's independent reads side by side (see the module)."""

    def __init__(self, threads: int = THREADS) -> None:
        if threads < 0:
            raise ValueError("threads must not be negative")
        self.threads = threads
        self._pool: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()
        self._closed = False
        #: pool threads no read holds (a page hands the pool no more reads than these)
        self._idle = threads

    def _executor(self) -> ThreadPoolExecutor | None:
        if self.threads == 0:
            return None
        with self._lock:
            if self._closed:
                return None
            if self._pool is None:  # made on first use: nothing runs at import or start
                self._pool = ThreadPoolExecutor(self.threads, thread_name_prefix="fan-out")
                # an app dropped without its shutdown (a test's) lets its threads go too
                weakref.finalize(self, self._pool.shutdown, wait=False)
            return self._pool

    def _take(self, wanted: int) -> int:
        """Reserve up to ``wanted`` idle pool threads; how many were reserved."""
        with self._lock:
            taken = min(wanted, self._idle)
            self._idle -= taken
            return taken

    def _give_back(self) -> None:
        with self._lock:
            self._idle += 1

    def run(self, reads: Mapping[str, Callable[[], Any]]) -> dict[str, Any]:
        names = list(reads)
        pool = self._executor() if len(names) > 1 else None
        if pool is None:
            return {name: reads[name]() for name in names}
        # only as many reads as there are idle pool threads go to the pool (each starts
        # at once); a busy worker (every thread taken by other pages) runs them in turn
        started: dict[str, Future[Any]] = {}
        for name in names[1:1 + self._take(len(names) - 1)]:
            read = reads[name]

            def pooled(read: Callable[[], Any] = read) -> Any:
                try:
                    return read()
                finally:
                    self._give_back()

            try:
                started[name] = pool.submit(pooled)
            except RuntimeError:  # the pool was shut down meanwhile (the app is stopping)
                self._give_back()
        results: dict[str, Any] = {}
        errors: dict[str, BaseException] = {}

        def here(name: str) -> None:
            if errors:  # (after an error, the page fails: no use reading on)
                return
            try:
                results[name] = reads[name]()
            except BaseException as exc:  # raised below, in the reads' order
                errors[name] = exc

        here(names[0])
        for name in names[1:]:  # the caller's own first, then what waits on the pool
            if name not in started:
                here(name)
        for name, future in started.items():
            # not started yet (no thread has picked it up, or close() dropped it): its
            # thread given back, the read run here; cancel() fails once it runs
            if future.cancel():
                self._give_back()
                here(name)
                continue
            try:
                results[name] = future.result()
            except BaseException as exc:
                errors[name] = exc
        for name in names:
            if name in errors:
                raise errors[name]
        return results

    def close(self) -> None:
        """Wait for the reads running and stop the threads; later runs run in turn."""
        with self._lock:
            self._closed = True
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)


__all__ = ["THREADS", "FanOut"]

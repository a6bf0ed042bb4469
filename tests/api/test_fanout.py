"""A page's independent reads side by side (``allied.entrypoints.api.fast.fanout``): the
same results as one after the other, the first error in the reads' order, nothing left
running, and a busy pool never waited for."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from allied.entrypoints.api.fast.fanout import FanOut


def test_results_are_those_of_the_reads_one_after_the_other() -> None:
    reads = {f"r{i}": (lambda i=i: i * i) for i in range(7)}
    fan = FanOut(3)
    try:
        assert fan.run(reads) == {k: f() for k, f in reads.items()}
        assert fan.run({}) == {}
        assert fan.run({"only": lambda: "x"}) == {"only": "x"}
    finally:
        fan.close()


def test_reads_run_side_by_side_in_the_pool_and_the_callers_thread() -> None:
    both = threading.Barrier(3, timeout=5)  # three reads that only end together
    threads: dict[str, str] = {}

    def read(name: str) -> str:
        threads[name] = threading.current_thread().name
        both.wait()
        return name

    fan = FanOut(2)
    try:
        out = fan.run({n: (lambda n=n: read(n)) for n in ("a", "b", "c")})
    finally:
        fan.close()
    assert out == {"a": "a", "b": "b", "c": "c"}
    assert threads["a"] == threading.current_thread().name  # the first: the caller's own
    assert {threads["b"], threads["c"]} <= {t for t in threads.values() if "fan-out" in t}


def test_without_threads_every_read_runs_in_turn_in_the_callers_thread() -> None:
    seen: list[tuple[str, str]] = []
    fan = FanOut(0)
    out = fan.run({n: (lambda n=n: seen.append((n, threading.current_thread().name)) or n)
                   for n in ("x", "y", "z")})
    assert out == {"x": "x", "y": "y", "z": "z"}
    assert seen == [(n, threading.current_thread().name) for n in ("x", "y", "z")]


def test_a_busy_pool_is_not_waited_for_the_caller_runs_the_reads_itself() -> None:
    fan = FanOut(1)
    release = threading.Event()
    try:
        # another page holds the one pool thread
        busy = fan._executor()
        assert busy is not None
        held = busy.submit(release.wait, 10)
        time.sleep(0.05)
        ran: list[str] = []

        def read(name: str) -> str:
            ran.append(threading.current_thread().name)
            return name

        began = time.monotonic()
        out = fan.run({n: (lambda n=n: read(n)) for n in ("a", "b", "c")})
        waited = time.monotonic() - began
        assert out == {"a": "a", "b": "b", "c": "c"}
        assert ran == [threading.current_thread().name] * 3
        assert waited < 5  # not the 10 s the pool thread is held for
        assert not held.done()
    finally:
        release.set()
        fan.close()


def test_the_first_error_in_the_reads_order_is_raised_once_every_read_has_ended() -> None:
    ended: list[str] = []
    slow_started = threading.Event()

    def slow() -> str:
        slow_started.set()
        time.sleep(0.2)
        ended.append("slow")
        return "slow"

    def fails(message: str) -> str:
        slow_started.wait(5)
        raise ValueError(message)

    fan = FanOut(3)
    try:
        with pytest.raises(ValueError, match="second"):
            fan.run({"first": lambda: "ok", "second": lambda: fails("second"),
                     "slow": slow, "third": lambda: fails("third")})
        assert ended == ["slow"]  # the started read ran to its end before the raise
        with pytest.raises(KeyError):
            fan.run({"caller": lambda: {}["missing"], "other": lambda: 1})
    finally:
        fan.close()


def test_after_close_reads_run_in_turn() -> None:
    fan = FanOut(2)
    assert fan.run({"a": lambda: 1, "b": lambda: 2}) == {"a": 1, "b": 2}
    fan.close()
    names: list[str] = []
    out = fan.run({n: (lambda n=n: names.append(threading.current_thread().name) or n)
                   for n in ("a", "b")})
    assert out == {"a": "a", "b": "b"}
    assert names == [threading.current_thread().name] * 2
    fan.close()  # twice: nothing to stop


def test_a_negative_number_of_threads_is_refused() -> None:
    with pytest.raises(ValueError, match="threads"):
        FanOut(-1)


def test_a_fan_out_dropped_without_close_lets_its_threads_go() -> None:
    import gc

    fan = FanOut(2)
    assert fan.run({"a": lambda: 1, "b": lambda: 2}) == {"a": 1, "b": 2}
    pool = fan._pool
    assert pool is not None
    del fan
    gc.collect()
    assert pool._shutdown  # the app's fan-out gone, its pool told to stop


def test_a_read_the_pool_dropped_on_close_runs_in_the_callers_thread() -> None:
    fan = FanOut(1)
    release = threading.Event()
    began = threading.Event()

    def first() -> str:  # the caller's own read: closes the fan-out meanwhile
        began.wait(5)
        threading.Thread(target=fan.close).start()
        time.sleep(0.1)
        release.set()
        return "first"

    def held() -> str:  # the pool's one thread, held until the close is under way
        began.set()
        release.wait(5)
        return "held"

    out = fan.run({"first": first, "held": held, "queued": lambda: "queued"})
    assert out == {"first": "first", "held": "held", "queued": "queued"}


def test_a_page_hands_the_pool_only_as_many_reads_as_it_has_threads_idle() -> None:
    fan = FanOut(2)
    release = threading.Event()
    holding = threading.Barrier(3, timeout=5)  # page A's two pool reads and the test

    def held() -> str:
        holding.wait()
        release.wait(10)
        return threading.current_thread().name

    try:
        with ThreadPoolExecutor(1) as other:
            page_a = other.submit(fan.run, {"own": lambda: release.wait(10),
                                            "b": held, "c": held})
            holding.wait()  # both pool threads now hold page A's reads
            ran: dict[str, str] = {}
            out = fan.run({n: (lambda n=n: ran.setdefault(n, threading.current_thread().name))
                           for n in ("x", "y", "z")})
            assert set(out) == {"x", "y", "z"}
            # page B ran every read in its own thread, handing none to the busy pool
            assert set(ran.values()) == {threading.current_thread().name}
            release.set()
            a = page_a.result(5)
            assert {a["b"], a["c"]} <= {f"fan-out_{i}" for i in range(2)}
        # the threads are idle again: a page's reads go to the pool once more
        q_started = threading.Event()

        def q() -> str:
            q_started.set()
            return threading.current_thread().name

        names = fan.run({"p": lambda: q_started.wait(5), "q": q})
        assert names["p"] is True and names["q"].startswith("fan-out")
    finally:
        release.set()
        fan.close()

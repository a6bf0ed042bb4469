"""Callers the tests act as. A plain module, not a conftest: ``tests/api`` and
``tests/web`` have conftests of their own, and ``from conftest import`` would pick
whichever was imported first."""

from __future__ import annotations

from allied.service.caller import Caller

CALLER = Caller(user="test", nation="")

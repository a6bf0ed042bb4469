"""Parsing and validation of primitive values, shared by every entity.

Each function names the field it checks so that the error can say which one is bad.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from allied.domain.errors import InvalidInput

_CODE = re.compile(r"^[A-Z][A-Z0-9]{1,9}$")
_IDENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$")


def parse_date(value: Any, field: str) -> dt.date:
    """An ISO date (YYYY-MM-DD), or a ``date`` already."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(f"expected a date YYYY-MM-DD, got {value!r}", field=field)
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput(f"not a date (YYYY-MM-DD): {value!r}", field=field) from None


def parse_optional_date(value: Any, field: str) -> dt.date | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return parse_date(value, field)


def positive_int(value: Any, field: str) -> int:
    """A strictly positive integer. Accepts ``"12"`` and ``12.0`` but not ``12.5``."""
    if isinstance(value, bool):
        raise InvalidInput(f"expected a positive integer, got {value!r}", field=field)
    if isinstance(value, int):
        number = value
    elif isinstance(value, float):
        if not value.is_integer():
            raise InvalidInput(f"expected a positive integer, got {value!r}", field=field)
        number = int(value)
    elif isinstance(value, str):
        text = value.strip()
        if not re.fullmatch(r"[+-]?\d+", text):
            raise InvalidInput(f"expected a positive integer, got {value!r}", field=field)
        number = int(text)
    else:
        raise InvalidInput(f"expected a positive integer, got {value!r}", field=field)
    if number <= 0:
        raise InvalidInput(f"must be a positive integer, got {number}", field=field)
    return number


#: The largest quantity a record may hold (the API's schemas say the same): a billion
#: units, far above any real lot, and inside a 32-bit integer column.
MAX_QUANTITY = 1_000_000_000


def quantity(value: Any, field: str = "quantity") -> int:
    """A quantity of units: a positive integer of at most :data:`MAX_QUANTITY`."""
    number = positive_int(value, field)
    if number > MAX_QUANTITY:
        raise InvalidInput(f"must be at most {MAX_QUANTITY:,}, got {number:,}", field=field)
    return number


def int_in_range(value: Any, field: str, low: int, high: int) -> int:
    if isinstance(value, str) and re.fullmatch(r"\s*[+-]?\d+\s*", value):
        value = int(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidInput(f"expected an integer from {low} to {high}, got {value!r}", field=field)
    return value


def non_negative_decimal(value: Any, field: str) -> Decimal:
    """A money or value amount: a non-negative decimal number."""
    if isinstance(value, bool):
        raise InvalidInput(f"expected a number, got {value!r}", field=field)
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise InvalidInput(f"expected a number, got {value!r}", field=field) from None
    if not number.is_finite() or number < 0:
        raise InvalidInput(f"must be a non-negative number, got {value!r}", field=field)
    return number


def actor_code(value: Any, field: str) -> str:
    """The shape of an actor code (ISO3 or organisation code); not whether it exists."""
    if not isinstance(value, str):
        raise InvalidInput(f"expected an actor code, got {value!r}", field=field)
    code = value.strip().upper()
    if not _CODE.match(code):
        raise InvalidInput(f"not an actor code (ISO3 or organisation): {value!r}", field=field)
    return code


def identifier(value: Any, field: str) -> str:
    if not isinstance(value, str) or not _IDENT.match(value.strip()):
        raise InvalidInput(
            f"expected an identifier (letters, digits, . _ : -; at most 64), got {value!r}",
            field=field,
        )
    return value.strip()


#: Bidirectional embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069): they
#: make a text display in another order than it is stored ("Trojan Source").
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


#: :func:`check_text`'s rule as a regular expression (for the OpenAPI document and its
#: validators): free text without control characters (line breaks and tabs allowed) or
#: bidirectional controls; ``ONE_LINE_TEXT``: without line breaks and tabs either.
FREE_TEXT = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*$"
ONE_LINE_TEXT = r"^[^\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*$"


def check_text(value: str, field: str, *, multiline: bool = True) -> str:
    """Refuse free text holding control characters (other than line breaks and tabs in
    ``multiline`` text) or bidirectional overrides, naming the first and its position:
    such text is shown otherwise than it is stored, in a terminal or a page; and lone
    surrogates (``"\\ud800"`` in JSON), which cannot be stored or hashed as UTF-8."""
    for i, ch in enumerate(value):
        code = ord(ch)
        if ch in _BIDI_CONTROLS:
            raise InvalidInput(
                f"contains a bidirectional control character U+{code:04X} at position {i + 1}",
                field=field,
            )
        if 0xD800 <= code <= 0xDFFF:
            raise InvalidInput(
                f"contains a lone surrogate U+{code:04X} at position {i + 1}, which is not a "
                "character (UTF-8 cannot encode it)",
                field=field,
            )
        if (code < 32 or 0x7F <= code < 0xA0) and not (multiline and ch in "\n\t\r"):
            raise InvalidInput(
                f"contains a control character U+{code:04X} at position {i + 1}", field=field
            )
    return value


def text(value: Any, field: str, *, required: bool = True, max_len: int = 2000) -> str:
    if value is None:
        if required:
            raise InvalidInput("is required", field=field)
        return ""
    if not isinstance(value, str):
        raise InvalidInput(f"expected text, got {value!r}", field=field)
    cleaned = str(value).strip()
    if required and not cleaned:
        raise InvalidInput("is required", field=field)
    if len(cleaned) > max_len:
        raise InvalidInput(f"longer than {max_len} characters", field=field)
    return check_text(cleaned, field)


def choice(value: Any, field: str, allowed: frozenset[str] | set[str] | tuple[str, ...]) -> str:
    if not isinstance(value, str) or value.strip() not in allowed:
        options = ", ".join(sorted(allowed))
        raise InvalidInput(f"expected one of {options}; got {value!r}", field=field)
    return value.strip()

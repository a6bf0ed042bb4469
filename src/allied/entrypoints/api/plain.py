"""Plain parameters: no control characters in a path or query parameter.

No id, code or search text holds one (a tab, line feed or carriage return may stand in
text); a NUL cannot even be stored in a PostgreSQL text column. Checked by
:func:`allied.entrypoints.api.deps.plain_params` on every route and documented with
:data:`PLAIN_PATTERN` in the OpenAPI document.
"""

from __future__ import annotations

import re

_CONTROL_CHARS = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f"
CONTROL = re.compile(f"[{_CONTROL_CHARS}]")
#: the same rule as a pattern for the OpenAPI document
PLAIN_PATTERN = f"^[^{_CONTROL_CHARS}]*$"


def control_message(value: str) -> str:
    found = CONTROL.search(value)
    assert found is not None
    return f"holds a control character (U+{ord(found.group()):04X}); not allowed here"

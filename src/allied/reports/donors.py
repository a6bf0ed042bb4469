"""Names of donors and suppliers to codes: ISO3 for states, short codes for organisations.

A :class:`NameBook` knows every state's name (``allied/data/states.csv``) and the
aliases and organisations in ``allied/data/public/names.csv`` (SIPRI and Kiel spellings:
"Turkiye", "UAE", "Korea, South", "EU (Commission and Council)"...). A name it does not
know still resolves, so any release of a source imports: to the code the source gives
(Kiel's ``iso`` column) or, without one, to a derived code ``X-NAME`` marked
``unmapped``. SIPRI marks non-state armed groups with ``*`` and organisations with
``**``; the marks set the kind.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from allied.domain.errors import InvalidInput

_CODE = re.compile(r"^[A-Z][A-Z0-9-]{1,15}$")
EU_INSTITUTIONS = "eu-institutions"


@dataclass(frozen=True)
class Party:
    code: str
    name: str
    kind: str  # state | organisation | non-state | unknown | unmapped
    group: str = ""


def normalise(name: str) -> str:
    """Case, accents, punctuation spacing and SIPRI's trailing stars do not matter."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    text = text.strip().rstrip("*").strip().casefold()
    return re.sub(r"\s+", " ", text)


def derived_code(name: str) -> str:
    """A stable code for a name no table knows: ``X-`` and its letters, 16 at most."""
    letters = re.sub(r"[^A-Z0-9]", "", normalise(name).upper())
    return ("X-" + (letters or "UNNAMED"))[:16]


class NameBook:
    """Resolve names (and codes a source gives) to :class:`Party` records."""

    def __init__(
        self,
        states: Mapping[str, str],
        aliases: Iterable[tuple[str, str, str, str]] = (),
    ) -> None:
        self.states = dict(states)
        self._by_name: dict[str, Party] = {}
        self._by_code: dict[str, Party] = {}
        for code, name in self.states.items():
            party = Party(code, name, "state")
            self._by_name[normalise(name)] = party
            self._by_code[code] = party
        for name, code, kind, group in aliases:
            canonical = self.states.get(code, name)
            party = Party(code, canonical, kind, group)
            self._by_name[normalise(name)] = party
            if code not in self._by_code or kind != "state":
                self._by_code.setdefault(code, party)

    def known(self, name: str) -> Party | None:
        return self._by_name.get(normalise(name))

    def by_code(self, code: str) -> Party | None:
        return self._by_code.get(code)

    def resolve(self, name: str, code: str | None = None, *, field: str = "name") -> Party:
        """The party called ``name``; ``code`` is the code the source gives, if any.

        A given code must be code-shaped and agree with the name when the name is known.
        """
        if not name or not name.strip():
            raise InvalidInput("is required", field=field)
        clean = name.strip()
        found = self.known(clean)
        if code is not None and code.strip() and code.strip().upper() != "NA":
            given = code.strip().upper()
            if not _CODE.match(given):
                raise InvalidInput(f"not a state or organisation code: {code!r}", field="iso")
            if found is not None and found.code != given:
                raise InvalidInput(f"{clean!r} is {found.code}, not {given}", field="iso")
            if found is not None:
                return found
            known_code = self._by_code.get(given)
            if known_code is not None:
                return Party(given, clean, known_code.kind, known_code.group)
            return Party(given, clean, "state" if len(given) == 3 else "organisation")
        if found is not None:
            return found
        stars = len(clean) - len(clean.rstrip("*"))
        kind = {0: "unmapped", 1: "non-state"}.get(stars, "organisation")
        return Party(derived_code(clean), clean.rstrip("*").strip(), kind)

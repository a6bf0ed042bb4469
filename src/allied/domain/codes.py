"""Known actor codes: a record may name only actors the reference data knows, each in
a place that fits its kind (a nation where a nation is meant, an organisation where an
organisation is).

One check for every way in (CLI flags, files, the API, the dashboard): a typo in a
releasability (``nations:POL,XXX``) would otherwise make an offer silently owner-only
for that nation, and ``org:POL`` visible to no organisation's members.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping

from allied.domain.actors import MEMBERSHIP_ORGANISATIONS, ActorKind
from allied.domain.errors import InvalidInput, UnknownActor
from allied.domain.releasability import Releasability, ReleaseKind

#: actor code -> its kind, as the reference data holds it
KnownActors = Mapping[str, ActorKind]


def _hint(code: str, known: KnownActors, kind: ActorKind | None) -> str:
    pool = sorted(c for c, k in known.items() if kind is None or k is kind)
    close = difflib.get_close_matches(code, pool, n=3)
    return f"; did you mean {', '.join(close)}?" if close else ""


def check_actor(code: str, known: KnownActors, field: str, kind: ActorKind | None = None) -> None:
    """``code`` is a known actor (of ``kind`` when given), else an error naming ``field``."""
    found = known.get(code)
    if found is None:
        raise UnknownActor(code, field=field, hint=_hint(code, known, kind))
    if kind is not None and found is not kind:
        wanted = "a state" if kind is ActorKind.STATE else "an organisation"
        # an organisation named among nations: say how to release to its members
        how = f"; release to it with org:{code}" if field == "releasability" and (
            found is ActorKind.ORGANISATION
        ) else _hint(code, known, kind)
        raise InvalidInput(
            f"{code!r} is {'a state' if found is ActorKind.STATE else 'an organisation'}, "
            f"not {wanted}{how}",
            field=field,
        )


def check_releasability(
    release: Releasability, known: KnownActors, field: str = "releasability"
) -> None:
    """Every nation a releasability names is a known state, its organisation a known
    organisation whose members the reference data records (a release to ``org:UN`` would
    reach nobody but the owner, so it is refused)."""
    if release.kind is ReleaseKind.NATIONS:
        for code in release.nations:
            check_actor(code, known, field, ActorKind.STATE)
    elif release.kind is ReleaseKind.ORG and release.org is not None:
        check_actor(release.org, known, field, ActorKind.ORGANISATION)
        if release.org not in MEMBERSHIP_ORGANISATIONS:
            raise InvalidInput(
                f"org:{release.org}: no members of {release.org} are recorded, so it would "
                f"reach nobody; expected org: one of {', '.join(sorted(MEMBERSHIP_ORGANISATIONS))}"
                " (or nations:A,B)",
                field=field,
            )

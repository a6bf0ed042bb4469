"""Images kept in the repository are the ones the documentation shows.

A screenshot run (``make screenshots``) writes every shot the browser tests take into
``docs/screenshots/``, some only for the test's own eyes (a lab run half-way); those are
not committed: each PNG under ``docs/`` is shown by a page of the docs or the README."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_image_under_docs_is_shown_by_a_page_of_the_docs() -> None:
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
    text = "\n".join(p.read_text("utf-8") for p in pages)
    images = sorted((ROOT / "docs").rglob("*.png"))
    assert images, "no image under docs/"
    stray = [str(p.relative_to(ROOT)) for p in images if p.name not in text]
    assert stray == [], f"images no page of the docs shows: {stray}"

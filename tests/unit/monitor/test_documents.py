"""Reading documents: formats, dates, and clear errors for bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

from allied.domain.errors import InvalidInput
from allied.monitor.documents import read_documents


def test_text_markdown_and_html(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("Norway sent tanks to Ukraine.", encoding="utf-8")
    (tmp_path / "b.md").write_text("# News\n\nNorway **sent** [tanks](http://x) to Ukraine.\n",
                                   encoding="utf-8")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "c.html").write_text(
        "<html><head><meta property='article:published_time' content='2023-04-05T10:00Z'>"
        "<script>var x = 'Germany sent';</script></head><body><nav>Menu</nav>"
        "<p>Norway sent tanks to Ukraine.</p></body></html>",
        encoding="utf-8",
    )
    (tmp_path / "ignored.pdf").write_bytes(b"%PDF")
    docs = read_documents(tmp_path)
    assert [d.name for d in docs] == ["a.txt", "b.md", "sub/c.html"]
    assert docs[1].text == "News\n\nNorway sent tanks to Ukraine."
    assert docs[2].text == "Norway sent tanks to Ukraine."
    assert docs[2].date == "2023-04-05"


def test_date_priority(tmp_path: Path) -> None:
    named = tmp_path / "brief-2022-02.txt"
    named.write_text("Written on 3 March 2023.", encoding="utf-8")
    assert read_documents(named)[0].date == "2022-02"
    assert read_documents(named, date="2021-07-09")[0].date == "2021-07-09"
    plain = tmp_path / "brief.txt"
    plain.write_text("Written on 3 March 2023. Nothing else.", encoding="utf-8")
    assert read_documents(plain)[0].date == "2023-03-03"
    (tmp_path / "undated.txt").write_text("No date here.", encoding="utf-8")
    assert read_documents(tmp_path / "undated.txt")[0].date is None


def test_bom_is_dropped(tmp_path: Path) -> None:
    p = tmp_path / "bom.txt"
    p.write_bytes("\ufeffNorway sent tanks.".encode())
    assert read_documents(p)[0].text == "Norway sent tanks."


def test_other_encoding_when_named(tmp_path: Path) -> None:
    p = tmp_path / "latin.txt"
    p.write_bytes("Caf\xe9 diplomacy in Paris.".encode("latin-1"))
    with pytest.raises(InvalidInput, match="encoding") as err:
        read_documents(p)
    assert err.value.source == str(p)
    assert read_documents(p, encoding="latin-1")[0].text.startswith("Café")


@pytest.mark.parametrize(
    ("setup", "message", "field"),
    [
        (lambda p: p / "missing.txt", "no such file or folder", "PATH"),
        (lambda p: (p / "empty").mkdir() or p / "empty", "no .txt, .md or .html", "PATH"),
        (lambda p: (p / "bin.txt").write_bytes(b"\x00\x01abc") and p / "bin.txt",
         "binary", "FILE"),
        (lambda p: (p / "blank.txt").write_text("   \n", encoding="utf-8") and p / "blank.txt",
         "no text", "FILE"),
    ],
    ids=["missing", "empty folder", "binary", "blank"],
)
def test_bad_input(tmp_path: Path, setup: object, message: str, field: str) -> None:
    path = setup(tmp_path)  # type: ignore[operator]
    with pytest.raises(InvalidInput, match=message) as err:
        read_documents(path)
    assert err.value.field == field


def test_unknown_encoding_name_and_bad_date(tmp_path: Path) -> None:
    p = tmp_path / "a.txt"
    p.write_text("text", encoding="utf-8")
    with pytest.raises(InvalidInput, match="unknown encoding") as err:
        read_documents(p, encoding="klingon-8")
    assert err.value.field == "--encoding"
    with pytest.raises(InvalidInput) as err:
        read_documents(p, date="2022-13")
    assert err.value.field == "--date"

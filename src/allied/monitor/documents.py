"""Reading documents: plain text, Markdown and HTML files, one file or a folder.

Offsets of evidence refer to the plain text the monitor reads: the file itself for
``.txt``; the text extracted from the markup for ``.md`` (rendered with markdown-it-py)
and ``.html`` (the standard library's HTML parser: scripts, styles and navigation are
skipped, block elements end paragraphs).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

from allied.domain.errors import InvalidInput
from allied.monitor.dates import date_in_name, date_in_text
from allied.monitor.model import Document, partial_date

TEXT_SUFFIXES = frozenset({".txt", ".text"})
MARKDOWN_SUFFIXES = frozenset({".md", ".markdown"})
HTML_SUFFIXES = frozenset({".html", ".htm", ".xhtml"})
SUFFIXES = TEXT_SUFFIXES | MARKDOWN_SUFFIXES | HTML_SUFFIXES
BLOCK_TAGS = frozenset({
    "p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote",
    "section", "article", "header", "footer", "table", "tr", "td", "th", "pre", "figure",
    "figcaption", "hr", "main", "aside", "dd", "dt",
})
SKIP_TAGS = frozenset({"script", "style", "noscript", "nav", "template", "svg", "head"})
DATE_META = frozenset({
    "article:published_time", "datepublished", "date", "pubdate", "publish-date",
    "dc.date", "og:published_time", "article.published",
})


class _TextParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0
        self.date: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in SKIP_TAGS:
            self.skipping += 1
        if tag in BLOCK_TAGS:
            self.parts.append("\n\n")
        a = {k.lower(): (v or "") for k, v in attrs}
        if tag == "meta" and self.date is None:
            key = (a.get("property") or a.get("name") or a.get("itemprop") or "").lower()
            if key in DATE_META and a.get("content"):
                self.date = a["content"]
        if tag == "time" and self.date is None and a.get("datetime"):
            self.date = a["datetime"]

    def handle_endtag(self, tag: str) -> None:
        if tag in SKIP_TAGS and self.skipping:
            self.skipping -= 1
        if tag in BLOCK_TAGS:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def html_to_text(html: str) -> tuple[str, str | None]:
    """(plain text, a publication date from the markup if any)."""
    parser = _TextParser()
    parser.feed(html)
    parser.close()
    text = "".join(parser.parts)
    text = re.sub(r"[ \t\r\f\v]+", " ", text)
    text = re.sub(r" *\n *", "\n", text)
    text = re.sub(r"\n{3,}", "\n\n", text).strip()
    date = None
    if parser.date:
        m = re.match(r"(\d{4}-\d{2}(?:-\d{2})?)", parser.date.strip())
        date = m.group(1) if m else None
    return text, date


def markdown_to_text(markdown: str) -> str:
    from markdown_it import MarkdownIt

    text, _ = html_to_text(MarkdownIt("commonmark").render(markdown))
    return text


def decode(data: bytes, encoding: str, source: str) -> str:
    if b"\x00" in data[:8192]:
        raise InvalidInput("not a text file (binary content)", field="FILE", source=source)
    codec = "utf-8-sig" if encoding.lower().replace("_", "-") in ("utf-8", "utf8") else encoding
    try:
        return data.decode(codec)
    except LookupError:
        raise InvalidInput(f"unknown encoding {encoding!r}", field="--encoding") from None
    except UnicodeDecodeError as exc:
        raise InvalidInput(
            f"cannot decode byte {exc.start} as {encoding}: unknown or wrong encoding; "
            "give the right one with --encoding (e.g. cp1252, latin-1)",
            field="FILE",
            source=source,
        ) from None


def read_document(
    path: Path, *, name: str | None = None, date: str | None = None, encoding: str = "utf-8"
) -> Document:
    source = str(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InvalidInput("no such file", field="FILE", source=source) from None
    except IsADirectoryError:
        raise InvalidInput("is a folder, not a file", field="FILE", source=source) from None
    except OSError as exc:
        raise InvalidInput(
            f"cannot read: {exc.strerror or exc}", field="FILE", source=source
        ) from None
    raw = decode(data, encoding, source)
    suffix = path.suffix.lower()
    meta_date: str | None = None
    looks_html = raw.lstrip()[:200].lower().startswith(("<!doctype html", "<html"))
    if suffix in HTML_SUFFIXES or (suffix not in MARKDOWN_SUFFIXES and looks_html):
        text, meta_date = html_to_text(raw)
    elif suffix in MARKDOWN_SUFFIXES:
        text = markdown_to_text(raw)
    else:
        text = raw
    if not text.strip():
        raise InvalidInput("the document has no text", field="FILE", source=source)
    when = (
        (partial_date(date, "--date") if date else None)
        or date_in_name(path.name)
        or meta_date
        or date_in_text(text[:2000])
    )
    return Document(name=name or path.name, text=text, date=when, source=source)


def read_documents(
    path: Path, *, date: str | None = None, encoding: str = "utf-8"
) -> list[Document]:
    """The documents in a file or a folder (its text, Markdown and HTML files, recursively)."""
    if date is not None:
        partial_date(date, "--date")
    if not path.exists():
        raise InvalidInput("no such file or folder", field="PATH", source=str(path))
    if path.is_file():
        return [read_document(path, date=date, encoding=encoding)]
    try:
        files = sorted(
            p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES
        )
    except OSError as exc:
        raise InvalidInput(
            f"cannot list the folder: {exc.strerror or exc}", field="PATH", source=str(path)
        ) from None
    if not files:
        raise InvalidInput(
            "the folder holds no .txt, .md or .html file", field="PATH", source=str(path)
        )
    return [
        read_document(p, name=p.relative_to(path).as_posix(), date=date, encoding=encoding)
        for p in files
    ]

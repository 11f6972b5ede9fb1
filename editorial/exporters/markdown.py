"""The Markdown format: approved answers as a document people read.

What an answer says is shown as written, never acted on: its text may hold anything a
machine wrote, and a Markdown reader would otherwise make it headings, links or HTML.
The one exception is a web address (http or https): it is written as an autolink,
"<url>", which every reader shows and follows exactly as written. Left as escaped text,
a GitHub-flavoured reader linked it all the same, from the escaped text (markdown-it's
linkify: "?a=1&amp;amp;b=2", "a%5C_b"): a broken link.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable, Iterator
from itertools import groupby
from operator import itemgetter
from urllib.parse import quote

from editorial.exporters.query import Record
from editorial.wording import written_date, written_time

# Inline syntax a Markdown reader would act on: emphasis, code, links, headings, tables,
# strikethrough, raw HTML and entities. Entities rather than backslashes for <, > and &
# because every Markdown dialect decodes entities, not all honour those escapes.
_MD_INLINE = str.maketrans(
    {
        "\\": "\\\\",
        "`": "\\`",
        "*": "\\*",
        "_": "\\_",
        "[": "\\[",
        "]": "\\]",
        "#": "\\#",
        "~": "\\~",
        "|": "\\|",
        "&": "&amp;",
        "<": "&lt;",
        ">": "&gt;",
    }
)
# At the start of a line these begin a list, a setext heading underline or a break.
_MD_LINE_START = re.compile(r"^(?:([-+=])|(\d+)([.)]))")
_URL_SAFE = "/:?#[]@!$&'*+,;=%~-._"  # everything else in a link target is %-encoded


# A web address in text, as GitHub-flavoured Markdown finds one: up to a space, an angle
# bracket or a quote (none of which an autolink may hold), without the punctuation that
# ends a sentence after it, or a closing bracket it did not open.
_TEXT_URL = re.compile(r"https?://[^\s<>\"\x00-\x1f\x7f]+", re.IGNORECASE)
_URL_END = ".,:;!?*_~'"


def _url_in_text(match: re.Match) -> tuple[str, str]:
    """The address a match found and the text after it that is not part of it."""
    url = match[0]
    end = len(url)
    while end and (
        url[end - 1] in _URL_END
        or (url[end - 1] == ")" and url.count("(", 0, end) < url.count(")", 0, end))
    ):
        end -= 1
    return url[:end], url[end:]


def _escaped(text: str, *, links: bool = True) -> str:
    """Text as written, escaped for Markdown; with links, web addresses as autolinks."""
    if not links:
        return text.translate(_MD_INLINE)
    parts: list[str] = []
    position = 0
    for match in _TEXT_URL.finditer(text):
        url, rest = _url_in_text(match)
        parts.append(text[position : match.start()].translate(_MD_INLINE))
        parts.append(f"<{url}>" if url.partition("://")[2] else url.translate(_MD_INLINE))
        parts.append(rest.translate(_MD_INLINE))
        position = match.end()
    parts.append(text[position:].translate(_MD_INLINE))
    return "".join(parts)


def markdown_inline(text: str, *, links: bool = True) -> str:
    """Text shown as written by a Markdown reader, on one line; web addresses are
    autolinks unless links is off (inside a link's own text, where a link cannot be)."""
    return _escaped(" ".join(text.split()), links=links)


def markdown_block(text: str) -> str:
    """Text shown as written, its line breaks and paragraphs kept."""
    paragraphs: list[list[str]] = [[]]
    for raw in text.splitlines():
        # Leading spaces would make an indented code block; the words are what matter.
        line = _escaped(raw.strip())
        if not line:
            if paragraphs[-1]:
                paragraphs.append([])
            continue
        line = _MD_LINE_START.sub(
            lambda m: "\\" + m[1] if m[1] else m[2] + "\\" + m[3], line, count=1
        )
        paragraphs[-1].append(line)
    # Two trailing spaces: a hard line break in every Markdown dialect.
    return "\n\n".join("  \n".join(lines) for lines in paragraphs if lines)


# Source links are valid URIs (models.web_urls): none holds a space, a quote or an angle
# bracket, so each is one autolink; anything else is shown as text.
_AUTOLINK = re.compile(r"https?://[^\s<>\x00-\x1f\x7f]+", re.IGNORECASE)


def markdown_link(url: str) -> str:
    """A web address as a link every Markdown reader shows and follows as it is."""
    return f"<{url}>" if _AUTOLINK.fullmatch(url) else markdown_inline(url, links=False)


def _markdown_source(number: int, source: dict[str, str]) -> str:
    url = source["url"]
    if not source["title"]:
        title = markdown_link(url)
    elif url.lower().startswith(("http://", "https://")):
        title = markdown_inline(source["title"], links=False)
        title = f"[{title}]({quote(url, safe=_URL_SAFE)})"
    else:
        title = markdown_inline(source["title"], links=False)
    details = [title]
    if source["publisher"]:
        details.append(markdown_inline(source["publisher"]))
    if source["accessed"]:
        details.append(f"accessed {markdown_inline(_day(source['accessed']))}")
    return f"{number}. " + ", ".join(details)


def _markdown_claim(claim: dict[str, str]) -> str:
    text = markdown_inline(claim["text"])
    if claim["source_url"]:
        excerpt = markdown_inline(claim["excerpt"])
        return f"- {text}: {markdown_link(claim['source_url'])}, “{excerpt}”"
    return f"- {text}: common knowledge, {markdown_inline(claim['reason'])}"


def _markdown_answer(record: Record) -> str:
    parts = [
        f"## {record['position']}. {markdown_inline(record['question'])}",
        markdown_block(record["answer"]),
    ]
    if record["sources"]:
        parts.append("Sources:")
        parts.append(
            "\n".join(
                _markdown_source(number, source)
                for number, source in enumerate(record["sources"], start=1)
            )
        )
    if record["claims"]:
        parts.append("Claims and their evidence:")
        parts.append("\n".join(_markdown_claim(claim) for claim in record["claims"]))
    approver = record.get("approved_by_name") or record["approved_by"]
    parts.append(
        f"*Approved by {markdown_inline(approver)} "
        f"on {written_time(datetime.datetime.fromisoformat(record['approved_at']))}, "
        f"version {record['version']}"
        + (f"; review by {_day(record['review_by'])}" if record["review_by"] else "")
        + ".*"
    )
    parts.append(_markdown_provenance(record))
    return "\n\n".join(part for part in parts if part) + "\n\n"


def _markdown_provenance(record: Record) -> str:
    """How the text was made, in words: the machine's words as written, or corrected."""
    if record["digitalSourceType"].endswith("/trainedAlgorithmicMedia"):
        made = "Machine-written text, its words approved unchanged"
    elif record["digitalSourceType"]:
        made = "Machine-written text, corrected by people"
    else:
        return ""
    editors = record.get("editor_names", record["editors"])
    if editors:
        made += "; worked on by " + ", ".join(map(markdown_inline, editors))
    lines = [f"{made}."]
    if record["correction"]:
        lines.append(f"Correction: {markdown_inline(record['correction'])}")
    return "  \n".join(lines)


def _day(iso: str) -> str:
    """An ISO date ("2027-12-05") as people write it ("5 December 2027")."""
    return written_date(datetime.date.fromisoformat(iso))


def write_markdown(records: Iterable[Record]) -> Iterator[str]:
    """A readable document per document: its title as the heading (its file name beneath),
    questions as headings, sources as a numbered list, people by name, dates in words."""
    for document, answers in groupby(records, key=itemgetter("document")):
        for index, record in enumerate(answers):
            if index == 0:
                title = record.get("title") or record["subject"] or document
                yield f"# {markdown_inline(title)}\n\n"
                yield f"File: {markdown_inline(document)}\n\n"
            yield _markdown_answer(record)

"""How counts, people's names and dates read in sentences people read: one place, so that
messages, e-mails, pages and the Markdown export say them alike. No markup, no database."""

from __future__ import annotations

import datetime

from django.utils.translation import ngettext


def counted(count: int, noun: str, plural: str = "") -> str:
    """ "1 file", "2 files": a count with its noun in the number it needs, never "file(s)"."""
    return f"{count} {ngettext(noun, plural or noun + 's', count)}"


def written_date(day: datetime.date) -> str:
    """A date as people write it: "5 December 2026"."""
    return f"{day.day} {day:%B %Y}"


def written_time(moment: datetime.datetime) -> str:
    """A time as people write it, in UTC: "5 December 2026, 21:17 UTC"."""
    utc = moment.astimezone(datetime.UTC)
    return f"{written_date(utc.date())}, {utc:%H:%M} UTC"

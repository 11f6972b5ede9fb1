"""Quality flags on the pages: the hedge highlighted, the list's column and filter."""

from __future__ import annotations

import re

from editorial import workflow
from editorial.models import (
    Answer,
    FlagLevel,
)
from tests.conftest import (
    CHANGELIST,
    a_source,
    change_url,
    ma,
)


def test_change_page_highlights_the_hedge(client, seeds, people):
    hedged = ma(1)
    client.force_login(people["editor"])

    html = client.get(change_url(hedged)).content.decode()

    assert '<mark class="flag-hedge">As of my knowledge cutoff</mark> in September' in html
    assert '<mark class="flag-hedge">as of my last update</mark>' in html
    assert '<span class="flag flag-blocking"' in html


def test_list_shows_flags_and_filters_on_them(client, answer, people):
    workflow.edit(answer, user=people["editor"], sources=[a_source()])
    answer.refresh_from_db()
    assert answer.flag_level != FlagLevel.BLOCKING
    hedged = ma(1)
    client.force_login(people["editor"])

    everything = client.get(CHANGELIST)
    html = everything.content.decode()
    assert re.search(r'<th scope="col" class="[^"]*\bcolumn-flag_list\b', html)
    assert (
        '<span class="flag flag-blocking" title="Blocking: LLM self-reference or '
        'knowledge-cutoff hedge"><span class="flag-level">✖</span> Hedge</span>'
    ) in html
    assert everything.context["cl"].result_count == 40

    blocking = client.get(CHANGELIST, {"flag": "blocking"})
    shown = {a.pk for a in blocking.context["cl"].result_list}
    assert blocking.context["cl"].result_count == 39
    assert hedged.pk in shown
    assert answer.pk not in shown
    assert shown == set(
        Answer.objects.filter(flag_level=FlagLevel.BLOCKING).values_list("pk", flat=True)
    )

    hedges = client.get(CHANGELIST, {"flag": "hedge"})
    shown = {a.pk for a in hedges.context["cl"].result_list}
    assert hedged.pk in shown
    assert answer.pk not in shown
    assert all("hedge" in a.flag_codes for a in hedges.context["cl"].result_list)

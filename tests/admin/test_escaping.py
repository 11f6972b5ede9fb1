"""User text is escaped on every page that shows it."""

from __future__ import annotations

from django.urls import reverse

from editorial.models import (
    Answer,
    Status,
)
from tests.admin.conftest import version_with
from tests.conftest import (
    CHANGELIST,
    a_source,
    admin_edit,
    change_url,
    event_log,
    history_url,
    post_step,
    version_url,
)

XSS = "<script>alert(1)</script>"

XSS_ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


def test_user_text_is_escaped_everywhere(client, answer, people):
    editor, reviewer = people["editor"], people["reviewer"]
    client.force_login(editor)
    admin_edit(
        client,
        answer,
        question=f"Does the RMV share {XSS} data?",
        text=f"It does not. {XSS} It did not in 2004 either.",
        new_sources=[a_source(title=f"Title {XSS}", excerpt=f"Quote {XSS}")],
    )
    client.post(
        reverse("admin:editorial_answer_claims", args=[answer.pk]),
        {"claim": "2004", "action": "link", "source": answer.sources.get().pk,
         "excerpt": f"Excerpt {XSS}", "loaded_version": Answer.objects.get(pk=answer.pk).version},
    )  # fmt: skip
    assert answer.claim_evidence.get().excerpt == f"Excerpt {XSS}"
    post_step(client, answer, "submit", comment=f"Please look {XSS}", reviewer=reviewer.pk)
    client.force_login(reviewer)
    post_step(client, answer, "request_changes", comment=f"Fix {XSS}")
    answer.refresh_from_db()
    assert XSS in answer.question and XSS in answer.text
    edited = version_with(answer, text=answer.text, status=Status.DRAFT)
    client.force_login(editor)

    pages = {
        "change": client.get(change_url(answer)),
        "list": client.get(CHANGELIST),
        "search": client.get(CHANGELIST, {"q": "script"}),
        "history": client.get(history_url(answer)),
        "version": client.get(version_url(answer, edited)),
    }

    for name, response in pages.items():
        html = response.content.decode()
        assert response.status_code == 200, name
        assert XSS not in html, name
        assert XSS_ESCAPED in html, name
    change = pages["change"].content.decode()
    assert change.count(XSS_ESCAPED) >= 4  # question, text, flagged text, comments
    assert f"Fix {XSS_ESCAPED}" in event_log(pages["change"])
    assert f"<blockquote>Excerpt {XSS_ESCAPED}</blockquote>" in change  # the claims panel
    assert f"Please look {XSS_ESCAPED}" in pages["history"].content.decode()
    assert f"Title {XSS_ESCAPED}" in pages["version"].content.decode()
    assert f"Quote {XSS_ESCAPED}" in pages["version"].content.decode()

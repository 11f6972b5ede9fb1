"""Each role's home page over real HTTP: exactly its own work, one click from each item,
in a number of queries that does not grow with the number of documents or answers."""

from __future__ import annotations

import json
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from editorial import workflow
from editorial.admin.home import DOCUMENTS_SHOWN, capped_count, counted_label
from editorial.importers import import_paths
from editorial.models import Answer, Document
from tests.conftest import a_source, ma, settle_claims

pytestmark = pytest.mark.django_db
HOME = "/admin/"
XSS = "<script>alert(1)</script>"


def section(page: str, heading_id: str) -> str:
    return page.split(f'aria-labelledby="{heading_id}"', 1)[1].split("</section>", 1)[0]


def part(page_section: str, title: str) -> str:
    """The list under a heading (h3) that starts with `title`."""
    return page_section.split(title, 1)[1].split("<h3", 1)[0]


def linked_answers(html: str) -> list[int]:
    return [int(pk) for pk in re.findall(r'href="/admin/editorial/answer/(\d+)/change/"', html)]


@pytest.fixture
def day(seeds, people):
    """A day's state of work: a draft, a request for changes, one in review."""
    editor, reviewer = people["editor"], people["reviewer"]
    draft, changes, in_review = ma(2), ma(3), ma(4)
    for answer in (draft, changes, in_review):
        workflow.edit(answer, user=editor, sources=[a_source()])
        settle_claims(answer, editor)
    workflow.submit(changes, editor, reviewer=reviewer)
    workflow.request_changes(changes, reviewer, comment="Name the 2004 statute.")
    workflow.submit(in_review, editor, reviewer=reviewer)
    return {"draft": draft, "changes": changes, "in_review": in_review}


def test_the_editor_home_lists_exactly_their_work(client, day, people):
    client.force_login(people["editor"])

    page = client.get(HOME).content.decode()

    editing = section(page, "home-editor")
    assert "1 new request for changes" in editing
    requested = part(editing, "Changes requested of you (1)")
    assert linked_answers(requested) == [day["changes"].pk]
    assert "Name the 2004 statute." in requested and "new</strong>" in requested
    assert linked_answers(part(editing, "Your drafts (1)")) == [day["draft"].pk]
    assert linked_answers(part(editing, "Yours in review (1)")) == [day["in_review"].pk]
    claimable = Answer.objects.claimable().order_by("document__name", "position")
    assert claimable.count() == 37
    assert linked_answers(part(editing, "Answers you can claim (37)")) == [
        answer.pk for answer in claimable[:8]
    ]
    assert 'id="home-reviewer"' not in page and 'id="home-managing"' not in page

    # Opening the answer reads the request: it is no longer new.
    client.get(reverse("admin:editorial_answer_change", args=[day["changes"].pk]))
    again = section(client.get(HOME).content.decode(), "home-editor")
    assert "new request" not in again and "new</strong>" not in again
    assert "Name the 2004 statute." in again


def test_each_home_link_leads_to_the_work_it_counts(client, day, people):
    client.force_login(people["editor"])
    page = client.get(HOME).content.decode()
    editing = section(page, "home-editor")
    for title, expected in [
        ("Your drafts", [day["draft"]]),
        ("Yours in review", [day["in_review"]]),
        ("Changes requested of you", [day["changes"]]),
    ]:
        url = re.search(rf'<a href="([^"]+)">{title} \(', editing).group(1)
        listed = client.get(url.replace("&amp;", "&")).context["cl"].result_list
        assert [answer.pk for answer in listed] == [answer.pk for answer in expected], title
    url = re.search(r'<a href="([^"]+)">Answers you can claim', editing).group(1)
    assert client.get(url).context["cl"].result_count == 37


def test_the_reviewer_home_shows_the_queue_and_recent_decisions(client, day, people):
    client.force_login(people["reviewer"])

    page = client.get(HOME).content.decode()

    reviewing = section(page, "home-reviewer")
    queue = part(reviewing, "Your review queue (1)")
    assert linked_answers(queue) == [day["in_review"].pk, day["in_review"].pk]  # + "start with it"
    assert "Oldest waiting since" in queue
    decided = part(reviewing, "Recently decided")
    assert "Changes requested" in decided and linked_answers(decided) == [day["changes"].pk]
    assert 'id="home-editor"' not in page and 'id="home-managing"' not in page


def test_the_managing_home_shows_progress_per_document_and_reviewer(client, day, people):
    workflow.approve(day["in_review"], people["reviewer"])
    client.force_login(people["managing"])

    page = client.get(HOME).content.decode()

    progress = section(page, "home-managing")
    rows = progress.split("<tbody>", 1)[1].split("</tbody>", 1)[0].split("<tr>")[1:]
    massachusetts, mississippi = rows
    assert "Massachusetts" in massachusetts and "Mississippi" in mississippi
    assert "Draft 18 · In review 0 · Changes requested 1 · Approved 1" in re.sub(
        r"<[^>]+>", "", massachusetts
    )
    # Live: answers whose approved version is exported, of the answers not archived.
    assert '<strong>1</strong> of 20</a> <span class="meta">5 %</span>' in massachusetts
    assert '<strong>0</strong> of 20</a> <span class="meta">0 %</span>' in mississippi
    reviewers = part(progress, "Reviewers")
    assert re.search(r">reviewer</a></th><td>0</td><td>1</td>", reviewers)  # 1 changes requested
    blocked = Answer.objects.blocked().count()
    assert f"Blocking flags ({blocked})" in progress
    assert "Re-imports waiting to be merged (0)" in progress
    assert f"No editor yet ({Answer.objects.claimable().count()})" in progress


def _more_documents(tmp_path, count: int, first: int = 0) -> None:
    tmp_path.mkdir(exist_ok=True)
    for index in range(first, first + count):
        lines = [
            json.dumps({"question": f"Question {n} of file {index}?", "answer": f"Answer {n}."})
            for n in range(1, 4)
        ]
        (tmp_path / f"extra_{index:03}.jsonl").write_text("\n".join(lines) + "\n")
    assert not import_paths([tmp_path]).failed


@pytest.mark.parametrize("role", ["editor", "reviewer", "managing", "superuser"])
def test_home_queries_do_not_grow_with_documents(
    client, day, people, tmp_path, role, django_assert_max_num_queries
):
    client.force_login(people[role])
    with CaptureQueriesContext(connection) as at_two:
        assert client.get(HOME).status_code == 200
    _more_documents(tmp_path, 48)
    for answer in Answer.objects.filter(document__name__startswith="extra_")[:30]:
        workflow.edit(answer, user=people["editor"], sources=[a_source()])
    assert Document.objects.count() == 50

    with (
        django_assert_max_num_queries(len(at_two)),
        CaptureQueriesContext(connection) as at_fifty,
    ):
        page = client.get(HOME).content.decode()
    assert len(at_fifty) == len(at_two)
    if role in {"managing", "superuser"}:
        # A screenful of the documents with work waiting, not one row per document.
        assert page.count('class="status-bar"') == DOCUMENTS_SHOWN
    print(f"{role}: {len(at_two)} queries at 2 documents, {len(at_fifty)} at 50")


def test_the_managing_home_does_not_grow_with_documents(
    client, day, people, tmp_path, django_assert_max_num_queries
):
    """Issue 21: at 25,000 documents the page was 24 MB, a progress row for each. It shows
    a screenful of the documents with work waiting and links to the Documents list for the
    rest: the same queries at 2 documents as at 60, the same page at 30 as at 60."""
    client.force_login(people["managing"])
    with CaptureQueriesContext(connection) as captured:
        page = client.get(HOME).content.decode()
    at_two = len(captured)  # now: the next request clears the log the capture reads
    assert "Documents with work waiting (2)" in page
    assert "in the Documents list" not in page  # all of them are shown
    _more_documents(tmp_path, 28)
    at_thirty = client.get(HOME).content
    _more_documents(tmp_path / "more", 30, first=28)
    assert Document.objects.count() == 60

    with django_assert_max_num_queries(at_two):
        response = client.get(HOME)
    page = response.content.decode()
    assert len(response.content) == len(at_thirty)
    progress = section(page, "home-managing")
    assert progress.count('class="status-bar"') == DOCUMENTS_SHOWN
    assert "Documents with work waiting (60)" in progress
    table = progress.split("</table>", 1)[0]
    listed = re.findall(r'<th scope="row"><a href="[^"]+">([^<]+)', table)
    expected = Document.objects.order_by("name")[:DOCUMENTS_SHOWN]
    assert listed == [document.label for document in expected]
    assert f'<a href="{reverse("admin:editorial_document_changelist")}">The first 25' in progress


def test_a_document_with_nothing_waiting_leaves_the_managing_home(client, day, people):
    for answer in Answer.objects.filter(document__subject="Mississippi"):
        workflow.archive(answer, people["managing"])
    client.force_login(people["managing"])

    progress = section(client.get(HOME).content.decode(), "home-managing")

    assert "Documents with work waiting (1)" in progress
    assert "Massachusetts" in progress and "Mississippi" not in progress.split("</table>")[0]


def test_counts_that_can_be_large_stop_at_the_cap():
    assert counted_label(999) == "999" and counted_label(1000) == "1,000"
    assert counted_label(1001) == "1,000+"
    assert capped_count(Answer.objects.all(), cap=5) == {"count": 0, "more": False, "label": "0"}


def test_counts_past_the_cap_say_so(seeds):
    assert Answer.objects.count() == 40
    assert capped_count(Answer.objects.all(), cap=39) == {"count": 39, "more": True, "label": "39+"}
    assert capped_count(Answer.objects.all(), cap=40) == {"count": 40, "more": False, "label": "40"}


def test_user_text_is_escaped_on_the_home_pages(client, day, people):
    document = Document.objects.get(subject="Massachusetts")
    document.title = XSS
    document.save()
    editor, reviewer = people["editor"], people["reviewer"]
    answer = ma(5)
    workflow.edit(answer, user=editor, question=f"{XSS}?", sources=[a_source()])
    settle_claims(answer, editor)
    workflow.submit(answer, editor, reviewer=reviewer)
    workflow.request_changes(answer, reviewer, comment=XSS)
    for role in ("editor", "reviewer", "managing", "superuser"):
        client.force_login(people[role])
        page = client.get(HOME).content.decode()
        assert XSS not in page, role
        assert escape(XSS) in page, role


def test_an_approved_answer_edited_again_still_counts_as_live(
    client, day, people, django_assert_max_num_queries
):
    """Issue 18: Massachusetts showed "Approved 0 · 0 %" while its approved version was in
    every export. Live counts what the exports carry, beside the status counts."""
    reviewer, editor = people["reviewer"], people["editor"]
    approved = workflow.approve(day["in_review"], reviewer)
    workflow.edit(approved, user=editor, text=approved.text + " Edited again.")
    assert Answer.objects.get(pk=approved.pk).status == "draft"
    client.force_login(people["managing"])

    with django_assert_max_num_queries(40):
        page = client.get(HOME).content.decode()

    massachusetts = section(page, "home-managing").split("<tbody>", 1)[1].split("<tr>")[1]
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", massachusetts))
    assert "Draft 19 · In review 0 · Changes requested 1 · Approved 0" in text
    assert "1 of 20 5 %" in text
    live_url = re.search(r'<td class="live"><a href="([^"]+)"', massachusetts).group(1)
    listed = client.get(live_url.replace("&amp;", "&")).context["cl"].result_list
    assert [answer.pk for answer in listed] == [approved.pk]


def test_documents_are_named_by_title_with_the_file_name_beneath(client, seeds, people, tmp_path):
    hashed = tmp_path / "001_9f8e7d6c5b4a3210.jsonl"
    hashed.write_text(
        json.dumps({"question": "Do licence offices share photos with the FBI?", "answer": "No."})
        + "\n"
    )
    assert not import_paths([hashed]).failed
    client.force_login(people["managing"])

    page = client.get(HOME).content.decode()

    assert (
        "Do licence offices share photos with the FBI?"
        '<span class="file-name">001_9f8e7d6c5b4a3210.jsonl</span>'
    ) in page
    assert ">001_9f8e7d6c5b4a3210.jsonl</a>" not in page
    documents = client.get("/admin/editorial/document/").content.decode()
    assert "<title>Documents |" in documents
    assert 'Massachusetts<span class="file-name">000_45b9d17f8c940ceb.txt</span>' in documents

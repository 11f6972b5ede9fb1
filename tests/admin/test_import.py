"""Managing editors import files from the admin; nobody else can."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, TestCase

from editorial import flags
from editorial.models import Answer, Document
from tests.conftest import SEED_FILES, page_text, run_worker

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("db_tasks")]
URL = "/admin/editorial/document/import/"


def test_managing_editor_imports_good_files_and_sees_bad_ones_named(client, managing):
    client.force_login(managing)
    assert b"Import files" in client.get("/admin/editorial/document/").content
    seed = SEED_FILES[0]
    response = _post(
        client,
        SimpleUploadedFile(seed.name, seed.read_bytes()),
        SimpleUploadedFile("../../broken.txt", b"\xff\xfe not text"),
    )
    text = page_text(response)
    assert "Not imported: broken.txt:1: not UTF-8 text (byte 0xff cannot be decoded)" in text
    assert "Import: 2 files: 20 created, 0 updated, 0 unchanged, 0 conflicting, 1 failed" in text
    assert list(Document.objects.values_list("name", flat=True)) == [seed.name]
    assert Answer.objects.count() == 20
    assert Document.objects.get().imported_by == managing


@pytest.mark.parametrize("role", ["editor", "reviewer", "outsider"])
def test_others_cannot_import(role, request, client):
    client.force_login(request.getfixturevalue(role))
    seed = SEED_FILES[0]
    response = client.post(URL, {"files": [SimpleUploadedFile(seed.name, seed.read_bytes())]})
    assert response.status_code == 403
    assert not Document.objects.exists()
    if role != "outsider":
        assert b"Import files" not in client.get("/admin/editorial/document/").content


def _post(client, *files, **extra):
    """The upload; if it was taken, a worker runs its job and the job's page is returned."""
    # The job is queued once the upload has committed (as the test's transaction never does).
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(URL, {"files": list(files), **extra})
    if response.status_code != 302:
        return response
    run_worker()
    return client.get(response["Location"])


def test_a_file_over_the_size_limit_is_refused_by_name_and_nothing_is_imported(
    client, managing, settings
):
    settings.EDITORIAL_IMPORT_MAX_FILE_MB = 1
    client.force_login(managing)
    seed = SEED_FILES[0]
    big = SimpleUploadedFile("big.txt", b"1. Q?\n" + b"word " * 300_000)

    response = _post(client, SimpleUploadedFile(seed.name, seed.read_bytes()), big)

    assert response.status_code == 200
    errors = response.context["form"].errors["files"]
    assert errors == ["big.txt is 1.4 MB; the limit is 1 MB a file. Split it into smaller files."]
    assert not Document.objects.exists()


def test_an_upload_over_the_request_limit_is_refused_before_its_files_are_read(
    client, managing, settings
):
    settings.EDITORIAL_IMPORT_MAX_UPLOAD_MB = 1
    client.force_login(managing)
    files = [SimpleUploadedFile(f"f{n}.txt", b"1. Q?\n" + b"word " * 200_000) for n in range(3)]

    response = _post(client, *files)

    assert response.status_code == 200
    assert response.context["form"].errors["files"] == [
        "That upload is 3 MB; the limit is 1 MB an upload. Import the files in several uploads."
    ]
    assert b"the limit is 1 MB an upload" in response.content
    assert not Document.objects.exists()


def test_more_files_than_django_takes_in_one_upload_is_the_forms_error_naming_the_limit(
    client, managing, settings
):
    """Issue 20: 101 files got a bare "Bad Request (400)" (DATA_UPLOAD_MAX_NUMBER_FILES)."""
    settings.DEBUG = False  # Django's handler400 is not used in DEBUG
    # With the CSRF check, as a browser meets it: the check reads the form, before the view.
    client = Client(enforce_csrf_checks=True)
    client.force_login(managing)
    page = client.get(URL)
    assert b"Up to 100 files and 50 MB an upload, 10 MB a file." in page.content
    files = [SimpleUploadedFile(f"f{n}.txt", b"1. Q?\nA.\n") for n in range(101)]
    token = page.context["csrf_token"]

    response = client.post(URL, {"files": files, "csrfmiddlewaretoken": token})

    assert response.status_code == 400
    assert response.context["form"].errors["files"] == [
        "That upload has more than 100 files; the limit is 100 files an upload. Import them in "
        "several uploads."
    ]
    assert b"the limit is 100 files an upload" in response.content
    assert not Document.objects.exists()
    # The next upload, of 100 files, is served.
    files = [SimpleUploadedFile(f"f{n}.txt", b"1. Q?\nA.\n") for n in range(100)]
    response = _post(client, *files, csrfmiddlewaretoken=token)
    assert "Import: 100 files: 100 created," in page_text(response)


def test_over_the_file_cap_elsewhere_or_for_others_is_djangos_own_400(editor, managing, settings):
    settings.DEBUG = False
    for user, url in ((editor, URL), (managing, "/admin/editorial/answer/")):
        client = Client(enforce_csrf_checks=True)
        client.force_login(user)
        token = client.get("/admin/").context["csrf_token"]
        files = [SimpleUploadedFile(f"f{n}.txt", b"1. Q?\nA.\n") for n in range(101)]
        response = client.post(url, {"files": files, "csrfmiddlewaretoken": token})
        assert response.status_code == 400
        assert b"limit" not in response.content


def test_file_names_keep_their_case_in_the_messages_shown(client, managing):
    client.force_login(managing)
    response = _post(
        client, SimpleUploadedFile("p_hostile.jsonl", b'{"question": "Q?", "answer": "A."}\n[1]\n')
    )
    assert (
        "Not imported: p_hostile.jsonl:2: expected an object {&quot;question&quot;: …, "
        "&quot;answer&quot;: …}"
    ) in response.content.decode().replace("<strong>", "").replace("</strong> <code>", " ")
    assert b"P_hostile" not in response.content


def test_two_files_with_one_name_are_refused_by_name(client, managing):
    client.force_login(managing)
    seed = SEED_FILES[0]
    response = _post(
        client,
        SimpleUploadedFile(seed.name, seed.read_bytes()),
        SimpleUploadedFile(f"other/{seed.name}", b"1. Another question?\nAnother answer.\n"),
    )
    assert response.context["form"].errors["files"] == [
        f"2 files are named {seed.name}: a name is a document, so only one of them can be "
        "imported. Rename them or upload them separately."
    ]
    assert not Document.objects.exists()


def test_any_file_name_the_database_holds_is_imported_as_given(client, managing):
    client.force_login(managing)
    name = "é" * 246 + ".txt"  # 250 characters, 496 bytes: longer than a file system allows
    response = _post(client, SimpleUploadedFile(name, b"1. Is this fine?\nYes.\n"))
    assert "Import: 1 file: 1 created," in page_text(response)
    assert Document.objects.get().name == name


def test_the_places_the_parser_had_to_choose_are_shown_as_warnings(client, managing):
    client.force_login(managing)
    text = (
        "1. What are the steps?\n1. Ask.\n2. Wait.\n\n"
        "2. Contact the office.\n\n"
        "2. Who answers?\nThe clerk.\n"
    )
    response = _post(client, SimpleUploadedFile("choices.txt", text.encode()))
    text = page_text(response)
    assert (
        'Check: choices.txt:5: "2. Contact the office." was read as part of answer 1, not as '
        'question 2: line 7 ("2. Who answers?") reads as question 2'
    ) in text
    assert (
        "Import: 1 file: 2 created, 0 updated, 0 unchanged, 0 conflicting, 0 failed, 1 warning"
        in text
    )


# --- the result page --------------------------------------------------------------------

HASHED = "007_0123456789abcdef.txt"
NO_STATE = (
    "1. Does the licence office share photos with the FBI?\n"
    "As of my knowledge cutoff in 2021, the Federal Bureau of Investigation (FBI) could ask.\n"
    "2. How long are photos kept?\n"
    "Photos are kept for 10 years.\n"
)


def test_the_result_links_each_new_document_and_counts_what_it_found(client, managing):
    client.force_login(managing)
    seed = SEED_FILES[0]

    response = _post(
        client,
        SimpleUploadedFile(seed.name, seed.read_bytes()),
        SimpleUploadedFile(HASHED, NO_STATE.encode()),
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert "<title>Import job " in html
    hashed = Document.objects.get(name=HASHED)
    # No state named: the machine-made file name gives way to the first question.
    assert hashed.title == "Does the licence office share photos with the FBI?"
    assert hashed.label != hashed.name
    massachusetts = Document.objects.get(name=seed.name)
    # The documents' table, after the job's per-file table.
    rows = html.split("<tbody>")[2].split("</tbody>", 1)[0].split("<tr>")[1:]
    assert len(rows) == 2
    for document, row in zip([massachusetts, hashed], rows, strict=True):
        link = f'href="/admin/editorial/answer/?document__id__exact={document.pk}"'
        assert link in row
        assert f'{document.label}<span class="file-name">{document.name}</span>' in row
        answers = Answer.objects.filter(document=document)
        assert f'<td class="answers">{answers.count()}</td>' in row
        claims = sum(len(flags.find_claims(answer.text)) for answer in answers)
        assert f'<td class="claims">{claims}</td>' in row
    assert "knowledge-cutoff hedge: 3" in rows[0] and "3 of them block approval" in rows[0]
    flagged = rows[1].split('<td class="flags">', 1)[1].split("</td>", 1)[0]
    assert flagged.startswith("LLM self-reference or knowledge-cutoff hedge: 1 · ")
    assert "No source" not in flagged  # every import lacks sources: not counted
    assert "1 of them blocks approval" in flagged
    assert "Import: 2 files: 22 created, 0 updated, 0 unchanged, 0 conflicting, 0 failed" in (
        page_text(response)
    )


def test_a_file_whose_answers_are_all_blank_is_refused_by_file_and_line(client, managing):
    client.force_login(managing)
    blank = "\n\n1. First question?\n\n2. Second question?\n   \n"

    response = _post(
        client,
        SimpleUploadedFile("Blank Answers.TXT", blank.encode()),
        SimpleUploadedFile("Kept_Case.TXT", b"1. Is the case kept?\nYes.\n"),
    )

    error = (
        "Blank Answers.TXT:3: every answer is blank (2 questions, no answer text); "
        "nothing was imported"
    )
    assert f"Not imported: {error}" in page_text(response)
    assert f"<code>{error}</code>" in response.content.decode()
    # Nothing of the blank file was written; the other file imported, its name as given.
    assert list(Document.objects.values_list("name", "title")) == [("Kept_Case.TXT", "Kept Case")]
    assert Answer.objects.count() == 1

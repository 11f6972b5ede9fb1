"""Managing editors import files from the admin; nobody else can."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from editorial.models import Answer, Document
from tests.conftest import SEED_FILES

pytestmark = pytest.mark.django_db
URL = "/admin/editorial/document/import/"


def test_managing_editor_imports_good_files_and_sees_bad_ones_named(client, managing):
    client.force_login(managing)
    assert b"Import files" in client.get("/admin/editorial/document/").content
    seed = SEED_FILES[0]
    response = client.post(
        URL,
        {
            "files": [
                SimpleUploadedFile(seed.name, seed.read_bytes()),
                SimpleUploadedFile("../../broken.txt", b"\xff\xfe not text"),
            ]
        },
        follow=True,
    )
    messages = [str(m) for m in response.context["messages"]]
    assert "broken.txt:1: not UTF-8 text (byte 0xff cannot be decoded)" in messages
    assert any("20 created" in m and "1 failed" in m for m in messages)
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


def _post(client, *files, follow=True):
    return client.post(URL, {"files": list(files)}, follow=follow)


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

    messages = [str(m) for m in response.context["messages"]]
    assert messages == [
        "That upload is 3 MB; the limit is 1 MB an upload. Import the files in several uploads."
    ]
    assert not Document.objects.exists()


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
    messages = [str(m) for m in response.context["messages"]]
    assert any("1 created" in m for m in messages), messages
    assert Document.objects.get().name == name


def test_the_places_the_parser_had_to_choose_are_shown_as_warnings(client, managing):
    client.force_login(managing)
    text = (
        "1. What are the steps?\n1. Ask.\n2. Wait.\n\n"
        "2. Contact the office.\n\n"
        "2. Who answers?\nThe clerk.\n"
    )
    response = _post(client, SimpleUploadedFile("choices.txt", text.encode()))
    messages = [str(m) for m in response.context["messages"]]
    assert (
        'Check: choices.txt:5: "2. Contact the office." was read as part of answer 1, not as '
        'question 2: line 7 ("2. Who answers?") reads as question 2'
    ) in messages
    assert any("2 created" in m and "1 warning(s)" in m for m in messages), messages

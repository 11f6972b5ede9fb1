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

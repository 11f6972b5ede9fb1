"""ETags and 304, Cache-Control, the documents list, the OpenAPI document and docs page."""

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate

from editorial import workflow
from editorial.exporters import schema_bytes
from tests.api.conftest import MASSACHUSETTS, MISSISSIPPI, approve, body, get, step
from tests.exporters.conftest import answer_at

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["answers", "documents", "sync", "answers/{ma2}"])
def test_etag_and_304(client, approved, token, people, path):
    path = path.format(ma2=approved["ma2"].pk)
    first = get(client, path, token)
    assert first.status_code == 200
    etag = first["ETag"]
    assert etag.startswith('"')
    assert first["Cache-Control"] == "private, no-cache"
    assert "Authorization" in first["Vary"]
    again = client.get(
        f"/api/v1/{path}", headers={"Authorization": f"Bearer {token}", "If-None-Match": etag}
    )
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == etag
    # A change to what is served: the ETag no longer holds.
    approve(answer_at(MISSISSIPPI, 3), people["editor"], people["reviewer"])
    step(workflow.archive, approved["ma2"], people["managing"])
    changed = client.get(
        f"/api/v1/{path}", headers={"Authorization": f"Bearer {token}", "If-None-Match": etag}
    )
    assert changed.status_code in (200, 404)
    assert changed.get("ETag") != etag


@pytest.mark.parametrize("path", ["answers", "sync", "answers/{ma1}"])
def test_a_reapproval_on_the_page_changes_its_etag_and_record(
    client, approved, token, people, path
):
    """A revalidation builds no record: what it compares must still change when an answer on
    the page is approved again with new text, and the page then served holds that text."""
    path = path.format(ma1=approved["ma1"].pk)
    headers = {"Authorization": f"Bearer {token}"}
    first = client.get(f"/api/v1/{path}", headers=headers)
    etag = first["ETag"]
    assert (
        client.get(f"/api/v1/{path}", headers={**headers, "If-None-Match": etag}).status_code == 304
    )
    text = "Since 2004 the RMV shares records with ICE only under a judge's warrant."
    approve(approved["ma1"], people["editor"], people["reviewer"], text=text)
    changed = client.get(f"/api/v1/{path}", headers={**headers, "If-None-Match": etag})
    assert changed.status_code == 200
    assert changed["ETag"] != etag
    served = body(changed)
    records = served.get("answers", [served])
    assert [r["answer"] for r in records if r["id"] == approved["ma1"].pk] == [text]
    assert text not in first.content.decode()
    again = client.get(f"/api/v1/{path}", headers={**headers, "If-None-Match": changed["ETag"]})
    assert again.status_code == 304


def test_documents_list(client, approved, token):
    listed = body(get(client, "documents", token))
    assert listed["next"] is None
    by_name = {item["name"]: item for item in listed["documents"]}
    assert by_name[MASSACHUSETTS]["answers"] == 3
    assert by_name[MISSISSIPPI]["answers"] == 2
    assert by_name[MASSACHUSETTS]["subject"] == "Massachusetts"
    first = body(get(client, "documents", token, limit=1))
    assert len(first["documents"]) == 1
    second = body(get(client, "documents", token, limit=1, cursor=first["next"]))
    assert [d["name"] for d in first["documents"] + second["documents"]] == sorted(
        by_name, key=lambda name: list(by_name).index(name)
    )
    assert second["next"] is None


def test_documents_without_approved_answers_are_not_listed(client, seeds, token):
    assert body(get(client, "documents", token))["documents"] == []


def test_openapi_document_is_valid(client):
    response = client.get("/api/v1/schema")
    assert response.status_code == 200
    schema = response.json()
    validate(schema)
    assert {"/api/v1/answers", "/api/v1/answers/{answer_id}", "/api/v1/documents",
            "/api/v1/sync"} <= set(schema["paths"])  # fmt: skip
    answers = schema["paths"]["/api/v1/answers"]["get"]
    assert {p["name"] for p in answers["parameters"]} >= {
        "document", "subject", "approved_since", "cursor", "limit"
    }  # fmt: skip
    assert "bearer" in str(schema["components"]["securitySchemes"]).lower()


def test_docs_page_lists_the_endpoints_without_script(client):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    page = response.content.decode()
    for path in ("/api/v1/answers", "/api/v1/sync", "/api/v1/documents", "/api/v1/schema"):
        assert path in page
    assert "GET /api/v1/answers</code>" in page
    assert "/api/v1/api/v1/" not in page  # each path once, as the OpenAPI document has it
    assert "<script" not in page
    assert "style=" not in page
    assert "script-src 'self'" in response["Content-Security-Policy"]


def test_responses_fit_the_openapi_document(client, approved, token, people):
    from openapi_schema_validator import OAS31Validator

    components = client.get("/api/v1/schema").json()["components"]

    def check(name: str, instance) -> None:
        schema = {"$ref": f"#/components/schemas/{name}", "components": components}
        OAS31Validator(schema).validate(instance)

    sync_token = get(client, "sync", token).json()["next_sync_token"]
    step(workflow.archive, approved["ma2"], people["managing"])
    approve(answer_at(MISSISSIPPI, 3), people["editor"], people["reviewer"])
    check("AnswerPage", get(client, "answers", token).json())
    check("AnswerRecord", get(client, f"answers/{approved['ms1'].pk}", token).json())
    check("DocumentPage", get(client, "documents", token).json())
    delta = get(client, "sync", token, token=sync_token).json()
    assert delta["answers"] and delta["deleted"]
    check("SyncPage", delta)
    check("ApiError", get(client, "answers").json())
    # A wrong shape is refused: the check can fail.
    with pytest.raises(Exception, match="required"):
        check("AnswerRecord", {"id": 1})


@pytest.mark.parametrize("format_name", ["json", "jsonl", "csv", "pairs"])
def test_the_published_schemas_are_served_as_kept_without_a_key(client, format_name):
    response = client.get(f"/api/v1/schemas/{format_name}")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/schema+json"
    assert response["Cache-Control"] == "public, max-age=3600"
    assert response.content == schema_bytes(format_name)
    Draft202012Validator.check_schema(response.json())


def test_an_unknown_schema_is_a_json_404(client):
    response = client.get("/api/v1/schemas/xml")
    assert response.status_code == 404
    assert response.json()["error"] == "unknown_format"
    assert "jsonl" in response.json()["reason"]


def test_every_answer_the_api_serves_keeps_the_published_jsonl_schema(
    client, approved, token, people
):
    """The contract the API publishes is the one its answers keep: each record of a page,
    of one answer and of a sync, validated against the schema it serves."""
    schema = client.get("/api/v1/schemas/jsonl").json()
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    approve(answer_at(MISSISSIPPI, 3), people["editor"], people["reviewer"])
    records = [
        *body(get(client, "answers", token))["answers"],
        body(get(client, f"answers/{approved['ma2'].pk}", token)),
        *body(get(client, "sync", token))["answers"],
    ]
    assert len(records) >= 2 * len(approved) + 1
    for record in records:
        errors = [error.message for error in validator.iter_errors(record)]
        assert errors == [], (record["id"], errors)

"""Provenance: how each approved answer was made, pinned at approval and carried by exports.

The prov export is read as JSON-LD by pyld (expanded and flattened, as a consumer's
processor would), and every format is searched for text that was never approved.
"""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.core.management import call_command
from django.urls import reverse
from pyld import jsonld

from editorial import workflow
from editorial.exporters import Export
from editorial.models import Answer, ApprovedVersion, ExportRecord, Job, WorkflowEvent
from tests.conftest import RMV_SOURCE, settle_claims
from tests.exporters.test_admin_exports import download

pytestmark = pytest.mark.django_db

MASSACHUSETTS = "000_45b9d17f8c940ceb.txt"
TRAINED = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
COMPOSITE = "http://cv.iptc.org/newscodes/digitalsourcetype/compositeWithTrainedAlgorithmicMedia"
PROV = "http://www.w3.org/ns/prov#"
SCHEMA = "https://schema.org/"
XSD_DATETIME = "http://www.w3.org/2001/XMLSchema#dateTime"
DRAFT = "UNAPPROVED DRAFT: the RMV sells every record to anyone."
DRAFT_NOTE = "unapproved note about the draft"
FORMATS = ["json", "jsonl", "csv", "md", "faq", "pairs", "prov"]


def at(position: int) -> Answer:
    return Answer.objects.get(document__name=MASSACHUSETTS, position=position)


def user_iri(user) -> str:
    return f"urn:editorial:user:{user.username}"


@pytest.fixture
def made(seeds, editor, editor2, reviewer, managing):
    """Q2 approved with its machine words unchanged (sources only); Q1 rewritten by two
    editors, then approved; Q1 then edited again, a draft nobody approved."""
    unchanged = at(2)
    workflow.edit(unchanged, user=editor, sources=[RMV_SOURCE], comment="Added the RMV page")
    settle_claims(unchanged, editor)
    workflow.submit(unchanged, editor, reviewer=reviewer, comment="Checked against the RMV")
    workflow.approve(unchanged, reviewer)

    rewritten = at(1)
    workflow.edit(
        rewritten,
        user=editor,
        text="The RMV shares records with ICE only when a court order requires it.",
        sources=[RMV_SOURCE],
        comment="Removed the knowledge-cutoff hedge",
    )
    workflow.assign_editor(rewritten, managing, editor2)
    workflow.edit(
        rewritten,
        user=editor2,
        question="Does the Massachusetts RMV share data with ICE?",
        comment="Asked the question plainly",
    )
    settle_claims(rewritten, editor2)  # its ICE: the settlement's note is no correction
    workflow.submit(rewritten, editor2, reviewer=reviewer, comment="Ready")
    workflow.approve(rewritten, reviewer)
    approved_text = rewritten.text

    workflow.edit(rewritten, user=editor2, text=DRAFT, comment=DRAFT_NOTE)
    return {"unchanged": unchanged, "rewritten": rewritten, "approved_text": approved_text}


def export(format_name: str) -> bytes:
    out = io.BytesIO()
    Export(format_name, channel="command").write_to(out)
    return out.getvalue()


def test_approval_pins_how_the_text_was_made(made, editor, editor2, reviewer):
    unchanged = ApprovedVersion.objects.current().get(answer=made["unchanged"]).provenance
    rewritten = ApprovedVersion.objects.current().get(answer=made["rewritten"]).provenance
    assert unchanged["digital_source_type"] == TRAINED
    assert unchanged["editors"] == ["editor"]  # attached the sources
    assert unchanged["correction"] == "Added the RMV page\nChecked against the RMV"
    assert rewritten["digital_source_type"] == COMPOSITE
    assert rewritten["editors"] == ["editor", "editor2"]
    assert rewritten["correction"] == (
        "Removed the knowledge-cutoff hedge\nAsked the question plainly\nReady"
    )
    # Times from the event log: the import, and the first and last edit before approval
    # (the last: settling its claim).
    events = WorkflowEvent.objects.filter(answer=made["rewritten"]).order_by("id")
    imported = events.get(action="import").created_at
    edits = [e.created_at for e in events.filter(action="edit")][:3]
    assert rewritten["imported_at"] == imported.isoformat()
    assert (rewritten["first_edit_at"], rewritten["last_edit_at"]) == (
        edits[0].isoformat(),
        edits[2].isoformat(),
    )


def test_a_reapproval_notes_only_the_corrections_since_the_last_approval(made, editor2, reviewer2):
    rewritten = made["rewritten"]  # holds the draft edited with DRAFT_NOTE
    workflow.edit(rewritten, user=editor2, text="The RMV shares records when a court orders it.")
    workflow.submit(rewritten, editor2, reviewer=reviewer2)
    workflow.approve(rewritten, reviewer2)
    pinned = ApprovedVersion.objects.current().get(answer=rewritten).provenance
    assert pinned["correction"] == DRAFT_NOTE  # the admin-less edit above typed no comment
    assert pinned["editors"] == ["editor", "editor2"]  # all since the import


def test_the_batch_approval_pins_the_same_provenance(seeds, editor, reviewer):
    one, many = at(2), at(3)
    for answer in (one, many):
        workflow.edit(answer, user=editor, sources=[RMV_SOURCE], comment="Sourced")
        workflow.edit(answer, user=editor, text=answer.text + " Checked.", comment="Checked")
        settle_claims(answer, editor)
        workflow.submit(answer, editor, reviewer=reviewer)
    workflow.approve(one, reviewer)
    outcome = workflow.approve_many(answers=[many], user=reviewer)
    assert len(outcome.done) == 1
    by_one = ApprovedVersion.objects.current().get(answer=one)
    by_many = ApprovedVersion.objects.current().get(answer=many)
    assert {k: v for k, v in by_one.provenance.items() if not k.endswith("_at")} == {
        "digital_source_type": COMPOSITE,
        "editors": ["editor"],
        "correction": "Sourced\nChecked",
    }
    assert {k: v for k, v in by_many.provenance.items() if not k.endswith("_at")} == {
        k: v for k, v in by_one.provenance.items() if not k.endswith("_at")
    }
    assert set(by_many.provenance) == set(by_one.provenance)
    assert by_many.review_by == by_one.review_by


def test_records_carry_provenance_in_every_record_format(made, reviewer):
    pins = {
        pin.answer_id: pin
        for pin in ApprovedVersion.objects.current().filter(
            answer__in=[made["unchanged"], made["rewritten"]]
        )
    }
    for record in json.loads(export("json")):
        pin = pins[record["id"]]
        assert record["digitalSourceType"] == pin.provenance["digital_source_type"]
        assert record["editors"] == pin.provenance["editors"]
        assert record["correction"] == pin.provenance["correction"]
        assert record["review_by"] == pin.review_by.isoformat()
        assert record["approved_by"] == reviewer.username
    rows = list(csv.DictReader(io.StringIO(export("csv").decode(), newline="")))
    assert {int(row["id"]): json.loads(row["editors"]) for row in rows} == {
        pk: pin.provenance["editors"] for pk, pin in pins.items()
    }
    assert {int(row["id"]): row["digitalSourceType"] for row in rows} == {
        pk: pin.provenance["digital_source_type"] for pk, pin in pins.items()
    }
    markdown = export("md").decode()
    assert "Machine-written text, its words approved unchanged; worked on by editor." in markdown
    assert "Machine-written text, corrected by people; worked on by editor, editor2." in markdown


def test_faq_says_how_each_answer_was_made_in_schema_org_terms(made):
    (page,) = json.loads(export("faq"))
    answers = {q["identifier"]: q["acceptedAnswer"] for q in page["mainEntity"]}
    unchanged = answers[str(made["unchanged"].pk)]
    rewritten = answers[str(made["rewritten"].pk)]
    # IRIs, as in prov (a plain string was a literal to a JSON-LD reader).
    assert unchanged["digitalSourceType"] == {
        "@id": f"{SCHEMA}TrainedAlgorithmicMediaDigitalSource"
    }
    assert rewritten["digitalSourceType"] == {
        "@id": f"{SCHEMA}CompositeWithTrainedAlgorithmicMediaDigitalSource"
    }
    assert rewritten["contributor"] == [
        {"@type": "Person", "name": "editor"},
        {"@type": "Person", "name": "editor2"},
    ]
    assert rewritten["correction"].startswith("Removed the knowledge-cutoff hedge")


def _flattened(data: bytes) -> dict[str, dict]:
    """The prov export as a JSON-LD processor reads it: expanded, flattened, by node id."""
    document = json.loads(data)
    expanded = jsonld.expand(document)
    assert expanded, "expansion dropped everything: terms did not resolve to IRIs"
    flat = jsonld.flatten(document)
    return {node["@id"]: node for node in flat}


def _ids(node: dict, prop: str) -> set[str]:
    return {value["@id"] for value in node.get(PROV + prop, [])}


def _time(node: dict, prop: str) -> str:
    (value,) = node[PROV + prop]
    assert value["@type"] == XSD_DATETIME
    return value["@value"]


def test_prov_is_json_ld_the_approved_text_a_revision_of_the_machine_text(
    made, editor, editor2, reviewer
):
    nodes = _flattened(export("prov"))
    rewritten = made["rewritten"]
    pin = ApprovedVersion.objects.current().get(answer=rewritten)
    base = f"urn:editorial:answer:{rewritten.pk}"
    approved = nodes[f"{base}:v{pin.version}"]
    imported = nodes[f"{base}:imported"]
    activity = nodes[f"{base}:v{pin.version}:editing"]

    assert set(approved["@type"]) == {PROV + "Entity", SCHEMA + "Answer"}
    assert approved[SCHEMA + "text"] == [{"@value": made["approved_text"]}]
    assert _ids(approved, "wasRevisionOf") == {imported["@id"]}
    assert _ids(approved, "wasGeneratedBy") == {activity["@id"]}
    agents = {user_iri(editor), user_iri(editor2), user_iri(reviewer)}
    assert _ids(approved, "wasAttributedTo") == agents
    assert approved[SCHEMA + "digitalSourceType"] == [{"@id": COMPOSITE}]
    assert _time(approved, "generatedAtTime") == pin.approved_at.isoformat()

    assert imported["@type"] == [PROV + "Entity"]
    import_event = WorkflowEvent.objects.get(answer=rewritten, action="import")
    assert _time(imported, "generatedAtTime") == import_event.created_at.isoformat()

    assert activity["@type"] == [PROV + "Activity"]
    assert _ids(activity, "used") == {imported["@id"]}
    assert _ids(activity, "wasAssociatedWith") == agents
    assert _time(activity, "startedAtTime") == pin.provenance["first_edit_at"]
    assert _time(activity, "endedAtTime") == pin.approved_at.isoformat()
    roles = {
        (association[PROV + "agent"][0]["@id"], association[PROV + "hadRole"][0]["@id"])
        for association in (nodes[ref["@id"]] for ref in activity[PROV + "qualifiedAssociation"])
    }
    assert roles == {
        (user_iri(editor), "urn:editorial:role:editor"),
        (user_iri(editor2), "urn:editorial:role:editor"),
        (user_iri(reviewer), "urn:editorial:role:approver"),
    }
    for agent in agents:  # prov:Agent, which PROV readers take as the agent; a person
        assert set(nodes[agent]["@type"]) == {PROV + "Agent", PROV + "Person"}

    unchanged = ApprovedVersion.objects.current().get(answer=made["unchanged"])
    unchanged_node = nodes[f"urn:editorial:answer:{unchanged.answer_id}:v{unchanged.version}"]
    assert unchanged_node[SCHEMA + "digitalSourceType"] == [{"@id": TRAINED}]
    # One imported, one activity and one approved node per exported answer, no more.
    answers = [n for n in nodes.values() if SCHEMA + "Answer" in n.get("@type", [])]
    assert len(answers) == Answer.objects.approved().count() == 2


@pytest.mark.parametrize("format_name", FORMATS)
def test_no_unapproved_text_leaves_in_any_format(made, format_name):
    data = export(format_name).decode()
    assert made["approved_text"] in data.replace("\\u0026", "&") or format_name == "md"
    for unapproved in (DRAFT, "sells every record", DRAFT_NOTE):
        assert unapproved not in data
    assert Answer.objects.get(pk=made["rewritten"].pk).text == DRAFT  # the draft is there


def test_prov_through_the_admin_and_the_command(client, made, managing, tmp_path, db_tasks):
    client.force_login(managing)
    response = download(client, reverse("admin:editorial_answer_export") + "?format=prov")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/ld+json"
    assert response["Content-Disposition"].endswith('.prov.jsonld"')
    data = b"".join(response.streaming_content)
    assert DRAFT.encode() not in data
    assert _flattened(data)
    record = ExportRecord.objects.get()
    assert (record.format, record.answer_count, record.channel) == ("prov", 2, "admin")
    assert Job.objects.get().output_sha256 == record.sha256
    page = client.get(reverse("admin:editorial_answer_changelist")).content.decode()
    assert "format=prov" in page

    out = tmp_path / "answers.prov.jsonld"
    call_command("export_answers", "--format", "prov", "--output", str(out))
    assert out.read_bytes() == data  # deterministic: the same bytes by either way

"""The linked-data formats: faq (schema.org FAQPage JSON-LD) and prov (W3C PROV-O JSON-LD).

faq is for search engines, a page's script block; prov tells who made each approved text
from which machine text, for anyone who must show how published content came about.

Both name schema.org's terms under one namespace, https://schema.org/ (SCHEMA_ORG), so
their graphs merged join on the same IRIs. https because it is the one schema.org shows
every term under, the one its IPTC digital-source members (which faq names) are written
with, and the one prov has always used; the context schema.org serves maps its terms to
http://schema.org/, so faq embeds a context of its own rather than naming schema.org's:
it then also parses with no network (rdflib, PyLD), as a consumer offline must. Every
link is an IRI ({"@id": …}, or "url", an IRI by the context as in schema.org's own), and
a node without one is left out, never written {"@id": ""} (the file's own IRI).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import groupby
from operator import itemgetter
from typing import Any
from urllib.parse import quote

from editorial.exporters.plain import dumps
from editorial.exporters.query import Record

# --- faq: schema.org FAQPage JSON-LD ----------------------------------------------------

# Inside <script type="application/ld+json"> a "</script>" or "<!--" in a string would end
# or confuse the block; \uXXXX escapes read the same to a JSON parser.
_LD_ESCAPES = str.maketrans(
    {
        "<": "\\u003c",
        ">": "\\u003e",
        "&": "\\u0026",
        "\u2028": "\\u2028",
        "\u2029": "\\u2029",
    }
)


def _ld_dumps(value: Any) -> str:
    return dumps(value).translate(_LD_ESCAPES)


SCHEMA_ORG = "https://schema.org/"
# faq's context, embedded: schema.org's terms by @vocab, and "url" an IRI as schema.org's
# own context makes it (the shape search engines document: "url": "https://…").
FAQ_CONTEXT = {"@vocab": SCHEMA_ORG, "url": {"@id": SCHEMA_ORG + "url", "@type": "@id"}}


def _faq_question(record: Record) -> dict[str, Any]:
    citations = []
    for source in record["sources"]:
        citation: dict[str, Any] = {"@type": "WebPage"}
        if source["url"]:
            citation["url"] = source["url"]
        if source["title"]:
            citation["name"] = source["title"]
        if source["publisher"]:
            citation["publisher"] = {"@type": "Organization", "name": source["publisher"]}
        if source["accessed"]:
            citation["lastReviewed"] = source["accessed"]  # when our editor checked it
        citations.append(citation)
    return {
        "@type": "Question",
        "identifier": str(record["id"]),
        "position": record["position"],
        "name": record["question"],
        "acceptedAnswer": {
            "@type": "Answer",
            "text": record["answer"],
            "citation": citations,
            "editor": {
                "@type": "Person",
                "name": record.get("approved_by_name") or record["approved_by"],
            },
            "dateModified": record["approved_at"],
            "version": record["version"],
            **_faq_provenance(record),
        },
    }


# schema.org's members of IPTCDigitalSourceEnumeration, by the IPTC term they stand for.
_SCHEMA_DIGITAL_SOURCE = {
    "trainedAlgorithmicMedia": SCHEMA_ORG + "TrainedAlgorithmicMediaDigitalSource",
    "compositeWithTrainedAlgorithmicMedia": (
        SCHEMA_ORG + "CompositeWithTrainedAlgorithmicMediaDigitalSource"
    ),
}


def _faq_provenance(record: Record) -> dict[str, Any]:
    """digitalSourceType, the editors as contributors and the correction note, in schema.org
    terms. The review-by date is left out: schema.org's `expires` would tell readers the
    answer is void, and it is not."""
    properties: dict[str, Any] = {}
    term = record["digitalSourceType"].rsplit("/", 1)[-1]
    if term in _SCHEMA_DIGITAL_SOURCE:
        properties["digitalSourceType"] = {"@id": _SCHEMA_DIGITAL_SOURCE[term]}
    if record["editors"]:
        names = record.get("editor_names") or record["editors"]
        properties["contributor"] = [{"@type": "Person", "name": name} for name in names]
    if record["correction"]:
        properties["correction"] = record["correction"]
    return properties


def write_faq(records: Iterable[Record]) -> Iterator[str]:
    """A JSON array of FAQPage objects, one per document, each ready for a script block."""
    separator = "[\n"
    for document, answers in groupby(records, key=itemgetter("document")):
        # Written piece by piece in sorted-key order so a large document streams too.
        yield (
            f'{separator}{{"@context": {_ld_dumps(FAQ_CONTEXT)}, "@type": "FAQPage", '
            f'"identifier": {_ld_dumps(document)}, "mainEntity": ['
        )
        subject = ""
        for index, record in enumerate(answers):
            yield (", " if index else "") + _ld_dumps(_faq_question(record))
            subject = record["subject"]
        yield f'], "name": {_ld_dumps(subject or document)}}}'
        separator = ",\n"
    yield "[]\n" if separator == "[\n" else "\n]\n"


# --- prov: W3C PROV-O JSON-LD ----------------------------------------------------------

PROV_CONTEXT = {
    "prov": "http://www.w3.org/ns/prov#",
    "schema": SCHEMA_ORG,
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "editorial": "urn:editorial:vocab:",
}
# Roles in the editing activity: who corrected the machine text, who approved the result.
PROV_EDITOR_ROLE = "urn:editorial:role:editor"
PROV_APPROVER_ROLE = "urn:editorial:role:approver"
_IMPORTED_SOURCE_TYPE = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"


def prov_agent(username: str) -> str:
    """A person's stable IRI in PROV: their username, which the approval records name too."""
    return "urn:editorial:user:" + quote(username, safe="")


def prov_document(name: str) -> str:
    """A document's IRI in PROV, from the file name records carry."""
    return "urn:editorial:document:" + quote(name, safe="")


def _prov_time(moment: str, datatype: str = "xsd:dateTime") -> dict[str, str]:
    return {"@type": datatype, "@value": moment}


def _prov_agent_node(agent: str) -> dict[str, Any]:
    """A person, once per file: typed prov:Agent, which PROV readers (the `prov` package)
    take as the agent; prov:Person, a subclass, says which kind."""
    return {"@id": agent, "@type": ["prov:Agent", "prov:Person"]}


def _prov_document_node(document: str) -> dict[str, Any]:
    return {
        "@id": prov_document(document),
        "@type": "prov:Entity",
        "schema:identifier": document,
    }


def _prov_citation(answer: str, number: int, source: dict[str, str]) -> dict[str, Any]:
    """A source the approved text cites, an entity of its own (PROV readers keep only
    typed PROV nodes), its page an IRI."""
    citation: dict[str, Any] = {
        "@id": f"{answer}:source:{number}",
        "@type": ["prov:Entity", "schema:WebPage"],
    }
    if source["url"]:
        citation["schema:url"] = {"@id": source["url"]}
    if source["title"]:
        citation["schema:name"] = source["title"]
    return citation


def _prov_nodes(record: Record) -> list[dict[str, Any]]:
    """One answer in PROV-O: the imported machine text (an entity, by reference only: its
    words are the pairs format's), the editing-and-approval activity that used it, and
    the approved text it generated, derived from the machine text as a revision of it
    (the plain and the qualified relation, which the activity made), attributed to the
    editors and the approver. Only approved content carries words here."""
    made = record["provenance"]
    answer_iri = f"urn:editorial:answer:{record['id']}"
    imported, approved = f"{answer_iri}:imported", f"{answer_iri}:v{record['version']}"
    activity = f"{approved}:editing"
    approver = prov_agent(record["approved_by"])
    editors = [prov_agent(name) for name in record["editors"]]
    agents = sorted({*editors, approver})
    imported_node: dict[str, Any] = {
        "@id": imported,
        "@type": "prov:Entity",
        "schema:digitalSourceType": {"@id": _IMPORTED_SOURCE_TYPE},
    }
    if made.get("imported_at"):
        imported_node["prov:generatedAtTime"] = _prov_time(made["imported_at"])
    associations = [
        {
            "@type": "prov:Association",
            "prov:agent": {"@id": agent},
            "prov:hadRole": {"@id": role},
        }
        for agent, role in [(editor, PROV_EDITOR_ROLE) for editor in editors]
        + [(approver, PROV_APPROVER_ROLE)]
    ]
    started = made.get("first_edit_at") or made.get("imported_at") or record["approved_at"]
    activity_node = {
        "@id": activity,
        "@type": "prov:Activity",
        "prov:used": {"@id": imported},
        "prov:startedAtTime": _prov_time(started),
        "prov:endedAtTime": _prov_time(record["approved_at"]),
        "prov:wasAssociatedWith": [{"@id": agent} for agent in agents],
        "prov:qualifiedAssociation": associations,
    }
    approved_node: dict[str, Any] = {
        "@id": approved,
        "@type": ["prov:Entity", "schema:Answer"],
        "schema:identifier": str(record["id"]),
        "schema:isPartOf": {"@id": prov_document(record["document"])},
        "schema:position": record["position"],
        "schema:name": record["question"],
        "schema:text": record["answer"],
        "schema:version": record["version"],
        "schema:citation": [
            _prov_citation(approved, number, source)
            for number, source in enumerate(record["sources"], start=1)
        ],
        "prov:wasDerivedFrom": {"@id": imported},
        "prov:wasRevisionOf": {"@id": imported},
        "prov:qualifiedRevision": {
            "@type": "prov:Revision",
            "prov:entity": {"@id": imported},
            "prov:hadActivity": {"@id": activity},
        },
        "prov:wasGeneratedBy": {"@id": activity},
        "prov:generatedAtTime": _prov_time(record["approved_at"]),
        "prov:wasAttributedTo": [{"@id": agent} for agent in agents],
    }
    if record["digitalSourceType"]:
        approved_node["schema:digitalSourceType"] = {"@id": record["digitalSourceType"]}
    if record["correction"]:
        approved_node["schema:correction"] = record["correction"]
    if record["review_by"]:
        approved_node["editorial:reviewBy"] = _prov_time(record["review_by"], "xsd:date")
    return [imported_node, activity_node, approved_node]


def write_prov(records: Iterable[Record]) -> Iterator[str]:
    """One JSON-LD document: the context, then a @graph of each answer's nodes, one a line,
    written as the records come (the graph is never held whole). Each document and each
    person is written once, before the first answer naming them: only the usernames seen
    are kept, never the answers."""
    yield f'{{"@context": {dumps(PROV_CONTEXT)}, "@graph": ['
    separator = "\n"
    document = None
    seen_agents: set[str] = set()
    for record in records:
        nodes = []
        if record["document"] != document:
            document = record["document"]
            nodes.append(_prov_document_node(document))
        agents = {prov_agent(name) for name in (*record["editors"], record["approved_by"])}
        nodes += [_prov_agent_node(agent) for agent in sorted(agents - seen_agents)]
        seen_agents |= agents
        for node in nodes + _prov_nodes(record):
            yield separator + dumps(node)
            separator = ",\n"
    yield "]}\n" if separator == "\n" else "\n]}\n"

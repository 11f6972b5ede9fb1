"""Each format read by the consumers it is made for, offline, on the seed files with
hostile and unicode text: faq and prov as RDF by rdflib and PyLD (two JSON-LD processors,
which must read the same graph), prov as PROV by the `prov` package (derivations, agents
and citations read as PROV, nothing left unconverted), md as GitHub-flavoured Markdown by
markdown-it-py with linkify. The json, jsonl, csv and pairs records are read against their
schemas in test_contract.py."""

from __future__ import annotations

import json
import socket
import warnings
from collections import Counter

import prov
import pytest
import rdflib
from markdown_it import MarkdownIt
from prov.constants import PROV_ATTR_ACTIVITY, PROV_ATTR_GENERATED_ENTITY, PROV_ATTR_USED_ENTITY
from prov.constants import PROV_TYPE as PROV_TYPE_ATTRIBUTE
from prov.model import ProvAgent, ProvDerivation, ProvEntity
from pyld import jsonld
from rdflib.compare import isomorphic

from editorial.exporters import SCHEMA_ORG
from tests.exporters.conftest import AMPERSAND_URL, export, parse_jsonl

pytestmark = [
    pytest.mark.django_db,
    # rdflib 7's parsers use its own deprecated ConjunctiveGraph, once per triple.
    pytest.mark.filterwarnings("ignore:.*is deprecated:DeprecationWarning"),
]

PROV_NS = "http://www.w3.org/ns/prov#"
SCHEMA = rdflib.Namespace(SCHEMA_ORG)


@pytest.fixture
def offline(monkeypatch):
    """No consumer reaches the network: a context fetched would fail the test, not pass."""

    def refuse(*args, **kwargs):
        raise OSError("the network is refused in this test")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)


def refuse_documents(url, options=None):
    raise jsonld.JsonLdError(
        f"Fetching {url} refused: the document must carry its context.",
        "jsonld.LoadDocumentError",
        code="loading document failed",
    )


def rdflib_graph(data: bytes) -> rdflib.Graph:
    return rdflib.Graph().parse(data=data, format="json-ld")


def pyld_graph(data: bytes) -> rdflib.Graph:
    """PyLD's RDF of the document, as N-Quads read into rdflib to compare."""
    quads = jsonld.to_rdf(
        json.loads(data), {"format": "application/n-quads", "documentLoader": refuse_documents}
    )
    return rdflib.Graph().parse(data=quads, format="nquads")


def read_as_rdf(data: bytes) -> rdflib.Graph:
    """The graph rdflib reads, which PyLD must read the same: no IRI empty or relative,
    schema.org only under https://schema.org/."""
    graph = rdflib_graph(data)
    assert isomorphic(graph, pyld_graph(data))
    iris = {str(term) for triple in graph for term in triple if isinstance(term, rdflib.URIRef)}
    assert not [iri for iri in iris if not iri.startswith(("http://", "https://", "urn:"))]
    assert not [iri for iri in iris if iri.startswith("http://schema.org/")]
    assert any(iri.startswith(SCHEMA_ORG) for iri in iris)
    return graph


def test_faq_reads_offline_in_rdflib_and_pyld_its_links_iris(corpus, offline):
    data = export("faq")
    graph = read_as_rdf(data)
    records = parse_jsonl(export("jsonl"))
    questions = list(graph.subjects(rdflib.RDF.type, SCHEMA.Question))
    assert len(questions) == len(records)
    assert len(list(graph.subjects(rdflib.RDF.type, SCHEMA.FAQPage))) == 2
    urls = sorted(graph.objects(None, SCHEMA.url))
    assert all(isinstance(url, rdflib.URIRef) for url in urls)
    cited = sorted({source["url"] for record in records for source in record["sources"]})
    assert sorted({str(url) for url in urls}) == cited
    assert AMPERSAND_URL in cited
    kinds = set(graph.objects(None, SCHEMA.digitalSourceType))
    assert kinds == {
        SCHEMA.TrainedAlgorithmicMediaDigitalSource,
        SCHEMA.CompositeWithTrainedAlgorithmicMediaDigitalSource,
    }
    texts = {str(text) for text in graph.objects(None, SCHEMA.text)}
    assert texts == {record["answer"] for record in records}


def read_prov(data: bytes):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        document = prov.read(data.decode(), format="rdf", rdf_format="json-ld")
    # rdflib's own deprecation notices aside, the prov package says nothing: every node
    # was converted (a person typed only prov:Person, a citation of no PROV type, were not).
    said = [str(w.message) for w in caught if not issubclass(w.category, DeprecationWarning)]
    said = [message for message in said if "is deprecated" not in message]
    assert said == []
    return document


def _iri(value) -> str:
    return str(value.uri)


def _one(record, attribute) -> str | None:
    values = record.get_attribute(attribute)
    return _iri(next(iter(values))) if values else None


def test_prov_reads_in_rdflib_pyld_and_the_prov_package(corpus, offline):
    data = export("prov")
    graph = read_as_rdf(data)
    records = parse_jsonl(export("jsonl"))
    document = read_prov(data)

    answers = {
        f"urn:editorial:answer:{record['id']}:v{record['version']}": record for record in records
    }
    kinds = Counter(type(record).__name__ for record in document.get_records())
    derivations = list(document.get_records(ProvDerivation))
    # Each approved text derived from its machine text twice over: prov:wasDerivedFrom,
    # and the qualified revision, which names the editing activity.
    by_answer: dict[str, list] = {}
    for derivation in derivations:
        by_answer.setdefault(_one(derivation, PROV_ATTR_GENERATED_ENTITY), []).append(derivation)
    assert set(by_answer) == set(answers)
    for approved, pair in by_answer.items():
        base = approved.rsplit(":", 1)[0]
        assert {_one(d, PROV_ATTR_USED_ENTITY) for d in pair} == {f"{base}:imported"}
        revisions = [d for d in pair if d.get_attribute(PROV_TYPE_ATTRIBUTE)]
        (revision,) = revisions
        assert {_iri(t) for t in revision.get_attribute(PROV_TYPE_ATTRIBUTE)} == {
            PROV_NS + "Revision"
        }
        assert _one(revision, PROV_ATTR_ACTIVITY) == f"{approved}:editing"
        assert len(pair) == 2
    # The people, as agents of their own, persons by type.
    agents = list(document.get_records(ProvAgent))
    assert {_iri(agent.identifier) for agent in agents} == {
        "urn:editorial:user:editor",
        "urn:editorial:user:reviewer",
    }
    for agent in agents:
        assert {_iri(t) for t in agent.get_attribute(PROV_TYPE_ATTRIBUTE)} == {PROV_NS + "Person"}
    # Every source cited, an entity whose schema:url is the source's link as an IRI.
    citations = {}
    for entity in document.get_records(ProvEntity):
        types = {_iri(t) for t in entity.get_attribute(PROV_TYPE_ATTRIBUTE)}
        if SCHEMA_ORG + "WebPage" in types:
            (url,) = entity.get_attribute(SCHEMA_ORG + "url")
            citations[_iri(entity.identifier)] = _iri(url)
    expected = {
        f"{approved}:source:{number}": source["url"]
        for approved, record in answers.items()
        for number, source in enumerate(record["sources"], start=1)
    }
    assert citations == expected
    assert AMPERSAND_URL in citations.values()
    # The same in RDF: the links IRIs, the document an IRI, no empty digitalSourceType.
    for approved, record in answers.items():
        node = rdflib.URIRef(approved)
        assert graph.value(node, SCHEMA.isPartOf) == rdflib.URIRef(
            "urn:editorial:document:" + record["document"]
        )
        assert graph.value(node, SCHEMA.digitalSourceType) == rdflib.URIRef(
            record["digitalSourceType"]
        )
    assert kinds["ProvAgent"] == 2
    assert kinds["ProvDerivation"] == 2 * len(records)
    assert kinds["ProvActivity"] == kinds["ProvGeneration"] == kinds["ProvUsage"] == len(records)


def test_md_reads_as_github_flavoured_markdown_every_link_whole(corpus):
    source = export("md").decode()
    md = MarkdownIt("gfm-like")  # linkify on: bare links found as GitHub finds them
    assert md.options["linkify"]
    tokens = md.parse(source)
    flat = tokens + [child for token in tokens for child in (token.children or [])]
    hrefs = [token.attrGet("href") for token in flat if token.type == "link_open"]
    records = parse_jsonl(export("jsonl"))
    claimed = {claim["source_url"] for r in records for claim in r["claims"]} - {""}
    assert AMPERSAND_URL in claimed
    assert claimed <= set(hrefs)  # each claim's source, its & and quotes kept
    html = md.render(source)
    assert "&amp;amp;" not in html and "%5C" not in html  # no escape read into a link
    assert "<script" not in html and "<img" not in html
    assert not [href for href in hrefs if href.lower().startswith("javascript:")]

"""What an answer held in one of its versions: its fields, sources and settled claims.

A revision may hold other answers' objects too (a re-import's revision holds every
answer it touched), so each reader keeps only this answer's.
"""

from __future__ import annotations

import json

from reversion.models import Version

from editorial import flags
from editorial.models import Answer, ClaimEvidence


def stored_fields(version: Version) -> dict:
    """A version's fields as stored (JSON values: no dates or model instances).

    reversion's field_dict builds a model instance per version; a page listing 200
    versions spent most of its time there for two plain values each.
    """
    if version.format != "json":
        return version.field_dict
    return json.loads(version.serialized_data)[0]["fields"]


def numbered_version(answer: Answer, number: int) -> Version | None:
    """The newest saved version carrying this version number (steps keep the number)."""
    for version in Version.objects.get_for_object(answer).select_related("revision"):
        if stored_fields(version).get("version") == number:
            return version
    return None


def _followed(version: Version, model: str) -> list[dict]:
    """The fields of this answer's objects of `model` in the version's revision."""
    return [
        followed.field_dict
        for followed in version.revision.version_set.filter(
            content_type__app_label="editorial", content_type__model=model
        ).order_by("object_id")
        if str(followed.field_dict.get("answer_id")) == str(version.object_id)
    ]


def version_sources(version: Version) -> list[dict]:
    """The sources this answer had in a version."""
    return _followed(version, "source")


def version_claims(version: Version) -> list[dict]:
    """The settled claims of the answer's text in a version, in the shape an approval pins
    (a claim's source is read from the same version's sources)."""
    sources = {str(source["id"]): source for source in version_sources(version)}
    evidence = {row["claim_key"]: row for row in _followed(version, "claimevidence")}
    settled = []
    for claim in flags.find_claims(version.field_dict["text"]):
        row = evidence.get(claim.key)
        if row is None:
            continue
        source = sources.get(str(row.get("source_id")))
        if row["kind"] == ClaimEvidence.Kind.SOURCE and source is None:
            continue  # its source was gone: not settled in that version
        if row["kind"] == ClaimEvidence.Kind.COMMON_KNOWLEDGE and not row["reason"].strip():
            continue
        linked = row["kind"] == ClaimEvidence.Kind.SOURCE
        settled.append(
            {
                "text": row["claim_text"],
                "kind": row["kind"],
                "source_url": source["url"] if linked else "",
                "source_title": source["title"] if linked else "",
                "excerpt": row["excerpt"] if linked else "",
                "reason": row["reason"] if not linked else "",
            }
        )
    return settled

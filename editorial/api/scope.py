"""What a key may read: its documents and subjects, as filters and as a fingerprint."""

from __future__ import annotations

import hashlib
import json

from django.db.models import Q, QuerySet

from editorial.api.errors import ApiRefusal
from editorial.models import Answer, ApiKey, Document


class Scope:
    """A key's reach, read once per request (one query for its documents)."""

    def __init__(self, key: ApiKey) -> None:
        self.key = key
        self.everything = key.everything
        self.document_ids = (
            frozenset() if key.everything else frozenset(key.documents.values_list("pk", flat=True))
        )
        self.subjects = frozenset() if key.everything else frozenset(key.subjects)

    @property
    def fingerprint(self) -> str:
        """Changes whenever the scope does: tokens and ETags made under another scope lapse."""
        text = json.dumps([self.everything, sorted(self.document_ids), sorted(self.subjects)])
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def documents(self, documents: QuerySet[Document]) -> QuerySet[Document]:
        """Only the documents in scope."""
        if self.everything:
            return documents
        reach = Q(pk__in=sorted(self.document_ids))
        if self.subjects:
            reach |= Q(subject__in=sorted(self.subjects))
        return documents.filter(reach)

    def answers(self, answers: QuerySet[Answer], prefix: str = "") -> QuerySet[Answer]:
        """Only the answers of documents in scope (`prefix` leads from the rows to the answer)."""
        if self.everything:
            return answers
        condition = Q(**{f"{prefix}document_id__in": sorted(self.document_ids)})
        if self.subjects:
            condition |= Q(**{f"{prefix}document__subject__in": sorted(self.subjects)})
        return answers.filter(condition)

    def covers(self, document: Document) -> bool:
        return (
            self.everything or document.pk in self.document_ids or document.subject in self.subjects
        )

    def check_document(self, name: str) -> Document:
        """The document named, refused if there is none (404) or the key may not read it (403)."""
        document = Document.objects.filter(name=name).first()
        if document is None:
            raise ApiRefusal(404, "not_found", f"No document is named {name!r}.")
        if not self.covers(document):
            raise ApiRefusal(403, "out_of_scope", f"This key may not read {name!r}.")
        return document

    def check_subject(self, subject: str) -> None:
        """Refused (403) where the key reaches no document of the subject."""
        if self.everything or subject in self.subjects:
            return
        if not Document.objects.filter(pk__in=sorted(self.document_ids), subject=subject).exists():
            raise ApiRefusal(403, "out_of_scope", f"This key may not read subject {subject!r}.")

"""The editorial record: the content people correct (content.py) and the records kept
around it (records.py). Everything is imported from here: `from editorial.models import …`."""

from editorial.models.api import ApiKey
from editorial.models.content import (
    FINGERPRINT_PREFIX,
    QUESTION_IN_NAME,
    Answer,
    ClaimEvidence,
    Document,
    FingerprintStart,
    FlagLevel,
    Source,
    Status,
    answer_name,
)
from editorial.models.jobs import FINISHED_STATES, Job, JobKind, JobState
from editorial.models.records import (
    ApprovedVersion,
    ExportRecord,
    HistoryLink,
    Notice,
    ReviewDecision,
    ReviewerTimes,
    ReviewerTotals,
    ReviewOpening,
    WorkflowEvent,
)
from editorial.models.web_urls import (
    WebURLField,
    WebURLFormField,
    normalise_web_url,
    validate_web_url,
)
from editorial.models.webhooks import (
    TEST_EVENT,
    DeliveryState,
    WebhookAttempt,
    WebhookEndpoint,
    WebhookEvent,
    WebhookMessage,
)

__all__ = [
    "FINGERPRINT_PREFIX",
    "FINISHED_STATES",
    "TEST_EVENT",
    "DeliveryState",
    "Job",
    "JobKind",
    "JobState",
    "QUESTION_IN_NAME",
    "Answer",
    "FingerprintStart",
    "ApiKey",
    "ApprovedVersion",
    "ClaimEvidence",
    "Document",
    "ExportRecord",
    "FlagLevel",
    "HistoryLink",
    "Notice",
    "ReviewDecision",
    "ReviewOpening",
    "ReviewerTimes",
    "ReviewerTotals",
    "Source",
    "Status",
    "WebURLField",
    "WebURLFormField",
    "WebhookAttempt",
    "WebhookEndpoint",
    "WebhookEvent",
    "WebhookMessage",
    "answer_name",
    "WorkflowEvent",
    "normalise_web_url",
    "validate_web_url",
]

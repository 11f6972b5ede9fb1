"""Every rule of the editorial workflow: the public API.

The admin, the commands and the tests call these functions; none of them
re-implements a rule. Each step locks the answer row, checks who may do what, saves inside
a django-reversion revision carrying the user and comment, appends to the event log and
raises WorkflowError with a sentence a person understands when a rule forbids it.

Where things are: states.py (what a step is), permissions.py (who may), facts.py (what the
rules read), guards.py (refusals with reasons), saving.py (locks, versions, the event),
edits.py (the one edit path), merges.py (stale saves and re-imports merged through it),
transitions.py (the steps and their table), assignment.py,
bulk.py (approving many), provenance.py (what an approval pins), versions.py (what an old
version held), notify.py (steps announced once committed), people.py (accounts that stay).
"""

from editorial.workflow.assignment import (
    assign_editor,
    assign_reviewer,
    claim,
    eligible_reviewers,
    pick_reviewer,
)
from editorial.workflow.bulk import APPROVE_BATCH, UNSEEN, BulkOutcome, approve_many, take_many
from editorial.workflow.edits import (
    Edit,
    clear_claim,
    edit,
    editing,
    revert,
    settle_claim,
    settle_claims,
)
from editorial.workflow.errors import ChoiceNeeded, StaleVersionError, WorkflowError
from editorial.workflow.facts import (
    EVIDENCE_PREFETCH,
    blocking_reasons,
    claim_evidence,
    claims_with_evidence,
    editors_since_approval,
    editors_since_approval_of,
    histories_of,
    unsettled_claims,
)
from editorial.workflow.guards import can_edit, check_can_edit
from editorial.workflow.merges import (
    Merged,
    import_merge,
    incoming_digest,
    merge_edit,
    merge_reimport,
    stale_merge,
    stored_content,
    version_content,
)
from editorial.workflow.notify import steps_taken
from editorial.workflow.people import deletion_refusal
from editorial.workflow.permissions import (
    can_archive,
    can_assign,
    can_decide_any,
    can_export,
    can_import,
    decides_on,
    display_name,
    editors,
    is_editor,
    is_responsible_editor,
    is_reviewer,
    may_assign_editor,
    may_assign_reviewer,
    may_claim,
    may_decide,
    reviewers,
)
from editorial.workflow.provenance import (
    ADMIN_EDIT_COMMENT,
    COMPOSITE_WITH_TRAINED_ALGORITHMIC_MEDIA,
    TRAINED_ALGORITHMIC_MEDIA,
    pinned_claims,
    provenance,
)
from editorial.workflow.saving import check_version
from editorial.workflow.states import (
    ACTIVE_STATES,
    EDITABLE_STATES,
    OPEN_STATES,
    OnMany,
    Step,
)
from editorial.workflow.transitions import (
    STEPS,
    approve,
    archive,
    available_transitions,
    check,
    has_part_in,
    mark_import_merged,
    offered_steps,
    refusal,
    refused_transitions,
    request_changes,
    restore,
    submit,
    withdraw,
)
from editorial.workflow.versions import (
    numbered_version,
    stored_fields,
    version_claims,
    version_sources,
)

__all__ = [
    "deletion_refusal",
    "ACTIVE_STATES",
    "ADMIN_EDIT_COMMENT",
    "APPROVE_BATCH",
    "COMPOSITE_WITH_TRAINED_ALGORITHMIC_MEDIA",
    "EDITABLE_STATES",
    "EVIDENCE_PREFETCH",
    "OPEN_STATES",
    "STEPS",
    "UNSEEN",
    "TRAINED_ALGORITHMIC_MEDIA",
    "BulkOutcome",
    "ChoiceNeeded",
    "Edit",
    "Merged",
    "OnMany",
    "StaleVersionError",
    "Step",
    "WorkflowError",
    "approve",
    "approve_many",
    "archive",
    "assign_editor",
    "assign_reviewer",
    "available_transitions",
    "blocking_reasons",
    "can_archive",
    "can_assign",
    "can_decide_any",
    "can_edit",
    "can_export",
    "can_import",
    "check",
    "check_can_edit",
    "check_version",
    "claim",
    "claim_evidence",
    "claims_with_evidence",
    "clear_claim",
    "decides_on",
    "display_name",
    "edit",
    "editing",
    "editors",
    "editors_since_approval",
    "editors_since_approval_of",
    "eligible_reviewers",
    "has_part_in",
    "histories_of",
    "import_merge",
    "incoming_digest",
    "is_editor",
    "is_responsible_editor",
    "is_reviewer",
    "mark_import_merged",
    "may_assign_editor",
    "may_assign_reviewer",
    "may_claim",
    "merge_edit",
    "merge_reimport",
    "numbered_version",
    "may_decide",
    "offered_steps",
    "pick_reviewer",
    "pinned_claims",
    "provenance",
    "refusal",
    "refused_transitions",
    "request_changes",
    "restore",
    "reviewers",
    "revert",
    "settle_claim",
    "settle_claims",
    "stale_merge",
    "steps_taken",
    "stored_content",
    "stored_fields",
    "submit",
    "take_many",
    "unsettled_claims",
    "version_content",
    "version_claims",
    "version_sources",
    "withdraw",
]

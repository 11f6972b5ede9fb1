"""The staff interface. Thin by design: every rule is asked of editorial.workflow.

One module per model or page family: site and home (each person's work), answers (the
answer list and change page), steps (workflow buttons and bulk actions), review (history,
diffs, revert), documents (with import), exports, records (logs), access (sign-in
lockouts), api_keys (the read API's keys), webhooks (endpoints) and
webhook_log (their events and attempts).
Importing them registers the ModelAdmins.
"""

from editorial.admin import (  # noqa: F401  (registration, e-mail)
    access,
    answers,
    api_keys,
    documents,
    jobs,
    mail,
    people,
    records,
    webhook_log,
    webhooks,
)

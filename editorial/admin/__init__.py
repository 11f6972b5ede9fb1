"""The staff interface. Thin by design: every rule is asked of editorial.workflow.

One module per model or page family: answers (the answer list and change page), steps
(workflow buttons and bulk actions), review (history, diffs, revert), documents (with
import), exports, records (logs). Importing them registers the ModelAdmins.
"""

from django.contrib import admin

from editorial.admin import answers, documents, records  # noqa: F401  (registration)

admin.site.site_header = "Editorial"
admin.site.site_title = "Editorial"
admin.site.index_title = "Corrected, sourced, approved answers"

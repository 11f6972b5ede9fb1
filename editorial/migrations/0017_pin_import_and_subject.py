"""Approvals pin the machine text and the document's subject the reviewer saw.

Nullable, and not filled in for the approvals made before: an approval is append-only
(the triggers of 0007 refuse the UPDATE, and the service's role may not make one) and its
content is sealed in the history chain (0014, 0015), whose links cannot be rewritten, so an
UPDATE would show as tampering in verify_history. Nor could it be faithful: what the answer
holds now may be a re-import merged after the approval. Columns added empty leave the
sealed rows fitting (storage.chain.content leaves empty values out); exports read the
answer's own fields for these older approvals (exporters.query), as before.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("editorial", "0016_document_titles"),
    ]

    operations = [
        migrations.AddField(
            model_name="approvedversion",
            name="document_subject",
            field=models.CharField(
                blank=True,
                help_text="The document's subject when approved.",
                max_length=100,
                null=True,
            ),
        ),
        migrations.AddField(
            model_name="approvedversion",
            name="imported_question",
            field=models.TextField(
                blank=True,
                help_text="The machine-written question the approved one was corrected from.",
                null=True,
            ),
        ),
        migrations.AddField(
            model_name="approvedversion",
            name="imported_text",
            field=models.TextField(
                blank=True,
                help_text="The machine-written answer the approved text was corrected from.",
                null=True,
            ),
        ),
    ]

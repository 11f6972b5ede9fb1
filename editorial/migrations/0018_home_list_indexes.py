"""Partial indexes for the home pages' lists (issue 21): re-imports waiting to be merged and
answers no editor has claimed, each in (document, position) order, so a home reads its first
few and its capped count from the index instead of walking every answer.

Numbered 0018 while another migration may land on main: renumber if one takes 0018 first.
"""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("editorial", "0017_pin_import_and_subject"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name="answer",
            index=models.Index(
                condition=models.Q(
                    ("incoming_text__isnull", False),
                    ("incoming_question__isnull", False),
                    _connector="OR",
                ),
                fields=["document", "position"],
                name="answer_reimport_waiting",
            ),
        ),
        migrations.AddIndex(
            model_name="answer",
            index=models.Index(
                condition=models.Q(("editor__isnull", True)),
                fields=["document", "position"],
                name="answer_unassigned",
            ),
        ),
    ]

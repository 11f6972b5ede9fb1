"""Review-quality figures as running totals per reviewer (issue 21): each decision adds
itself to its reviewer's ReviewerTotals row and ReviewerTimes bucket, so the dashboard reads
a row per reviewer instead of every decision.

The history before it is filled here by the same derivation the decisions now use
(editorial.storage.review_facts.refill, on this migration's models): every decision not yet
kept in ReviewDecision (the dashboard used to keep them when it was read), then every total
counted from the kept rows. Set-based, a few statements whatever the history.

Numbered 0019 while another migration may land on main: renumber if one takes 0019 first.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from editorial.storage.review_facts import refill


def fill(apps, schema_editor):
    refill(apps=apps, using=schema_editor.connection.alias, recount=True)


class Migration(migrations.Migration):
    dependencies = [
        ("editorial", "0018_home_list_indexes"),
        ("reversion", "0002_add_index_on_version_for_content_type_and_db"),
        ("contenttypes", "0002_remove_content_type_name"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="ReviewerTotals",
            fields=[
                ("reviewer", models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name="+", serialize=False, to=settings.AUTH_USER_MODEL)),
                ("decisions", models.PositiveIntegerField(default=0)),
                ("sent_back", models.PositiveIntegerField(default=0, help_text="Requests for changes.")),
                ("with_warnings", models.PositiveIntegerField(default=0, help_text="Approvals of answers carrying warnings.")),
                ("unchanged", models.PositiveIntegerField(default=0, help_text="Approvals with the question and text as imported.")),
            ],
            options={
                "verbose_name_plural": "reviewer totals",
            },
        ),
        migrations.CreateModel(
            name="ReviewerTimes",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("seconds", models.PositiveIntegerField(help_text="The time, cut to the shown resolution.")),
                ("decisions", models.PositiveIntegerField(default=0)),
                ("reviewer", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="+", to=settings.AUTH_USER_MODEL)),
            ],
            options={
                "verbose_name_plural": "reviewer times",
                "constraints": [models.UniqueConstraint(fields=("reviewer", "seconds"), name="reviewer_time_once")],
            },
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]  # fmt: skip

"""The history written before the chain existed is linked into it, and each approved answer
names its approval (0014).

Set-based and in batches (editorial.storage.chain.seal_existing: the rows of 1,000
revisions read in a few queries, their links inserted together), keyed from SECRET_KEY as
every later link is: run it with the deployment's own settings. Apart from 0014, as 0012
is from 0011: on PostgreSQL the inserts leave deferred foreign-key checks pending, and
0014's triggers could not be created in the same transaction after them.
"""

from django.db import migrations
from django.db.models import OuterRef, Subquery

from editorial.storage.chain import seal_existing


def name_approvals(apps, schema_editor):
    """Until now an answer had one approval row: it is the latest."""
    Answer = apps.get_model("editorial", "Answer")
    ApprovedVersion = apps.get_model("editorial", "ApprovedVersion")
    latest = ApprovedVersion.objects.filter(answer=OuterRef("pk")).order_by("-pk").values("pk")
    Answer.objects.filter(approved__isnull=True).update(approved=Subquery(latest[:1]))


def seal(apps, schema_editor):
    seal_existing(apps, schema_editor.connection.alias)


class Migration(migrations.Migration):
    dependencies = [
        ("editorial", "0014_history_chain"),
    ]

    operations = [
        migrations.RunPython(name_approvals, migrations.RunPython.noop),
        migrations.RunPython(seal, migrations.RunPython.noop),
    ]

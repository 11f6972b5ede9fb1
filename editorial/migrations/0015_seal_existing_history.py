"""The history written before the chain existed is linked into it, and each approved answer
names its approval (0014).

Set-based and in batches (editorial.storage.chain.seal_existing: the rows of 1,000
revisions read in a few queries, their links inserted together), keyed from SECRET_KEY as
every later link is: run it with the deployment's own settings. Apart from 0014, as 0012
is from 0011: on PostgreSQL the inserts leave deferred foreign-key checks pending, and
0014's triggers could not be created in the same transaction after them.
"""

from django.db import migrations
from django.db.models import Max, OuterRef, Subquery

from editorial.storage.chain import seal_existing


def name_approvals(apps, schema_editor):
    """Until now an answer had one approval row at most: it is the latest. One statement,
    over the approved answers only, each found through the index of approvals by answer
    (ORDER BY id DESC LIMIT 1 let PostgreSQL walk every approval for each answer: 200,000
    answers took over ten minutes)."""
    Answer = apps.get_model("editorial", "Answer")
    ApprovedVersion = apps.get_model("editorial", "ApprovedVersion")
    latest = (
        ApprovedVersion.objects.filter(answer=OuterRef("pk"))
        .values("answer")
        .annotate(latest=Max("pk"))
        .values("latest")
    )
    Answer.objects.filter(pk__in=ApprovedVersion.objects.values("answer")).update(
        approved=Subquery(latest)
    )


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

"""Source URLs normalised on entry (editorial.models.web_urls): the field, and the links
already stored made valid URIs the same way (a raw quote or space percent-encoded).

Approved versions keep the links they pinned (they are append-only and sealed in the
history chain); exports pass those through the same normalise_web_url.
"""

from django.db import migrations

import editorial.models.web_urls

MAX_LENGTH = 2000


def normalise_stored(apps, schema_editor):
    Source = apps.get_model("editorial", "Source")
    rows = Source.objects.using(schema_editor.connection.alias).order_by("pk")
    for pk, url in rows.values_list("pk", "url").iterator(chunk_size=2000):
        normalised = editorial.models.web_urls.normalise_web_url(url)
        if normalised != url and len(normalised) <= MAX_LENGTH:
            rows.filter(pk=pk).update(url=normalised)


class Migration(migrations.Migration):
    dependencies = [
        ("editorial", "0023_webhooks"),
    ]

    operations = [
        migrations.AlterField(
            model_name="source",
            name="url",
            field=editorial.models.web_urls.WebURLField(max_length=MAX_LENGTH, verbose_name="URL"),
        ),
        migrations.RunPython(normalise_stored, migrations.RunPython.noop, elidable=True),
    ]

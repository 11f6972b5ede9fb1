"""Documents imported without a detected subject went by their file name, often a machine's
("000_45b9d17f8c940ceb.txt"): give them the title an import now derives (the file name a
person wrote, else the first question). Documents with a title or a subject keep theirs."""

from types import SimpleNamespace

from django.db import migrations


def derive_titles(apps, schema_editor):
    from editorial.importers.subjects import derive_title

    Document = apps.get_model("editorial", "Document")
    Answer = apps.get_model("editorial", "Answer")
    for document in Document.objects.filter(title="", subject=""):
        first = Answer.objects.filter(document=document).order_by("position").first()
        items = [SimpleNamespace(question=first.question)] if first else []
        title = derive_title(document.name, "", items)
        if title:
            Document.objects.filter(pk=document.pk).update(title=title)


class Migration(migrations.Migration):
    dependencies = [("editorial", "0015_seal_existing_history")]

    operations = [migrations.RunPython(derive_titles, migrations.RunPython.noop, elidable=True)]

"""Approvals made before review-by dates and provenance existed get both.

Apart from 0011: on PostgreSQL the updates leave deferred foreign-key checks pending,
and 0011's new index cannot be built in the same transaction after them.
"""

import datetime

from django.conf import settings
from django.db import migrations
from django.db.models import Exists, OuterRef

IPTC = "http://cv.iptc.org/newscodes/digitalsourcetype/"


def pin_existing_approvals(apps, schema_editor):
    """Approvals made before review-by dates existed hold for the site default from their
    day; their source type is read from the texts (editors and notes stay unknown: empty).

    A few set-based updates, not one per approval: 200,000 saves took over 20 minutes.
    """
    ApprovedVersion = apps.get_model("editorial", "ApprovedVersion")
    Answer = apps.get_model("editorial", "Answer")
    days = datetime.timedelta(days=settings.EDITORIAL_REVIEW_INTERVAL_DAYS)
    pins = ApprovedVersion.objects.filter(review_by__isnull=True)
    unchanged = Exists(
        Answer.objects.filter(
            pk=OuterRef("answer_id"),
            imported_question=OuterRef("question"),
            imported_text=OuterRef("text"),
        )
    )
    for made, condition in (
        ("trainedAlgorithmicMedia", unchanged),
        ("compositeWithTrainedAlgorithmicMedia", ~unchanged),
    ):
        pins.filter(condition).update(provenance={"digital_source_type": IPTC + made})
    # One update per day approvals were made on (the day in the site's time zone).
    for moment in pins.datetimes("approved_at", "day"):
        day = moment.date()
        pins.filter(approved_at__date=day).update(review_by=day + days)


class Migration(migrations.Migration):
    dependencies = [
        ("editorial", "0011_review_by_provenance"),
    ]

    operations = [
        migrations.RunPython(pin_existing_approvals, migrations.RunPython.noop),
    ]

"""Score the claim finder on the labelled corpus in tests/data/claims/.

    python manage.py score_claims              # the tuned part: seeds and written answers
    python manage.py score_claims --held-out   # the part never tuned on

Prints precision and recall overall and per kind, then every miss and every false positive.
How a found claim matches a label is said in editorial/flags/claims/score.py.
"""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from editorial.flags.claims import score

CORPUS = Path(settings.BASE_DIR) / "tests" / "data" / "claims"


class Command(BaseCommand):
    help = (
        "Score the claim finder on the labelled corpus: precision and recall overall and per "
        "kind, every miss and false positive."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--held-out", action="store_true", help="score the held-out part instead"
        )
        parser.add_argument("--corpus", default=str(CORPUS), help="the corpus folder")

    def handle(self, *args, **options):
        files = score.HELD_OUT if options["held_out"] else score.TUNED
        try:
            entries = score.load(Path(options["corpus"]), files)
        except (OSError, ValueError) as error:
            raise CommandError(f"Cannot read the corpus: {error}") from None
        result = score.score(entries)
        labelled = sum(result.labelled.values())
        self.stdout.write(
            f"{', '.join(files)}: {len(entries)} answers, {labelled} labelled claims\n"
        )
        for line in result.table():
            self.stdout.write(line)
        self.stdout.write(f"\nMisses ({len(result.misses)}):")
        for answer, kind, text in result.misses:
            self.stdout.write(f"  {answer}  {kind:<12}  {text}")
        self.stdout.write(f"\nFalse positives ({len(result.false_positives)}):")
        for answer, kind, text in result.false_positives:
            self.stdout.write(f"  {answer}  {kind:<12}  {text}")

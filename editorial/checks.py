"""Django system checks for the EDITORIAL_* settings (config/settings.py, .env.example).

A wrong value is a sentence with an id when the site starts (`manage.py check`, `runserver`,
`migrate`), not a traceback in the middle of an approval or an import. Registered by
`EditorialConfig.ready`.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register

# Ceilings past which a value is most likely a slip (a warning, not an error: a site that ran
# with it before still starts). The import page reads each uploaded file into memory whole:
# a gigabyte is past anything a person uploads on purpose.
MAX_UPLOAD_MB = 1024
# Ten million characters: the default file limit's worth in one answer, where no answer is.
MAX_FIELD_CHARS = 10_000_000
# Ten years: longer is no interval a person means (days typed for hours, say).
MAX_DAYS = 3650


@dataclass(frozen=True)
class _Switch:
    """A setting that is on or off."""

    name: str
    id: str
    decides: str


@dataclass(frozen=True)
class _Number:
    """A setting that is a whole number of at least `least`; above `most`, likely a slip."""

    name: str
    id: str
    least: int
    most: int
    unit: str
    decides: str


SWITCHES = (
    _Switch(
        "EDITORIAL_REQUIRE_SOURCE_FOR_APPROVAL",
        "editorial.E001",
        "whether an answer needs a source to be approved",
    ),
    _Switch(
        "EDITORIAL_SUPERUSER_BYPASSES_FOUR_EYES",
        "editorial.E002",
        "whether a superuser may approve an answer they edited",
    ),
    _Switch(
        "EDITORIAL_APPROVAL_NEEDS_SETTLED_CLAIMS",
        "editorial.E003",
        "whether every claim of an answer must be settled before approval",
    ),
    _Switch(
        "EDITORIAL_FLUSH_ERASES_HISTORY",
        "editorial.E004",
        "whether `manage.py flush` may empty the permanent history; on only for tests",
    ),
    _Switch(
        "EDITORIAL_WEBHOOKS_ALLOW_PRIVATE",
        "editorial.E020",
        "whether webhooks may be sent to private addresses (127.0.0.1, the local network); "
        "on only for development and tests",
    ),
)
FILE_MB = _Number(
    "EDITORIAL_IMPORT_MAX_FILE_MB",
    "editorial.E005",
    1,
    MAX_UPLOAD_MB,
    "MB",
    "the largest file the import page takes",
)
UPLOAD_MB = _Number(
    "EDITORIAL_IMPORT_MAX_UPLOAD_MB",
    "editorial.E006",
    1,
    MAX_UPLOAD_MB,
    "MB",
    "the most the import page takes in one upload, all files together",
)
NUMBERS = (
    FILE_MB,
    UPLOAD_MB,
    _Number(
        "EDITORIAL_IMPORT_MAX_FIELD_CHARS",
        "editorial.E012",
        1,
        MAX_FIELD_CHARS,
        "characters",
        "the longest question or answer an imported file may hold, in every format",
    ),
    _Number(
        "EDITORIAL_REVIEW_INTERVAL_DAYS",
        "editorial.E007",
        1,
        MAX_DAYS,
        "days",
        "how long an approval holds before the answer is due for re-review",
    ),
    _Number(
        "EDITORIAL_SOURCE_STALE_DAYS",
        "editorial.E008",
        1,
        MAX_DAYS,
        "days",
        "how long after it was read a source is flagged as stale",
    ),
)
# A file limit above the upload limit: the smaller one is what people meet.
FILE_OVER_UPLOAD = "editorial.W009"
# A database backend that does not seal the history chain before commits.
UNSEALED_BACKEND = "editorial.E010"
# The service's PostgreSQL role could change or delete history.
HISTORY_IN_REACH = "editorial.W011"
# The backends that seal the history chain (editorial.storage.backends).
SEALING_BACKENDS = ("editorial.storage.backends.postgresql", "editorial.storage.backends.sqlite3")

# A PEM file of further CAs webhooks to https:// receivers trust (editorial.webhooks.
# addresses): named but unreadable, every https delivery would fail, so it is said at start.
CA_BUNDLE = "EDITORIAL_WEBHOOKS_CA_BUNDLE"
CA_BUNDLE_UNREADABLE = "editorial.E021"

_UNSET = object()


@register("editorial")
def check_settings(app_configs=None, **kwargs) -> list[CheckMessage]:
    """Each EDITORIAL_* setting set, of its type and in its range; a file fits an upload."""
    errors = [error for switch in SWITCHES if (error := _check_switch(switch))]
    errors += [error for number in NUMBERS if (error := _check_number(number))]
    # A size that is itself wrong or unlikely is reported alone, not compared as well.
    if not {error.id[-3:] for error in errors} & {FILE_MB.id[-3:], UPLOAD_MB.id[-3:]}:
        errors += _check_file_fits_upload()
    errors += _check_ca_bundle()
    return errors


def _check_ca_bundle() -> list[CheckMessage]:
    value = getattr(settings, CA_BUNDLE, _UNSET)
    if value == "":
        return []  # the usual case: the system's CAs alone
    hint = (
        f"Set {CA_BUNDLE} to the path of a PEM file of CA certificates that webhook receivers' "
        "certificates are verified against besides the system's, or to nothing."
    )
    if not isinstance(value, str):
        return [Error(f"{_what(CA_BUNDLE, value)}; it must be a path.", hint=hint,
                      id=CA_BUNDLE_UNREADABLE)]  # fmt: skip
    try:
        ssl.create_default_context().load_verify_locations(cafile=value)
    except (OSError, ssl.SSLError) as error:
        return [
            Error(
                f"{CA_BUNDLE} is {value!r}, which could not be read as PEM certificates "
                f"({error}): every webhook to an https:// URL would fail.",
                hint=hint,
                id=CA_BUNDLE_UNREADABLE,
            )
        ]
    return []


def _check_switch(switch: _Switch) -> Error | None:
    value = getattr(settings, switch.name, _UNSET)
    if isinstance(value, bool):
        return None
    return Error(
        f"{_what(switch.name, value)}; it must be True or False.",
        hint=f"Set {switch.name} to 1 or 0 in the environment or .env: it decides "
        f"{switch.decides}.",
        id=switch.id,
    )


def _check_number(number: _Number) -> CheckMessage | None:
    value = getattr(settings, number.name, _UNSET)
    whole = isinstance(value, int) and not isinstance(value, bool)
    hint = (
        f"Set {number.name} in the environment or .env to {number.decides}, in "
        f"{number.unit} ({number.least} to {number.most})."
    )
    if not whole or value < number.least:
        return Error(
            f"{_what(number.name, value)}; it must be a whole number of {number.unit} from "
            f"{number.least} to {number.most}.",
            hint=hint,
            id=number.id,
        )
    if value > number.most:
        return Warning(
            f"{_what(number.name, value)}: more than {number.most} {number.unit} is most "
            "likely a slip.",
            hint=hint,
            id=number.id.replace(".E", ".W"),
        )
    return None


def _what(name: str, value: object) -> str:
    return f"{name} is not set" if value is _UNSET else f"{name} is {value!r}"


def _check_file_fits_upload() -> list[CheckMessage]:
    file_mb, upload_mb = getattr(settings, FILE_MB.name), getattr(settings, UPLOAD_MB.name)
    if file_mb <= upload_mb:
        return []
    return [
        Warning(
            f"{FILE_MB.name} ({file_mb} MB) is larger than {UPLOAD_MB.name} ({upload_mb} MB): "
            "no upload could hold a file of the largest size allowed.",
            hint=f"Set {FILE_MB.name} no larger than {UPLOAD_MB.name} in the environment or .env.",
            id=FILE_OVER_UPLOAD,
        )
    ]


@register("editorial")
def check_database_backend(app_configs=None, **kwargs) -> list[CheckMessage]:
    """Each database is opened by a backend that seals the history chain as it commits."""
    return backend_errors(settings.DATABASES)


def backend_errors(databases: dict) -> list[CheckMessage]:
    return [
        Error(
            f"DATABASES[{alias!r}] uses {database['ENGINE']}, which does not seal the history's "
            "hash chain when a transaction commits: history written through it would not "
            "verify.",
            hint="Use editorial.storage.backends.postgresql or ….sqlite3 (config/settings.py "
            "picks them for DATABASE_URL's postgres:// and sqlite:// URLs).",
            id=UNSEALED_BACKEND,
        )
        for alias, database in databases.items()
        if database["ENGINE"] not in SEALING_BACKENDS
    ]


@register(Tags.database, deploy=True)
def check_service_role(app_configs=None, databases=None, **kwargs) -> list[CheckMessage]:
    """PostgreSQL: the service does not connect as a role that could rewrite history."""
    from django.db import DatabaseError

    from editorial.storage.roles import service_role_problem

    messages = []
    for alias in databases or ():
        try:
            problem = service_role_problem(alias)
        except DatabaseError:
            continue  # no database to ask yet: nothing to say
        if problem:
            messages.append(
                Warning(
                    f"The service {problem}: it could change or delete history (which "
                    "verify_history would show, but not prevent).",
                    hint="Make an owner and a service role with `manage.py create_db_roles`, "
                    "then set DATABASE_MIGRATE_URL to the owner's URL and DATABASE_URL to the "
                    "service's (README: History that cannot be erased).",
                    id=HISTORY_IN_REACH,
                )
            )
    return messages

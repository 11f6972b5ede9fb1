"""Django system checks of the EDITORIAL_* settings: each wrong value gives its id, with a
message and a hint that name the setting; right values give none."""

import ssl

import pytest
from django.conf import settings as django_settings
from django.core.checks import WARNING, run_checks
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from editorial import checks

SWITCHES = {switch.name: switch.id for switch in checks.SWITCHES}
NUMBERS = {number.name: number for number in checks.NUMBERS}


def editorial_errors() -> list:
    return run_checks(tags=["editorial"])


def test_every_editorial_setting_is_checked_once_with_an_id_of_its_own():
    named = {name for name in dir(django_settings) if name.startswith("EDITORIAL_")}
    assert named == SWITCHES.keys() | NUMBERS.keys() | {checks.CA_BUNDLE}
    assert checks.CA_BUNDLE_UNREADABLE == "editorial.E021"
    ids = [*SWITCHES.values(), *(number.id for number in NUMBERS.values())]
    assert len(set(ids)) == len(ids) == 10
    assert all(id_.startswith("editorial.E") for id_ in ids)
    assert checks.FILE_OVER_UPLOAD == "editorial.W009"


def test_the_settings_as_shipped_pass():
    assert editorial_errors() == []
    call_command("check")  # raises SystemCheckError on any error


@pytest.mark.parametrize("name", sorted(SWITCHES))
@pytest.mark.parametrize("value", [True, False])
def test_a_switch_on_or_off_passes(settings, name, value):
    setattr(settings, name, value)
    assert editorial_errors() == []


@pytest.mark.parametrize("name", sorted(SWITCHES))
@pytest.mark.parametrize("value", ["yes", "0", 1, 0, None])
def test_a_switch_that_is_not_true_or_false_is_an_error(settings, name, value):
    setattr(settings, name, value)
    [error] = editorial_errors()
    assert error.id == SWITCHES[name]
    assert error.msg == f"{name} is {value!r}; it must be True or False."
    assert f"Set {name} to 1 or 0" in error.hint


@pytest.mark.parametrize("name", sorted(SWITCHES) + sorted(NUMBERS))
def test_a_setting_left_out_is_an_error(settings, name):
    delattr(settings, name)
    [error] = editorial_errors()
    assert error.id == (SWITCHES[name] if name in SWITCHES else NUMBERS[name].id)
    assert error.msg.startswith(f"{name} is not set; it must be ")
    assert name in error.hint


@pytest.mark.parametrize("name", sorted(NUMBERS))
def test_numbers_at_either_end_of_their_range_pass(settings, name):
    # Both sizes at once, so the file limit stays within the upload limit.
    for bound in ("least", "most"):
        value = getattr(NUMBERS[name], bound)
        setattr(settings, name, value)
        if name in {checks.FILE_MB.name, checks.UPLOAD_MB.name}:
            settings.EDITORIAL_IMPORT_MAX_FILE_MB = settings.EDITORIAL_IMPORT_MAX_UPLOAD_MB = value
        assert editorial_errors() == []


@pytest.mark.parametrize("name", sorted(NUMBERS))
@pytest.mark.parametrize("wrong", ["zero", "negative", "text", "fraction", "bool"])
def test_a_number_out_of_range_or_not_whole_is_an_error(settings, name, wrong):
    number = NUMBERS[name]
    value = {
        "zero": 0,
        "negative": -5,
        "text": "10",
        "fraction": 10.5,
        "bool": True,
    }[wrong]
    setattr(settings, name, value)
    [error] = editorial_errors()
    assert error.id == number.id
    assert error.msg == (
        f"{name} is {value!r}; it must be a whole number of {number.unit} from "
        f"{number.least} to {number.most}."
    )
    assert error.hint.startswith(f"Set {name} in the environment or .env to ")


@pytest.mark.parametrize("name", sorted(NUMBERS))
def test_a_number_past_its_ceiling_is_a_warning_that_lets_the_site_start(settings, name):
    number = NUMBERS[name]
    value = number.most + 1
    setattr(settings, name, value)
    [warning] = editorial_errors()
    assert (warning.id, warning.level) == (number.id.replace(".E", ".W"), WARNING)
    assert warning.msg == (
        f"{name} is {value!r}: more than {number.most} {number.unit} is most likely a slip."
    )
    assert warning.hint.startswith(f"Set {name} in the environment or .env to ")
    call_command("check")  # a warning: the site still starts


def test_the_ranges_are_the_ones_documented():
    assert [(n.name, n.least, n.most, n.unit) for n in checks.NUMBERS] == [
        ("EDITORIAL_IMPORT_MAX_FILE_MB", 1, 1024, "MB"),
        ("EDITORIAL_IMPORT_MAX_UPLOAD_MB", 1, 1024, "MB"),
        ("EDITORIAL_IMPORT_MAX_FIELD_CHARS", 1, 10_000_000, "characters"),
        ("EDITORIAL_REVIEW_INTERVAL_DAYS", 1, 3650, "days"),
        ("EDITORIAL_SOURCE_STALE_DAYS", 1, 3650, "days"),
    ]


def test_a_file_larger_than_the_upload_that_holds_it_is_a_warning(settings):
    settings.EDITORIAL_IMPORT_MAX_FILE_MB = 60
    settings.EDITORIAL_IMPORT_MAX_UPLOAD_MB = 50
    [error] = editorial_errors()
    assert (error.id, error.level) == ("editorial.W009", WARNING)
    assert error.msg == (
        "EDITORIAL_IMPORT_MAX_FILE_MB (60 MB) is larger than EDITORIAL_IMPORT_MAX_UPLOAD_MB "
        "(50 MB): no upload could hold a file of the largest size allowed."
    )
    assert "EDITORIAL_IMPORT_MAX_FILE_MB no larger than EDITORIAL_IMPORT_MAX_UPLOAD_MB" in (
        error.hint
    )
    settings.EDITORIAL_IMPORT_MAX_FILE_MB = 50
    assert editorial_errors() == []
    # A size that is itself wrong is reported alone, not compared as well.
    settings.EDITORIAL_IMPORT_MAX_UPLOAD_MB = 0
    assert [error.id for error in editorial_errors()] == ["editorial.E006"]


def test_every_wrong_setting_is_reported_at_once(settings):
    settings.EDITORIAL_REQUIRE_SOURCE_FOR_APPROVAL = "no"
    settings.EDITORIAL_REVIEW_INTERVAL_DAYS = 0
    settings.EDITORIAL_SOURCE_STALE_DAYS = 100_000
    assert [error.id for error in editorial_errors()] == [
        "editorial.E001",
        "editorial.E007",
        "editorial.W008",
    ]


def test_manage_py_check_runs_them(settings):
    """Registered when the app is ready, so `check`, `runserver` and `migrate` refuse too."""
    settings.EDITORIAL_SOURCE_STALE_DAYS = 0
    with pytest.raises(SystemCheckError, match=r"\(editorial\.E008\) EDITORIAL_SOURCE_STALE_DAYS"):
        call_command("check")
    assert [error.id for error in run_checks()] == ["editorial.E008"]


def test_a_database_backend_that_does_not_seal_the_history_is_an_error():
    (error,) = checks.backend_errors({"default": {"ENGINE": "django.db.backends.sqlite3"}})
    assert error.id == checks.UNSEALED_BACKEND == "editorial.E010"
    assert "does not seal the history's hash chain" in error.msg
    assert "editorial.storage.backends" in error.hint


def test_the_shipped_backends_seal_the_history():
    assert checks.check_database_backend() == []


@pytest.mark.django_db
def test_a_service_that_could_rewrite_history_is_warned_about_on_postgresql():
    """The suite connects to PostgreSQL as a superuser: just what the check is for. Asked
    only with --database (Django's database checks), as `dev.py serve` asks."""
    from django.db import connection

    found = checks.check_service_role(databases=["default"])
    if connection.vendor != "postgresql":
        assert found == []
        return
    (warning,) = found
    assert warning.id == checks.HISTORY_IN_REACH == "editorial.W011"
    assert "a superuser" in warning.msg and "create_db_roles" in warning.hint
    assert checks.check_service_role(databases=None) == []


def test_a_ca_bundle_that_cannot_be_read_is_an_error(settings, tmp_path):
    settings.EDITORIAL_WEBHOOKS_CA_BUNDLE = str(tmp_path / "missing.pem")
    [error] = editorial_errors()
    assert error.id == "editorial.E021"
    assert error.msg.startswith(
        f"EDITORIAL_WEBHOOKS_CA_BUNDLE is '{tmp_path / 'missing.pem'}', which could not be read"
    )
    assert "every webhook to an https:// URL would fail" in error.msg
    not_pem = tmp_path / "notes.txt"
    not_pem.write_text("not a certificate\n")
    settings.EDITORIAL_WEBHOOKS_CA_BUNDLE = str(not_pem)
    assert [error.id for error in editorial_errors()] == ["editorial.E021"]
    settings.EDITORIAL_WEBHOOKS_CA_BUNDLE = None
    assert [error.id for error in editorial_errors()] == ["editorial.E021"]


def test_no_ca_bundle_or_a_readable_one_passes(settings):
    settings.EDITORIAL_WEBHOOKS_CA_BUNDLE = ""
    assert editorial_errors() == []
    system = ssl.get_default_verify_paths().cafile
    if system is None:
        pytest.skip("no system CA file to read as a bundle")
    settings.EDITORIAL_WEBHOOKS_CA_BUNDLE = system
    assert editorial_errors() == []

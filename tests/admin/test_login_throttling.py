"""Sign-ins are throttled (django-axes): five wrong passwords lock a username at one address.

Before: 50 wrong passwords in a row each got the login page again (200) and the right one
worked straight after. Now the sixth try is refused with a page that says why and until
when, whatever the password; other people at the same address, and the same person
elsewhere, sign in as usual; the lock ends after the cool-off or when someone allowed to
unlocks it in the admin.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.models import Permission

pytestmark = pytest.mark.django_db

LOGIN = "/admin/login/"
ATTEMPTS = "/admin/axes/accessattempt/"
OFFICE, HOME = "192.0.2.10", "198.51.100.7"


def sign_in(client, username: str, password: str, address: str = OFFICE):
    return client.post(
        LOGIN,
        {"username": username, "password": password, "next": "/admin/"},
        REMOTE_ADDR=address,
    )


def signed_in(response) -> bool:
    return response.status_code == 302 and response.url == "/admin/"


def lock(client, username: str, address: str = OFFICE) -> None:
    """Five wrong passwords: four get the login form's error, the fifth the locked page."""
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        refused = sign_in(client, username, "wrong password", address)
        assert refused.status_code == 200
        assert "Please enter the correct username and password" in refused.content.decode()
    assert sign_in(client, username, "wrong password", address).status_code == 429


def test_the_defaults_are_five_failures_and_fifteen_minutes():
    assert settings.AXES_FAILURE_LIMIT == 5
    cool_off = settings.AXES_COOLOFF_TIME
    assert cool_off == timedelta(minutes=15)
    assert settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]


def test_five_wrong_passwords_then_the_right_one_is_refused_with_a_page_saying_why(client, editor):
    lock(client, "editor")

    locked = sign_in(client, "editor", "pw")

    assert locked.status_code == 429
    page = " ".join(locked.content.decode().split())
    assert "Too many failed sign-ins" in page
    assert "after 5 wrong passwords in a row for “editor” from this address" in page
    attempt = AccessAttempt.objects.get(username="editor", ip_address=OFFICE)
    until = attempt.attempt_time + timedelta(minutes=15)
    assert f"locked until {until:%H:%M} (UTC), 15 minutes after the last attempt" in page
    assert "The password was not checked" in page
    assert 'id="login-form"' in page  # another person at this address signs in here
    assert "_auth_user_id" not in client.session
    # Trying again while locked does not start the wait again.
    sign_in(client, "editor", "pw")
    assert AccessAttempt.objects.get(pk=attempt.pk).attempt_time == attempt.attempt_time


def test_another_username_at_the_same_address_and_the_same_one_elsewhere_sign_in(
    client, editor, reviewer
):
    lock(client, "editor")

    assert signed_in(sign_in(client, "reviewer", "pw", OFFICE))
    client.logout()
    assert signed_in(sign_in(client, "editor", "pw", HOME))


def test_four_failures_then_the_right_password_starts_again_from_zero(client, editor):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        sign_in(client, "editor", "typo")
    assert signed_in(sign_in(client, "editor", "pw"))
    client.logout()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        sign_in(client, "editor", "typo")
    assert signed_in(sign_in(client, "editor", "pw"))


def test_the_lock_ends_after_the_cool_off(client, editor):
    lock(client, "editor")
    assert sign_in(client, "editor", "pw").status_code == 429

    # Fourteen minutes later: still locked. Sixteen: signs in.
    attempts = AccessAttempt.objects.filter(username="editor", ip_address=OFFICE)
    last = attempts.get().attempt_time
    attempts.update(attempt_time=last - timedelta(minutes=14))
    assert sign_in(client, "editor", "pw").status_code == 429
    attempts.update(attempt_time=last - timedelta(minutes=16))
    assert signed_in(sign_in(client, "editor", "pw"))


def test_the_cool_off_follows_the_setting(client, editor, settings):
    settings.AXES_COOLOFF_TIME = timedelta(minutes=1)
    lock(client, "editor")
    attempts = AccessAttempt.objects.filter(username="editor", ip_address=OFFICE)
    attempts.update(attempt_time=attempts.get().attempt_time - timedelta(minutes=2))
    assert signed_in(sign_in(client, "editor", "pw"))


def test_an_administrator_unlocks_in_the_admin(client, editor, superuser):
    lock(client, "editor")
    attempt = AccessAttempt.objects.get(username="editor")
    client.force_login(superuser)

    listed = client.get(ATTEMPTS)
    assert listed.status_code == 200
    assert "Locked Out" in listed.content.decode()
    unlocked = client.post(
        ATTEMPTS,
        {"action": "delete_selected", "_selected_action": [attempt.pk], "post": "yes"},
    )

    assert unlocked.status_code == 302
    assert not AccessAttempt.objects.exists()
    client.logout()
    assert signed_in(sign_in(client, "editor", "pw"))


def test_unlocking_needs_the_permission(client, editor, managing, outsider):
    lock(client, "editor")
    attempt = AccessAttempt.objects.get(username="editor")
    delete = {"action": "delete_selected", "_selected_action": [attempt.pk], "post": "yes"}

    for person in (managing, outsider):
        client.force_login(person)
        assert client.get(ATTEMPTS).status_code == 403
        assert client.post(ATTEMPTS, delete).status_code == 403
        assert client.post(f"{ATTEMPTS}{attempt.pk}/delete/", {"post": "yes"}).status_code == 403
    assert AccessAttempt.objects.filter(pk=attempt.pk).exists()

    # Given axes' own permissions, a person may.
    outsider.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="axes",
            codename__in=["view_accessattempt", "delete_accessattempt"],
        )
    )
    client.force_login(outsider)
    assert client.post(f"{ATTEMPTS}{attempt.pk}/delete/", {"post": "yes"}).status_code == 302
    assert not AccessAttempt.objects.filter(pk=attempt.pk).exists()


def test_a_hostile_username_is_shown_escaped_on_the_locked_page(client):
    hostile = '<script>alert("x")</script>'
    lock(client, hostile)

    page = sign_in(client, hostile, "anything").content.decode()

    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page

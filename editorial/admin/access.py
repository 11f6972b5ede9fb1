"""Sign-in lockouts in the admin (django-axes): unlocking is deleting the attempt.

axes registers its own admin for the attempts; ours is the same less its "Clean up expired
attempts" action, which fails with a server error outside a sign-in (axes 8.3: it reads
`request.axes_attempt_time`, set only while a sign-in is handled) and has nothing to do
anyway: every sign-in already removes attempts past their cool-off. What stays is Django's
"Delete selected access attempts", behind axes' delete permission, the superuser's unless
given.
"""

from __future__ import annotations

from axes.admin import AccessAttemptAdmin
from axes.models import AccessAttempt
from django.contrib import admin

if admin.site.is_registered(AccessAttempt):
    admin.site.unregister(AccessAttempt)


@admin.register(AccessAttempt)
class LockoutAdmin(AccessAttemptAdmin):
    actions = []

"""Work off the request, on Django's tasks framework (the django-tasks backport of
Django 6.0's django.tasks): admin imports and exports as jobs a person follows on a page,
and notification e-mails.

The admin starts work here; a worker (`manage.py db_worker`, on any machine that shares
the database) runs it. Every task is enqueued on commit, so a worker never looks for rows
that a rolled-back request never wrote. Moving to Django 6 is `django_tasks` →
`django.tasks` in the imports; another backend (Celery, RQ) is a TASKS setting.
"""

from editorial.tasks.exports import start_export
from editorial.tasks.imports import start_import
from editorial.tasks.jobs import (
    JobError,
    can_see,
    fail_if_lost,
    recent_jobs,
    request_cancel,
    status,
)
from editorial.tasks.mail import send_later

__all__ = [
    "JobError",
    "can_see",
    "fail_if_lost",
    "recent_jobs",
    "request_cancel",
    "send_later",
    "start_export",
    "start_import",
    "status",
]

"""Settings for the test suite: the development defaults, whatever the shell exports."""

import os

os.environ.setdefault("DEBUG", "1")

from config.settings import *  # noqa: E402, F403

# Hashing with the default PBKDF2 makes every login in the suite slow for no gain.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Transactional tests are separated by a flush, which empties the history too.
EDITORIAL_FLUSH_ERASES_HISTORY = True
# Tasks run when they are enqueued (a step's e-mail is in the outbox once the step has
# committed). The job tests switch to the database backend and run its worker (tests/tasks).
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
# Each test starts with an empty cache of its own process (rate counts of keys whose ids a
# later test's database numbers again must not carry over between runs).
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# The tests' webhook receivers listen on 127.0.0.1.
EDITORIAL_WEBHOOKS_ALLOW_PRIVATE = True

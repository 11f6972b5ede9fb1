"""Settings for Editorial, read from the environment (see .env.example).

SQLite is the embedded default so a new user needs nothing installed;
DATABASE_URL switches to PostgreSQL for a team beyond one machine.
"""

from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONE, SELF

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# ENV_FILE points elsewhere (or to an empty file) when the local .env must not apply.
environ.Env.read_env(env.str("ENV_FILE", default=str(BASE_DIR / ".env")))

DEBUG = env.bool("DEBUG", default=False)

# A missing key must stop a production start rather than fall back to a known value.
SECRET_KEY = (
    env.str("SECRET_KEY")
    if not DEBUG
    else env.str("SECRET_KEY", default="django-insecure-local-development-only")
)
# Keys rotated out: history sealed and backups signed with them still verify.
SECRET_KEY_FALLBACKS = env.list("SECRET_KEY_FALLBACKS", default=[])
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "editorial.apps.EditorialAdminConfig",  # django.contrib.admin, our home page
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "reversion",
    "axes",
    "csp",
    "django_tasks",
    "django_tasks_db",
    "editorial",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Serves the admin's CSS and JS from STATIC_ROOT in production (after collectstatic).
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as axes asks (its system check): it turns a locked-out sign-in into our page.
    "axes.middleware.AxesMiddleware",
]

# Sign-ins are throttled by django-axes: its backend first refuses a locked-out username and
# address before the password is checked; Django's own backend then signs people in.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# A username from one address is locked after AXES_FAILURE_LIMIT wrong passwords in a row, for
# AXES_COOLOFF_MINUTES; the same username from elsewhere, and other usernames from the same
# address, still sign in (a guessing attacker cannot lock the whole office out). Unlock sooner
# in the admin: Axes → Access attempts, delete the attempt (needs axes' delete permission).
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# A person who mistyped and then signed in starts again from zero failures.
AXES_RESET_ON_SUCCESS = True
# A refused attempt while locked does not start the wait again: the page can say until when.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
# The login page again, saying why and until when (editorial.views.locked_out), not axes'
# bare text.
AXES_LOCKOUT_CALLABLE = "editorial.views.locked_out"
# The address is the TCP peer's (REMOTE_ADDR; django-ipware is not installed). Behind a TLS
# proxy every request comes from the proxy, so there a username is locked whatever its address.

ROOT_URLCONF = "config.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

EMBEDDED_DATABASE = BASE_DIR / "var" / "editorial.sqlite3"
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{EMBEDDED_DATABASE}")}
if DATABASES["default"]["NAME"] == str(EMBEDDED_DATABASE):
    # SQLite makes its file but not the folder: a fresh clone's first `manage.py migrate`
    # said only "unable to open database file".
    EMBEDDED_DATABASE.parent.mkdir(exist_ok=True)
# PostgreSQL with two roles (manage.py create_db_roles): the service connects with
# DATABASE_URL as a role that owns nothing and may only read and insert the history;
# migrations run as the tables' owner, DATABASE_MIGRATE_URL, which `dev.py serve` (and anyone
# migrating by hand) picks with EDITORIAL_AS_OWNER=1.
DATABASE_MIGRATE_URL = env.str("DATABASE_MIGRATE_URL", default="")
if env.bool("EDITORIAL_AS_OWNER", default=False) and DATABASE_MIGRATE_URL:
    DATABASES["default"] = env.db("DATABASE_MIGRATE_URL")
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several admin tabs saving at once must wait for the write lock, not fail at once;
    # IMMEDIATE takes that lock when a transaction starts, so a workflow step's
    # check-then-write cannot interleave with another (SQLite has no SELECT … FOR UPDATE).
    options = DATABASES["default"].setdefault("OPTIONS", {})
    options.setdefault("timeout", 20)
    options.setdefault("transaction_mode", "IMMEDIATE")
    # WAL: a long export download reads while editors keep saving. mmap: reads come
    # straight from the OS page cache, not through a small per-connection cache refilled
    # with read() calls on every request (a search of 200,000 answers: 145 → 53 ms). As
    # much of the file as SQLite maps at most (0x7fff0000 unless built otherwise; a larger
    # request is cut to it): at 200,000 answers the file is 1.9 GB, and with 1 GiB mapped,
    # an import's appends, at the file's end, were read with read() calls (100 files into
    # it: 16 alternated pairs, median 0.630 → 0.615 s, system time 0.134 → 0.119 s).
    # An import into 200,000 answers changes pages all over their indexes. cache_size:
    # 64 MiB of pages a connection may keep (SQLite's default, 2 MiB, read them back again
    # and again). wal_autocheckpoint: copy the log into the database every 10,000 pages
    # (40 MiB) instead of every 1,000, so a page changed by several commits is copied once.
    # Both together: 100 files into 200,000 answers at 0.83 of the rate into an empty
    # database (0.5 before), the last checkpoint counted.
    # secure_delete=FAST: deleted content is still zeroed in the pages a write changes, but
    # a page that falls free is not written again just to zero it. Debian builds SQLite
    # with secure_delete on: each merge of the search index rewrote the pages it freed, 9 of
    # the 66 MB that 100 files wrote into 200,000 answers (nothing into an empty database).
    # Other builds default to off, which zeroes nothing; FAST is the same everywhere. The
    # history is never deleted, and the index's freed pages hold what its merges copied on.
    options.setdefault(
        "init_command",
        "PRAGMA journal_mode=WAL; PRAGMA mmap_size=2147418112; PRAGMA cache_size=-65536; "
        "PRAGMA wal_autocheckpoint=10000; PRAGMA secure_delete=FAST;",
    )
# A connection kept a minute by each web worker, checked before reuse. On SQLite too: opening
# one (its PRAGMAs read the database) waits while a worker's import commits and copies its
# log into the file, 58–83 ms of /healthz at each big commit (bench/jobs_bench.py); kept open,
# /healthz stayed under 8 ms through the same import. (runserver's threads don't keep them.)
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
# Django's own backends, sealing the history's hash chain before each commit
# (editorial.storage.backends; system check editorial.E010).
DATABASES["default"]["ENGINE"] = {
    "django.db.backends.sqlite3": "editorial.storage.backends.sqlite3",
    "django.db.backends.postgresql": "editorial.storage.backends.postgresql",
}.get(DATABASES["default"]["ENGINE"], DATABASES["default"]["ENGINE"])

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "var" / "static")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Compressed copies, served with long cache headers by WhiteNoise.
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# Uploads waiting for their import job and finished export files (never served directly:
# the job page's download checks the permission). Several machines need one shared
# storage here: django-storages' S3 backend as STORAGES["default"] (README).
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "var" / "media")

# Imports, exports and e-mail run as tasks (Django's tasks framework, the django-tasks
# backport): the database backend queues them in this database, and `manage.py db_worker`
# runs them, on this machine or any other sharing the database (PostgreSQL). TASKS_BACKEND
# may name another backend (django_tasks.backends.immediate.ImmediateBackend runs each
# task at once, in the process that enqueued it).
TASKS = {
    "default": {
        "BACKEND": env.str("TASKS_BACKEND", default="django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}

# The cache holds what processes must share without a write to the database: the read
# API's rate counts per key (editorial.api.rate). The default is files under
# var/cache, shared by every gunicorn worker and task worker on this machine (gunicorn
# starts several); workers on several machines share it through CACHE_URL=redis://… (or
# dbcache://editorial_cache after `manage.py createcachetable`).
CACHE_DIR = env.path("CACHE_DIR", default=BASE_DIR / "var" / "cache")
CACHES = {"default": env.cache("CACHE_URL", default=f"filecache://{CACHE_DIR}")}

LOGIN_URL = "admin:login"
# Where signing in leads when its next= is refused (another site, say): not Django's
# /accounts/profile/, which is no page here.
LOGIN_REDIRECT_URL = "admin:index"

# Where people open the admin: links in e-mails start here.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="editorial@localhost")

# Production hardening; each can be relaxed from the environment behind a TLS proxy.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
# A load balancer's health check speaks plain HTTP to the app server.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
# A strict Content-Security-Policy (django-csp): scripts, styles, images and fonts only from
# this site, and no inline script, style attribute, plugin, <base> or framing. Django's admin
# (5.2) needs nothing inline: its templates pass data in data-* attributes and set positions
# through the DOM's style properties (CSSOM), which style-src does not govern. Our templates
# follow (JS in editorial/static, loaded with <script src>); the browser suite fails on any
# violation.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    }
}
# Behind a TLS proxy (BEHIND_TLS_PROXY, FORWARDED_ALLOW_IPS), gunicorn believes the proxy's
# X-Forwarded-Proto from the proxy's addresses only and passes the scheme on
# (config/gunicorn.conf.py). Django reads that scheme and never the header itself, which it
# would believe from any client: SECURE_PROXY_SSL_HEADER stays None.
SECURE_PROXY_SSL_HEADER = None

# Editorial rules that a deployment may tune.
EDITORIAL_REQUIRE_SOURCE_FOR_APPROVAL = env.bool(
    "EDITORIAL_REQUIRE_SOURCE_FOR_APPROVAL", default=True
)
EDITORIAL_SUPERUSER_BYPASSES_FOUR_EYES = env.bool(
    "EDITORIAL_SUPERUSER_BYPASSES_FOUR_EYES", default=False
)
# Every claim of the approved text (flags.find_claims) linked, rewritten away or marked.
EDITORIAL_APPROVAL_NEEDS_SETTLED_CLAIMS = env.bool(
    "EDITORIAL_APPROVAL_NEEDS_SETTLED_CLAIMS", default=True
)
# Uploads on the import page: a limit per file and per request, in MB.
EDITORIAL_IMPORT_MAX_FILE_MB = env.int("EDITORIAL_IMPORT_MAX_FILE_MB", default=10)
EDITORIAL_IMPORT_MAX_UPLOAD_MB = env.int("EDITORIAL_IMPORT_MAX_UPLOAD_MB", default=50)
# The longest question or answer an imported file may hold, in characters, in every format.
EDITORIAL_IMPORT_MAX_FIELD_CHARS = env.int("EDITORIAL_IMPORT_MAX_FIELD_CHARS", default=100_000)
# An approval holds for this many days (a document may set its own), then the answer, still
# exported, joins the re-review queue; a source read longer than STALE_DAYS ago is flagged.
EDITORIAL_REVIEW_INTERVAL_DAYS = env.int("EDITORIAL_REVIEW_INTERVAL_DAYS", default=365)
EDITORIAL_SOURCE_STALE_DAYS = env.int("EDITORIAL_SOURCE_STALE_DAYS", default=365)
# The history is permanent (migration 0007); only a test database may be flushed whole.
EDITORIAL_FLUSH_ERASES_HISTORY = env.bool("EDITORIAL_FLUSH_ERASES_HISTORY", default=False)
# Webhooks go to public addresses only (server-side request forgery: editorial.webhooks.
# addresses); on, a development machine may send them to 127.0.0.1 or its own network.
EDITORIAL_WEBHOOKS_ALLOW_PRIVATE = env.bool("EDITORIAL_WEBHOOKS_ALLOW_PRIVATE", default=False)
# Webhooks to https:// URLs always verify the receiver's certificate and host name against
# the system's trusted CAs. A PEM file of further CAs to trust (a company's own CA for its
# internal receivers, or a test's) may be named here; it is added to the system's, never
# replaces them, and nothing turns verification off.
EDITORIAL_WEBHOOKS_CA_BUNDLE = env.str("EDITORIAL_WEBHOOKS_CA_BUNDLE", default="")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="WARNING")},
}

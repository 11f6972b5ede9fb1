import os

from django.core.wsgi import get_wsgi_application
from django.urls import resolve, reverse

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()

# Warm-up before the first request: importing the URLconf (the admin's every page, the
# API's) took 170 ms, which the first request each gunicorn worker served waited for: the
# first /healthz of each worker answered in 200 ms instead of 4 (bench/jobs_bench.py).
# reverse() builds the lookup tables too; resolve() the path a load balancer asks.
resolve(reverse("healthz"))

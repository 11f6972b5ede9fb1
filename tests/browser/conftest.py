"""The browser suite's fixtures (a Chromium, the demo's data and people, axe) shared with
tests/test_browser.py, where they are defined and where a missing browser is reported."""

import os
from pathlib import Path

if Path("/usr/bin/chromium").exists() or os.environ.get("EDITORIAL_BROWSER_TESTS") == "required":
    from tests.test_browser import axe_results, browser, demo, people  # noqa: F401
else:  # tests/test_browser.py says once that the browser tests are skipped, and why
    collect_ignore_glob = ["test_*.py"]

"""The browser suite's fixtures (a Chromium, the demo's data and people, axe) shared with
tests/test_browser.py, where they are defined."""

from tests.test_browser import axe_results, browser, demo, people  # noqa: F401

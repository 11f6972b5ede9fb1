"""Settings for test runs that start pytest directly rather than through dev.py."""

import os

os.environ.setdefault("DEBUG", "1")

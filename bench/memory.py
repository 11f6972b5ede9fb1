"""The memory a benchmark's process itself holds, beside its peak RSS."""

from __future__ import annotations

import threading
import time
from pathlib import Path


class PeakAnonymous(threading.Thread):
    """The largest anonymous resident memory (heap) seen, sampled every 50 ms (Linux).

    Peak RSS also counts the database file's pages that SQLite maps into the process
    (mmap_size), which are the page cache, shared and reclaimable: this is what the
    import itself holds.
    """

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak_kb = 0

    def run(self) -> None:
        status = Path("/proc/self/status")
        while status.exists():
            for line in status.read_text().splitlines():
                if line.startswith("RssAnon:"):
                    self.peak_kb = max(self.peak_kb, int(line.split()[1]))
            time.sleep(0.05)

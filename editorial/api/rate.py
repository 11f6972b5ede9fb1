"""Each key's rate: a fixed window of a minute, counted in the cache every worker shares.

A request is numbered within its key's minute and allowed while its number is within the
key's rate. The numbers come from one count per key and minute in the cache, increased in
one atomic step (Redis, Memcached, the database cache and the local memory cache all
increment at once), where ninja's own throttles read and rewrite a list of timestamps: two
workers at once could both write, and each request copies the list. Several gunicorn
workers need a shared cache (CACHE_URL) to share the count.

Numbers are taken a block at a time: a worker adds a block to the shared count in one step
and hands its numbers out itself, so most requests touch no cache. With the default file
cache a step is an open, a read, a write and a rename: it was most of a 304's time. The
block is a fiftieth of the rate, at most 64: a key of up to 100 requests a minute is
counted one request at a time, exactly as before; above that a worker's refusals can come
early by the numbers other workers hold unspent, at most a fiftieth of the rate each.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from django.core.cache import cache

from editorial.models import ApiKey

BLOCK_SHARE = 50
BLOCK_MAX = 64


def block_for(requests_per_minute: int) -> int:
    """How many numbers a worker takes from the shared count at once, for this rate."""
    return max(1, min(BLOCK_MAX, requests_per_minute // BLOCK_SHARE))


@dataclass
class _Block:
    minute: int
    next: int
    last: int


class KeyRates:
    """This process's blocks of numbers, one per key (its prefix: unique, never reused)."""

    def __init__(self) -> None:
        self._blocks: dict[str, _Block] = {}
        self._lock = threading.Lock()

    def number(self, key: ApiKey) -> int:
        """This request's number in its key's current minute (the first is 1)."""
        minute = int(time.time() // 60)
        with self._lock:
            block = self._blocks.get(key.prefix)
            if block is None or block.minute != minute or block.next > block.last:
                if block is None or block.minute != minute:
                    self._forget_before(minute)
                size = block_for(key.requests_per_minute)
                last = _take(f"editorial-api-rate:{key.pk}:{minute}", size)
                block = self._blocks[key.prefix] = _Block(minute, last - size + 1, last)
            number, block.next = block.next, block.next + 1
        return number

    def allows(self, key: ApiKey) -> bool:
        return self.number(key) <= key.requests_per_minute

    def _forget_before(self, minute: int) -> None:
        for prefix in [p for p, block in self._blocks.items() if block.minute < minute]:
            del self._blocks[prefix]


def _take(counter: str, size: int) -> int:
    """Add `size` to the shared count; the count after (this worker's numbers end there)."""
    cache.add(counter, 0, timeout=120)
    try:
        return cache.incr(counter, size)
    except ValueError:  # evicted between the two calls
        cache.set(counter, size, timeout=120)
        return size


def wait() -> float:
    """Seconds until the next minute's window opens."""
    return 60 - time.time() % 60

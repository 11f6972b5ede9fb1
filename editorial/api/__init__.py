"""The read API under /api/v1/: approved content delivered to downstream systems.

A screen like the admin, on django-ninja: it asks the exporters for records (an API record
is the jsonl export's line for the same answer), the history chain for what changed, and
never decides itself what may leave the system.

- keys: API keys made, revoked and checked (stored hashed, shown once)
- errors: the one refusal type, each a JSON error with a reason
- tokens: opaque, signed cursors and sync tokens
- scope: what a key may read, as filters and a fingerprint
- reading: the answers, documents and sync pages a key may read
- rate: each key's requests a minute, counted in the shared cache
- views: the endpoints, their ETags, rate limit and OpenAPI document (schemas: its shapes)
- urls: mounted at /api/v1/ by config/urls.py
"""

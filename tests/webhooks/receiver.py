"""A real webhook receiver for the tests and the bench: an HTTP server on 127.0.0.1 in a
thread, verifying each request as a consumer would (standardwebhooks.Webhook.verify), and
failing the first `fail_first` requests of each webhook-id, as a flaky consumer does."""

from __future__ import annotations

import json
import ssl
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks import Webhook, WebhookVerificationError


@dataclass
class Received:
    """One request as it arrived, and what the receiver answered."""

    headers: dict[str, str]
    body: bytes
    status: int
    verified: bool
    at: float

    @property
    def webhook_id(self) -> str:
        return self.headers["webhook-id"]

    @property
    def payload(self) -> dict:
        return json.loads(self.body)


@dataclass
class Receiver:
    secret: str | None = None
    fail_first: int = 0
    # Answer every request with this status (after the failures), e.g. 410 or 302.
    status: int = 204
    # Sent with every failure (a 503's "come back in N seconds").
    retry_after: int | None = None
    # Serve HTTPS with this context (its certificate and key loaded) instead of HTTP.
    tls: ssl.SSLContext | None = None
    requests: list[Received] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __enter__(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                headers = {name.lower(): value for name, value in self.headers.items()}
                self.send_response(receiver.answer(headers, body))
                self.send_header("Content-Length", "0")
                if receiver.retry_after is not None:
                    self.send_header("Retry-After", str(receiver.retry_after))
                if receiver.status in (301, 302, 307, 308):
                    self.send_header("Location", "http://127.0.0.1:9/elsewhere")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        if self.tls is not None:
            # Each accepted connection shakes hands first; one the client refuses (an
            # untrusted certificate) is dropped there, and no request is recorded.
            self.server.socket = self.tls.wrap_socket(self.server.socket, server_side=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        scheme = "https" if self.tls is not None else "http"
        return f"{scheme}://{host}:{port}/hooks/editorial?source=test"

    def answer(self, headers: dict[str, str], body: bytes) -> int:
        verified = False
        if self.secret is not None:
            try:
                Webhook(self.secret).verify(body, headers)
                verified = True
            except WebhookVerificationError:
                verified = False
        with self._lock:
            seen = sum(
                1 for r in self.requests if r.headers.get("webhook-id") == headers.get("webhook-id")
            )
            if self.secret is not None and not verified:
                status = 401
            elif seen < self.fail_first:
                status = 500
            else:
                status = self.status
            self.requests.append(Received(headers, body, status, verified, time.time()))
        return status

    @property
    def accepted(self) -> list[Received]:
        """The requests answered 2xx, in the order they arrived."""
        return [r for r in self.requests if 200 <= r.status < 300]

    def accepted_counts(self) -> Counter:
        return Counter(r.webhook_id for r in self.accepted)

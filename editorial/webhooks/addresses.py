"""Where a webhook may be sent: http(s) URLs whose host is a public address.

A webhook URL is typed by a person and then called by the server, which is what
server-side request forgery abuses: a URL naming 127.0.0.1, the cloud's metadata address
(169.254.169.254) or a database on the private network would let whoever registers an
endpoint reach what only the server can. So the host is resolved at each request, every
address it resolves to must be global (not loopback, private, link-local, reserved,
multicast or shared), and the connection is made to the address that was checked, never
resolved again (a DNS answer that changes in between, "DNS rebinding", gains nothing).
TLS still checks the certificate against the host name, and against the system's trusted
CAs plus those of EDITORIAL_WEBHOOKS_CA_BUNDLE (a PEM file, for a private CA): there is no
switch to skip it.

EDITORIAL_WEBHOOKS_ALLOW_PRIVATE lets a development machine or the tests send to
127.0.0.1; a production site leaves it off.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

from editorial.webhooks.errors import WebhookError

SCHEMES = {"http": 80, "https": 443}


@dataclass(frozen=True)
class Target:
    """A URL taken apart for one request: where to connect, and what to ask for."""

    scheme: str
    host: str
    port: int
    path: str
    address: str


def allow_private() -> bool:
    return bool(getattr(settings, "EDITORIAL_WEBHOOKS_ALLOW_PRIVATE", False))


def check_url(url: str) -> None:
    """Refuse, with a sentence, a URL no webhook may have: what a form can tell offline."""
    parts = urlsplit(url)
    if parts.scheme not in SCHEMES:
        raise WebhookError("A webhook URL must start with http:// or https://.")
    if not parts.hostname:
        raise WebhookError("A webhook URL must name a host.")
    if parts.username or parts.password:
        raise WebhookError("A webhook URL may not carry a user name or password.")
    try:
        parts.port  # noqa: B018 - raises on a port out of range
    except ValueError as error:
        raise WebhookError("The port of this URL is not a number from 0 to 65535.") from error
    if allow_private():
        return
    host = parts.hostname
    if host == "localhost" or host.endswith(".localhost"):
        raise WebhookError("A webhook may not be sent to this machine (localhost).")
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        return  # a name: its addresses are checked at each request
    if not literal.is_global:
        raise WebhookError(f"A webhook may not be sent to a private address ({host}).")


def target(url: str) -> Target:
    """Resolve the URL's host now and pick an address it may be sent to, or refuse."""
    check_url(url)
    parts = urlsplit(url)
    port = parts.port or SCHEMES[parts.scheme]
    try:
        found = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        raise WebhookError(f"The host {parts.hostname} was not found ({error}).") from error
    addresses = [info[4][0] for info in found]
    if not allow_private():
        refused = [a for a in addresses if not ipaddress.ip_address(a.split("%")[0]).is_global]
        if refused:
            raise WebhookError(
                f"The host {parts.hostname} resolves to a private address ({refused[0]}); "
                "webhooks are only sent to public addresses."
            )
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return Target(parts.scheme, parts.hostname, port, path, addresses[0])


class _PinnedHTTP(http.client.HTTPConnection):
    """HTTP to the checked address, whatever the name resolves to by now."""

    def __init__(self, target: Target, timeout: float):
        super().__init__(target.host, target.port, timeout=timeout)
        self._address = target.address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


def tls_context() -> ssl.SSLContext:
    """Certificates verified, host names checked: the system's CAs and the bundle's."""
    context = ssl.create_default_context()
    bundle = getattr(settings, "EDITORIAL_WEBHOOKS_CA_BUNDLE", "")
    if bundle:
        try:
            context.load_verify_locations(cafile=bundle)
        except (OSError, ssl.SSLError) as error:
            raise WebhookError(
                f"EDITORIAL_WEBHOOKS_CA_BUNDLE ({bundle}) could not be read as PEM "
                f"certificates: {error}."
            ) from error
    return context


class _PinnedHTTPS(http.client.HTTPSConnection):
    """HTTPS to the checked address; the certificate is checked against the host name."""

    def __init__(self, target: Target, timeout: float):
        super().__init__(target.host, target.port, timeout=timeout, context=tls_context())
        self._address = target.address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def connection(target: Target, *, timeout: float) -> http.client.HTTPConnection:
    """A connection to the target's checked address; http.client follows no redirect."""
    kind = _PinnedHTTPS if target.scheme == "https" else _PinnedHTTP
    return kind(target, timeout)

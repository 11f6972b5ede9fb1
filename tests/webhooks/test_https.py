"""Webhooks to an https:// receiver: a real TLS server on 127.0.0.1 in a thread, its
certificate issued by a test CA made here with the openssl command. The delivery verifies
the certificate and the host name; the test CA is trusted only through the documented
EDITORIAL_WEBHOOKS_CA_BUNDLE, and without it the same receiver is refused."""

from __future__ import annotations

import shutil
import ssl
import subprocess
from pathlib import Path

import pytest
from standardwebhooks import Webhook

from editorial import webhooks
from editorial.models import DeliveryState, Status, WebhookAttempt, WebhookMessage
from tests.conftest import put_in_state

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not shutil.which("openssl"), reason="needs the openssl command"),
]


def openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def issue(directory: Path, name: str, names: str) -> tuple[Path, Path]:
    """A certificate for `names` (a subjectAltName value) signed by the directory's CA."""
    openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", f"{name}.key",
            cwd=directory)  # fmt: skip
    openssl("req", "-new", "-key", f"{name}.key", "-subj", f"/CN={name}", "-out", f"{name}.csr",
            cwd=directory)  # fmt: skip
    (directory / f"{name}.ext").write_text(
        f"subjectAltName = {names}\nbasicConstraints = CA:FALSE\n"
        "keyUsage = digitalSignature\nextendedKeyUsage = serverAuth\n"
    )
    openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-CAcreateserial", "-days", "2", "-extfile", f"{name}.ext", "-out", f"{name}.pem",
            cwd=directory)  # fmt: skip
    return directory / f"{name}.pem", directory / f"{name}.key"


@pytest.fixture(scope="module")
def test_ca(tmp_path_factory) -> Path:
    """A directory holding a CA of the test's own (ca.pem), made fresh for the module."""
    directory = tmp_path_factory.mktemp("tls")
    openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "ca.key",
            cwd=directory)  # fmt: skip
    openssl("req", "-x509", "-new", "-key", "ca.key", "-subj", "/CN=Editorial test CA",
            "-days", "2", "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign", "-out", "ca.pem",
            cwd=directory)  # fmt: skip
    return directory


def server_context(certificate: Path, key: Path) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certificate, key)
    return context


@pytest.fixture
def https_hooked(test_ca, receiving, managing):
    """(receiver, endpoint): an HTTPS receiver whose certificate names `names`."""

    def make(names: str = "IP:127.0.0.1", name: str = "receiver"):
        receiver = receiving(tls=server_context(*issue(test_ca, name, names)))
        endpoint = webhooks.create_endpoint(
            url=receiver.url, events=["answer.approved"], user=managing
        )
        receiver.secret = endpoint.secret
        return receiver, endpoint

    return make


def test_a_signed_webhook_reaches_an_https_receiver_trusting_the_ca_bundle(
    answer, people, https_hooked, test_ca, settings
):
    settings.EDITORIAL_WEBHOOKS_CA_BUNDLE = str(test_ca / "ca.pem")
    receiver, endpoint = https_hooked()
    assert receiver.url.startswith("https://127.0.0.1:")
    put_in_state(answer, Status.APPROVED, people)

    webhooks.deliver_due(now=webhooks.next_due_at())

    (received,) = receiver.requests
    assert received.status == 204 and received.verified  # the receiver's own check
    payload = Webhook(endpoint.secret).verify(received.body, received.headers)
    assert payload["type"] == "answer.approved" and payload["data"]["id"] == answer.pk
    message = WebhookMessage.objects.get()
    assert message.state == DeliveryState.DELIVERED
    assert WebhookAttempt.objects.get().status_code == 204


def test_without_the_bundle_the_self_signed_receiver_is_refused_not_trusted(
    answer, people, https_hooked, settings
):
    settings.EDITORIAL_WEBHOOKS_CA_BUNDLE = ""  # the default: the system's CAs only
    receiver, endpoint = https_hooked()
    put_in_state(answer, Status.APPROVED, people)

    webhooks.deliver_due(now=webhooks.next_due_at())

    assert receiver.requests == []  # the handshake failed: the body was never sent
    (attempt,) = WebhookAttempt.objects.all()
    assert attempt.status_code is None
    assert attempt.error.startswith("SSLCertVerificationError")
    assert "certificate verify failed" in attempt.error
    assert WebhookMessage.objects.get().state == DeliveryState.PENDING  # retried later


def test_a_certificate_for_another_host_is_refused_even_from_a_trusted_ca(
    answer, people, https_hooked, test_ca, settings
):
    settings.EDITORIAL_WEBHOOKS_CA_BUNDLE = str(test_ca / "ca.pem")
    receiver, endpoint = https_hooked(names="DNS:receiver.example.org", name="elsewhere")
    put_in_state(answer, Status.APPROVED, people)

    webhooks.deliver_due(now=webhooks.next_due_at())

    assert receiver.requests == []
    (attempt,) = WebhookAttempt.objects.all()
    assert attempt.error.startswith("SSLCertVerificationError")
    assert "IP address mismatch" in attempt.error


def test_an_unreadable_ca_bundle_is_a_failed_attempt_saying_so(
    answer, people, https_hooked, tmp_path, settings
):
    settings.EDITORIAL_WEBHOOKS_CA_BUNDLE = str(tmp_path / "missing.pem")
    receiver, endpoint = https_hooked()
    put_in_state(answer, Status.APPROVED, people)

    webhooks.deliver_due(now=webhooks.next_due_at())

    assert receiver.requests == []
    (attempt,) = WebhookAttempt.objects.all()
    assert attempt.error.startswith(f"EDITORIAL_WEBHOOKS_CA_BUNDLE ({tmp_path / 'missing.pem'})")

"""Webhook fixtures: a real receiver on 127.0.0.1 and an endpoint registered for it by a
managing editor, through the service the admin calls."""

from __future__ import annotations

import pytest

from editorial import webhooks
from editorial.models import WebhookEvent
from tests.webhooks.receiver import Receiver

ALL_EVENTS = list(WebhookEvent.values)


@pytest.fixture
def receiving():
    """Start receivers (verifying with the endpoint's secret once it is set); all stopped
    at the end."""
    started: list[Receiver] = []

    def start(**options) -> Receiver:
        receiver = Receiver(**options).__enter__()
        started.append(receiver)
        return receiver

    yield start
    for receiver in started:
        receiver.__exit__(None, None, None)


@pytest.fixture
def hooked(receiving, managing):
    """(receiver, endpoint): a receiver failing each event's first two requests, and an
    endpoint subscribed to every event, whose secret the receiver verifies with."""

    def make(fail_first: int = 2, events=ALL_EVENTS, **options):
        receiver = receiving(fail_first=fail_first, **options)
        endpoint = webhooks.create_endpoint(url=receiver.url, events=events, user=managing)
        receiver.secret = endpoint.secret
        return receiver, endpoint

    return make

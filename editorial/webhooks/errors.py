"""The one exception webhooks raise."""


class WebhookError(Exception):
    """A webhook cannot be registered, sent or changed as asked; the message says why."""

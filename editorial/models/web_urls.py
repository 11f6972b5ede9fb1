"""A source's link: a web address anyone can open, stored as a valid URI.

Every way a source is entered (the admin's change form and merge page, the workflow's
edit, revert and merge, a migration of old rows) saves it through `WebURLField`, whose
cleaning percent-encodes what a URI may not hold and refuses anything but http(s). A raw
`"`, a space or a `<` typed into a link used to be stored as typed: such a link is no
URI, and it broke the linked-data exports (an IRI cannot hold them) and Markdown links.
Exports written from approvals pinned before then pass their links through the same
`normalise_web_url`.
"""

from __future__ import annotations

import re

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import models
from w3lib.url import safe_url_string

# The characters RFC 3986 allows in a URI outside an IP-literal host ("[::1]"): a link
# made only of these (with every % starting an escape) is already valid, left as typed.
_URI_CHARACTERS = re.compile(r"[A-Za-z0-9\-._~:/?#@!$&'()*+,;=%]*")
# A % that does not start an escape ("100%") is the character itself: %25.
_BARE_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
_WEB_URL = URLValidator(schemes=["http", "https"])


def normalise_web_url(url: str) -> str:
    """The link as a valid URI: what RFC 3986 does not allow percent-encoded (as UTF-8), a
    non-ASCII host in its IDNA form, surrounding space dropped. Links already valid are
    returned unchanged; normalising twice changes nothing.

    w3lib's safe_url_string (Scrapy's, made for exactly this, following the WHATWG URL
    standard) does the encoding; it leaves a bare % as it is, so that is escaped first.
    """
    url = url.strip()
    if _URI_CHARACTERS.fullmatch(url) and not _BARE_PERCENT.search(url):
        return url
    return safe_url_string(_BARE_PERCENT.sub("%25", url))


def validate_web_url(value: str) -> None:
    """Sources must be readable by anyone: only http and https links."""
    if not value.lower().startswith(("http://", "https://")):
        raise ValidationError("Only http and https links are accepted.", code="scheme")
    _WEB_URL(value)


class WebURLFormField(forms.URLField):
    """A link typed into a form: normalised before it is checked, so a space or a quote is
    encoded rather than refused, and only http(s) is accepted."""

    default_validators = [validate_web_url]

    def __init__(self, *, assume_scheme: str = "https", **kwargs) -> None:
        # A link typed without a scheme is taken as https, as Django 6 will by default.
        super().__init__(assume_scheme=assume_scheme, **kwargs)

    def to_python(self, value):
        value = super().to_python(value)
        return normalise_web_url(value) if value else value


class WebURLField(models.URLField):
    """A source's URL: normalised (normalise_web_url) whenever a model is cleaned, which
    every path that saves a source does, and offered to forms as WebURLFormField."""

    default_validators = [validate_web_url]

    def to_python(self, value):
        value = super().to_python(value)
        return normalise_web_url(value) if isinstance(value, str) and value else value

    def formfield(self, **kwargs):
        return super().formfield(**{"form_class": WebURLFormField, **kwargs})

"""Names people read: a person by their full name, a document by its title with its file
name as a small second line. Usernames and file names are for machines; pages show them
only beside the name they stand for."""

from __future__ import annotations

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from editorial import workflow
from editorial.models import Document

register = template.Library()


@register.filter
def person(user, nobody: str = "—") -> str:
    """A person as pages name them: the full name, else the username; `nobody` for none.
    A name already made (a string) is shown as it is."""
    if user is None or user == "":
        return nobody
    return user if isinstance(user, str) else workflow.display_name(user)


@register.simple_tag(takes_context=True)
def changed_by(context, saver) -> str:
    """The heading of a page left open while the answer was saved: who saved, named (you,
    from another tab, or the newest version's author); "someone else" only if unknown."""
    if not saver:
        who = "Changed by someone else"
    elif saver.pk == context["request"].user.pk:
        who = "Changed by you, in another tab or window,"
    else:
        who = f"Changed by {workflow.display_name(saver)}"
    return f"{who} while you had this page open"


@register.simple_tag
def person_choice(user) -> str:
    """A person in a list to choose from: the full name with the username to tell two
    people of one name apart."""
    name = workflow.display_name(user)
    return name if name == user.get_username() else f"{name} ({user.get_username()})"


@register.simple_tag
def document_name(document: Document) -> SafeString:
    """The document's title, its file name beneath in small type (once, if they are one)."""
    if document.label == document.name:
        return format_html("{}", document.name)
    return format_html('{}<span class="file-name">{}</span>', document.label, document.name)

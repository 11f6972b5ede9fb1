"""The one exception type of the workflow, and its stale-page case."""

from __future__ import annotations


class WorkflowError(Exception):
    """A workflow rule forbids this step; the message says which and why."""


class StaleVersionError(WorkflowError):
    """The page acted on an older version than the one stored: someone saved in between."""

    def __init__(self, *, loaded: int, current: int, message: str = "") -> None:
        self.loaded, self.current = loaded, current
        super().__init__(
            message
            or f"Someone else saved this answer (now version {current}) after you opened "
            f"version {loaded}; nothing was changed. See what changed, then try again."
        )


class ChoiceNeeded(WorkflowError):
    """A merge has passages (or sources) changed on both sides that nobody chose between."""

    def __init__(self, names: list[str]) -> None:
        self.names = names
        count = len(names)
        super().__init__(
            f"{count} passage{'s' if count != 1 else ''} changed on both sides "
            f"{'need' if count != 1 else 'needs'} a choice, yours or theirs; nothing was saved."
        )

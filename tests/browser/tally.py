"""What one person's work costs in a browser: clicks, full page loads and Tab presses.

A full page load is a `load` event of the page (a document fetched and shown); a panel
updated in place by `fetch` is none. Positions are read at 1,366 × 900 with the page
scrolled to the top, as the person first sees it.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Tally:
    page: object
    clicks: int = 0
    loads: int = 0
    tabs: int = 0
    log: list[str] = field(default_factory=list)

    def __post_init__(self):
        self.page.on("load", self._loaded)

    def _loaded(self, page) -> None:
        self.loads += 1
        self.log.append(f"load {page.url}")

    def click(self, locator) -> None:
        """One click by the person (fills, typing and selecting are not clicks)."""
        self.clicks += 1
        self.log.append(f"click {locator}")
        locator.click()

    def tab_to(self, selector: str, most: int = 400) -> int:
        """Tab until the focused element matches `selector`; the presses it took."""
        for pressed in range(1, most + 1):
            self.page.keyboard.press("Tab")
            self.tabs += 1
            if self.page.evaluate("s => document.activeElement.matches(s)", selector):
                return pressed
        raise AssertionError(f"{selector} not reached with Tab in {most} presses")

    def focused(self, selector: str) -> bool:
        return self.page.evaluate("s => document.activeElement.matches(s)", selector)


def top(page, selector: str) -> float:
    """Where an element starts, in px from the top of the page (the page at its top)."""
    return page.evaluate(
        "s => document.querySelector(s).getBoundingClientRect().top + window.scrollY", selector
    )


def in_first_screen(page, selector: str) -> bool:
    """Whether an element is wholly in view without scrolling (a sticky bar counts)."""
    page.evaluate("() => window.scrollTo(0, 0)")
    return page.evaluate(
        """s => { const r = document.querySelector(s).getBoundingClientRect();
                  return r.top >= 0 && r.bottom <= window.innerHeight && r.height > 0; }""",
        selector,
    )


def height(page) -> int:
    return page.evaluate("() => document.documentElement.scrollHeight")

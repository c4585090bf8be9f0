"""Reading a page the way a browser does: parsed HTML, found by CSS selectors, read as its visible text.

A substring check passes on a commented-out form or an attribute's echo; a selector names the element a
person would look at, and fails with how many of them the page really has.
"""

from __future__ import annotations

from bs4 import BeautifulSoup, Tag


def squeeze(text: str) -> str:
    """Text as a reader sees it: runs of whitespace (no-break spaces kept) become one space."""
    return " ".join(text.replace("\u00a0", "\x00").split()).replace("\x00", "\u00a0")


class Page:
    """One HTML document or fragment, e.g. ``Page(response.text).one("form#bid input[name=amount]")``."""

    def __init__(self, html: str) -> None:
        self.html = html
        self.soup = BeautifulSoup(html, "html.parser")

    def root(self) -> Tag:
        """The first element of a fragment (what htmx swaps in)."""
        found = self.soup.find(True)
        assert isinstance(found, Tag), "the document has no element"
        return found

    def all(self, selector: str) -> list[Tag]:
        return list(self.soup.select(selector))

    def one(self, selector: str) -> Tag:
        """The single element the selector matches; fails saying how many there were."""
        found = self.all(selector)
        assert len(found) == 1, f"{selector!r} matches {len(found)} elements, not one"
        return found[0]

    def has(self, selector: str) -> bool:
        return bool(self.all(selector))

    def text(self, selector: str = ":root") -> str:
        """The visible text of the single matching element (the whole document by default)."""
        if selector == ":root":
            return squeeze(self.soup.get_text(" "))
        return squeeze(self.one(selector).get_text(" "))

    def texts(self, selector: str) -> list[str]:
        return [squeeze(tag.get_text(" ")) for tag in self.all(selector)]

    def value(self, selector: str, attribute: str = "value") -> str:
        """An attribute of the single matching element (its ``value`` by default)."""
        found = self.one(selector).get(attribute)
        assert isinstance(found, str), f"{selector!r} has no {attribute}"
        return found

    def csrf_token(self) -> str:
        """The CSRF token of the page's forms (every form carries the same one)."""
        tokens = {str(tag.get("value")) for tag in self.all('input[name="_csrf_token"]')}
        assert len(tokens) == 1, f"the page carries {len(tokens)} distinct CSRF tokens"
        return tokens.pop()

    def field_error(self, field: str) -> str:
        """The inline problem shown next to a form field, or "" when there is none."""
        found = self.all(f"p.field-error#f-{field}-error")
        return squeeze(found[0].get_text()) if found else ""

"""Reading the service's HTML as a user (or a screen reader) would: elements by id, text."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

VOID = {
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "source",
    "track",
    "wbr",
}


@dataclass
class Element:
    tag: str
    attrs: dict[str, str | None]
    text: str = ""
    _parts: list[str] = field(default_factory=list, repr=False)


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.by_id: dict[str, Element] = {}
        self.open: list[Element] = []  # elements whose end tag is still to come
        self.stack: list[str] = []
        self.text: list[str] = []
        self._skip = 0  # inside <script> or <style>

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, dict(attrs))
        if element.attrs.get("id"):
            self.by_id[element.attrs["id"]] = element
        if tag in VOID:
            return
        if tag in {"script", "style"}:
            self._skip += 1
        self.stack.append(tag)
        self.open.append(element)

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID or tag not in self.stack:
            return
        while self.stack:
            closed, element = self.stack.pop(), self.open.pop()
            element.text = " ".join("".join(element._parts).split())
            if closed in {"script", "style"}:
                self._skip -= 1
            if closed == tag:
                break

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        self.text.append(data)
        for element in self.open:
            element._parts.append(data)


def parse(html: str) -> _Collector:
    collector = _Collector()
    collector.feed(html)
    collector.close()
    return collector


def by_id(html: str, element_id: str) -> Element:
    """The element with that id (its text is whitespace-collapsed); KeyError when absent."""
    return parse(html).by_id[element_id]


def has_id(html: str, element_id: str) -> bool:
    return element_id in parse(html).by_id


def visible_text(html: str) -> str:
    """The page's text without tags, scripts or styles, whitespace collapsed."""
    return " ".join("".join(parse(html).text).split())


def has_sentence(text: str) -> bool:
    """True when ``text`` holds a sentence a person can read: several words ending in . ! or ?"""
    return re.search(r"[A-Z][^.!?]*\b\w+\s+\w+\s+\w+[^.!?]*[.!?]", text) is not None

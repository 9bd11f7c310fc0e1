"""What a förbund board member must not meet in the report's text (issue 16 item 6): internal
identifiers outside the method appendix, and the phrasings the hand-read found wrong.

Works on the rendered HTML, as readers get it: headings, prose, table titles, headings and notes.
The method section ("avsnitt-metod") names sources and keys for the evaluator and is left out.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

METHOD_SECTION_ID = "avsnitt-metod"

INTERNAL = [
    (re.compile(r"\b(?:mart|stg|int|dim|raw)_[a-z0-9_]+\b"), "a table name"),
    (re.compile(r"\b\d{8}T\d{6}Z(?:-\d+)?\b"), "a run id"),
    # feed and register names (fk_utbetalningar, insats_ar), column names: all snake_case; the
    # registers named as readers know them (deltagare, insatser) are plain Swedish words
    (re.compile(r"\b[a-z]+(?:_[a-z0-9]+){1,}\b"), "a snake_case identifier (feed, register or column name)"),
]
WRONG = [
    (re.compile(r"\b1 (?:insatser|deltagarna|personer|avslut\b)"), "a singular count with a plural noun"),
    (re.compile(r"\s–\s(?:var|hade|gick|är|av)\b"), "a dash where a figure should stand"),
    (re.compile(r"\bföljbara\b", re.IGNORECASE), "'följbara' (write 'kan följas upp')"),
    (re.compile(r"[A-Za-zåäöÅÄÖ,] <\s?5\b"), "'<5' in running text (write 'färre än 5')"),
]


class _StaffText(HTMLParser):
    """The text of the document outside the method section, one string per element's text run."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.depth_in_method = 0
        self.stack: list[str] = []
        self.skip = 0
        self.parts: list[str] = []
        self.run: list[str] = []  # the text since the last tag (the parser may hand it over in pieces)

    def flush(self):
        text = " ".join("".join(self.run).split())
        if text and not self.skip and not self.depth_in_method:
            self.parts.append(text)
        self.run = []

    def handle_starttag(self, tag, attrs):
        self.flush()
        attrs = dict(attrs)
        if tag in ("style", "script", "head"):
            self.skip += 1
        if self.depth_in_method or attrs.get("id") == METHOD_SECTION_ID:
            self.depth_in_method += 1 if tag == "section" else 0
        self.stack.append(tag)

    def handle_endtag(self, tag):
        self.flush()
        if tag in ("style", "script", "head"):
            self.skip -= 1
        if self.depth_in_method and tag == "section":
            self.depth_in_method -= 1

    def handle_data(self, data):
        self.run.append(data)


def staff_text(html: str) -> str:
    parser = _StaffText()
    parser.feed(html)
    parser.close()
    parser.flush()
    return "\n".join(parser.parts)


def language_problems(html: str) -> list[str]:
    """Each problem with its text, as 'what: …context…'."""
    text = staff_text(html)
    found = []
    for pattern, what in INTERNAL + WRONG:
        for m in pattern.finditer(text):
            found.append(f"{what}: …{text[max(0, m.start() - 40):m.end() + 40]}…".replace("\n", " / "))
    return found

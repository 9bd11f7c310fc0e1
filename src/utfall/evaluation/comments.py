"""The förbund's own comments on its evaluation: `$UTFALL_HOME/comments/<forbund_id>/<year>.md`.

A förbund (or its FoU evaluator) writes a few paragraphs in Markdown; when the file exists the
report gets a section "Förbundets kommentarer" before the method section, in HTML, PDF and
the Excel workbook. The text is the förbund's, so it is treated as input:

- Markdown only, never HTML: raw HTML in the file is shown as text (markdown-it-py with
  `html=False`), links are kept only to http(s) and mailto addresses, images are shown as
  their description (the report loads nothing), headings are moved below the section's own.
- Scanned like every staff output before anything is rendered: a personnummer or
  samordningsnummer, a person_id or a small count of persons ("3 deltagare") stops the
  evaluation with the file and line named (`CommentRefused`); the number is never repeated.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from markdown_it import MarkdownIt

from utfall.ingest import pii
from utfall.db.config import Paths
from utfall.evaluation.report_model import Section
from utfall.ingest.places import checked_forbund_id, inside
from utfall.evaluation.suppression import find_disclosures, resolve_threshold

SECTION_KEY = "forbundets_kommentarer"
SECTION_TITLE = "Förbundets kommentarer"
LINK_SCHEMES = ("http://", "https://", "mailto:")
# A comment is a page or two of prose; a larger file is a mistake (a pasted export, a binary).
MAX_BYTES = 64_000
# The report's own headings are h1 (title), h2 (section); the comment's '#' starts below them.
HEADING_SHIFT = 2


class CommentRefused(ValueError):
    """A comment file that cannot go into a staff report; the message names the file and line."""


@dataclass(frozen=True)
class Block:
    """One block of the comment as plain text, for the Excel sheet: 'heading', 'item' or 'paragraph'."""

    kind: str
    text: str


@dataclass(frozen=True)
class Comments:
    """A förbund's comment file, read and scanned."""

    file: str  # as staff and engineers name it: comments/<forbund_id>/<year>.md
    markdown: str

    def html(self) -> str:
        """Safe HTML: every text escaped, no raw HTML, links only to http(s)/mailto."""
        md = _markdown()
        tokens = md.parse(self.markdown)
        for token in tokens:
            if token.type in ("heading_open", "heading_close"):
                token.tag = f"h{min(int(token.tag[1]) + HEADING_SHIFT, 6)}"
        return md.renderer.render(tokens, md.options, {})

    def blocks(self) -> list[Block]:
        """The comment as plain-text blocks: headings, list items (with their bullet or number)
        and paragraphs, each inline text without its markup, a link's address after its text."""
        out: list[Block] = []
        lists: list[list] = []  # the open lists, innermost last: [ordered, next number]
        heading = new_item = False
        for token in _markdown().parse(self.markdown):
            if token.type in ("bullet_list_open", "ordered_list_open"):
                lists.append([token.type == "ordered_list_open", int(token.attrGet("start") or 1)])
            elif token.type in ("bullet_list_close", "ordered_list_close"):
                lists.pop()
            elif token.type == "list_item_open":
                new_item = True
            elif token.type == "heading_open":
                heading = True
            elif token.type in ("inline", "code_block", "fence"):
                text = _plain(token) if token.type == "inline" else token.content.rstrip("\n")
                if heading:
                    out.append(Block("heading", text))
                elif new_item:  # an item's first paragraph; its later ones are plain paragraphs
                    ordered, number = lists[-1]
                    lists[-1][1] += 1
                    out.append(Block("item", "  " * (len(lists) - 1) + f"{f'{number}.' if ordered else '•'} {text}"))
                else:
                    out.append(Block("paragraph", text))
                heading = new_item = False
        return out


def _plain(token) -> str:
    parts: list[str] = []
    href, start = None, 0
    for child in token.children or []:
        if child.type in ("text", "code_inline", "image"):  # an image: its description
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif child.type == "link_open":
            href, start = str(child.attrGet("href")), len(parts)
        elif child.type == "link_close" and href:
            address = href.removeprefix("mailto:")
            if "".join(parts[start:]).strip() != address:  # the address after its text, once
                parts.append(f" ({address})")
            href = None
    return "".join(parts).strip()


@cache
def _markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    # Anything but a web or mail address stays text: no javascript:, data:, file: or relative link.
    md.validateLink = lambda url: url.strip().lower().startswith(LINK_SCHEMES)

    def image(self, tokens, idx, options, env) -> str:  # its description, nothing fetched
        return html.escape(tokens[idx].content)

    def link_open(self, tokens, idx, options, env) -> str:
        tokens[idx].attrSet("rel", "noreferrer")  # the reader's report is not told to the site
        return self.renderToken(tokens, idx, options, env)

    md.add_render_rule("image", image)
    md.add_render_rule("link_open", link_open)
    return md


def comments_file(paths: Paths, forbund_id: str, year: int) -> Path:
    """$UTFALL_HOME/comments/<forbund_id>/<year>.md (PlaceError for a malformed id)."""
    return inside(paths.home / "comments", checked_forbund_id(forbund_id), f"{int(year)}.md")


def read_comments(paths: Paths, forbund_id: str, year: int, threshold: int | None = None) -> Comments | None:
    """The förbund's comments for the year, scanned; None when it has written none.
    CommentRefused when the file cannot be shown to staff (the file and line named)."""
    path = comments_file(paths, forbund_id, year)
    if not path.is_file():
        return None
    name = str(path.relative_to(paths.home))
    data = path.read_bytes()
    if len(data) > MAX_BYTES:
        raise CommentRefused(f"{name}: {len(data)} bytes, more than the {MAX_BYTES} a comment may hold")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data[:e.start].count(b"\n") + 1
        raise CommentRefused(f"{name}, line {line}: not UTF-8 text; save the file as UTF-8") from None
    check_text(text, name, threshold)
    return Comments(file=name, markdown=text)


def check_text(text: str, name: str, threshold: int | None = None) -> None:
    """The privacy scan of staff text, line by line: CommentRefused at the first finding.
    The message names the file, line and what was found, never the value itself."""
    t = resolve_threshold(threshold)
    for number, line in enumerate(text.splitlines(), start=1):
        if pii.find(line):
            raise CommentRefused(f"{name}, line {number}: a personnummer or samordningsnummer; remove it "
                                 "(the comment goes to förbund staff)")
        for finding in find_disclosures(line, threshold=t):
            what = ("a 64-hex value (a person_id?)" if "64-hex" in finding
                    else f"a count of persons below {t} (hidden in the report's tables)")
            raise CommentRefused(f"{name}, line {number}: {what}; remove it (the comment goes to förbund staff)")


def comments_sections(paths: Paths, forbund_id: str, year: int, threshold: int | None = None) -> list[Section]:
    """The section "Förbundets kommentarer" when the förbund has written comments for the year, else none."""
    comments = read_comments(paths, forbund_id, year, threshold)
    if comments is None:
        return []
    return [Section(SECTION_KEY, SECTION_TITLE,
                    [f"Förbundet har själv skrivit texten nedan till utvärderingen av {year}. Den återges som den "
                     "lämnades; uppgifter i den är förbundets egna och har inte prövats mot tabellerna."],
                    comments=comments)]


def forbund_with_comments(paths: Paths, forbund: list[str], year: int) -> dict[str, Path | None]:
    """For each förbund its comment file for the year, or None."""
    return {f: (p if (p := comments_file(paths, f, year)).is_file() else None) for f in forbund}

"""The evaluation as PDF (utvardering.pdf): WeasyPrint from the very HTML of utvardering.html.

One source for both files, so they cannot disagree. The page set-up lives in the HTML's
print CSS (@page: A4, the förbund and year in the header, "Sida n av m" in the footer;
each main section on a new page), which a browser's print uses too.

Layout that fits: `overflows` walks the laid-out pages (WeasyPrint's boxes, the layout the
PDF is drawn from) and names every box whose right edge passes the page's content box — a
table or chart a reader would find cut off at the paper's edge. The PDF step logs them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass


log = logging.getLogger("utfall.evaluation.render_pdf")

# CSS px (1/96 in): rounding in the layout, far below what a reader could see
TOLERANCE_PX = 0.5


@dataclass(frozen=True)
class Overflow:
    """A box wider than the page: where, what, and by how much (CSS px)."""

    page: int  # 1-based
    tag: str  # the element, e.g. 'table', 'img', 'td'
    where: str  # the nearest table's data-key or element id, for the message
    right: float  # the box's right edge
    limit: float  # the page content box's right edge

    def __str__(self) -> str:
        return f"page {self.page}: <{self.tag}> in {self.where or 'the page'} is {self.right - self.limit:.0f} px too wide"


def render_pdf(html: str) -> bytes:
    """The PDF of a rendered report (the output of `render_html`)."""
    document = _layout(html)
    worst: dict[str, Overflow] = {}
    for problem in overflows(document):  # one line per table or figure, its widest box
        if problem.where not in worst or problem.right - problem.limit > worst[problem.where].right - worst[problem.where].limit:
            worst[problem.where] = problem
    for problem in worst.values():
        log.warning("the PDF does not fit the page: %s", problem)
    return document.write_pdf()


def _layout(html: str):
    # Imported here: WeasyPrint loads Pango at import, which only the PDF step needs.
    from weasyprint import HTML, URLFetcher

    # The HTML is self-contained: data: URIs are all it may load. Anything else is refused
    # rather than fetched (WeasyPrint would otherwise follow http:, file: ...).
    fetcher = URLFetcher(allowed_protocols={"data"})
    return HTML(string=html, base_url=None, url_fetcher=fetcher).render()


def page_count(html: str) -> int:
    """Pages of the PDF the HTML makes (for `make bench`)."""
    return len(_layout(html).pages)


def overflows(document_or_html) -> list[Overflow]:
    """Every box (table, row, cell, image, line of text) that reaches past the page's content box
    on the right, one per element and page. Takes a rendered WeasyPrint document or the HTML."""
    from weasyprint.formatting_structure import boxes

    document = _layout(document_or_html) if isinstance(document_or_html, str) else document_or_html
    found: dict[tuple[int, int], Overflow] = {}
    for number, page in enumerate(document.pages, start=1):
        page_box = page._page_box
        limit = page_box.content_box_x() + page_box.width
        for child in page_box.children:
            if isinstance(child, boxes.MarginBox):  # header and footer live in the margins by design
                continue
            for box in _walk(child, None):
                node, where = box
                right = node.border_box_x() + node.border_width()
                element = getattr(node, "element", None)
                if right > limit + TOLERANCE_PX and element is not None:
                    key = (number, id(element))
                    if key not in found or found[key].right < right:
                        found[key] = Overflow(number, element.tag, where or "", right, limit)
    return list(found.values())


def _walk(box, where: str | None):
    """(box, label of the nearest table or id'd element around it), depth first."""
    from weasyprint.formatting_structure import boxes

    element = getattr(box, "element", None)
    if element is not None and getattr(box, "element_tag", "") in ("table", "img", "figure", "section"):
        where = element.get("data-key") or element.get("id") or where
    yield box, where
    if isinstance(box, boxes.ParentBox):
        for child in box.children:
            if isinstance(child, boxes.Box):
                yield from _walk(child, where)

"""The evaluation as PDF (utvardering.pdf): WeasyPrint from the very HTML of utvardering.html.

One source for both files, so they cannot disagree. The page set-up lives in the HTML's
print CSS (@page: A4, the förbund and year in the header, "Sida n av m" in the footer;
each main section on a new page), which a browser's print uses too.
"""

from __future__ import annotations

from utfall.evaluation.model import Report
from utfall.evaluation.render_html import render_html


def render_pdf(html: str) -> bytes:
    """The PDF of a rendered report (the output of `render_html`)."""
    # Imported here: WeasyPrint loads Pango at import, which only the PDF step needs.
    from weasyprint import HTML, URLFetcher

    # The HTML is self-contained: data: URIs are all it may load. Anything else is refused
    # rather than fetched (WeasyPrint would otherwise follow http:, file: ...).
    fetcher = URLFetcher(allowed_protocols={"data"})
    return HTML(string=html, base_url=None, url_fetcher=fetcher).write_pdf()


def render_report_pdf(report: Report) -> bytes:
    """Convenience: `render_pdf(render_html(report))`; render the HTML once when writing both."""
    return render_pdf(render_html(report))

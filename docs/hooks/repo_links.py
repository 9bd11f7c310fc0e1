"""MkDocs hook: links from a docs page to a repository file outside docs/.

The pages link to source files, seeds and the compose file (`../src/utfall/db/tiers.py`), so they
are clickable where the repository is browsed (a forge, an editor). The built site holds only
docs/, so there such a link is shown as the file's path in code instead, and a link to a path
the repository lacks is a warning: `mkdocs build --strict` fails on it as on any broken link.
"""

from __future__ import annotations

import logging
import posixpath
import re
from pathlib import Path

# Under "mkdocs." so that strict mode counts these warnings.
log = logging.getLogger("mkdocs.hooks.repo_links")

LINK = re.compile(r"(?<!!)\[(?P<text>[^\]]*)\]\((?P<target>\.\./[^)\s#]*)(?P<anchor>#[^)\s]*)?\)")
FENCE = re.compile(r"^\s*(```|~~~)")


def on_page_markdown(markdown, page, config, files):
    docs_dir = Path(config["docs_dir"]).resolve()
    repo = docs_dir.parent
    page_dir = posixpath.dirname(page.file.src_uri)
    lines, in_fence = [], False

    def replace(match: re.Match) -> str:
        target = posixpath.normpath(posixpath.join("docs", page_dir, match["target"]))
        if target.startswith("../") or target.startswith("docs/"):
            return match[0]  # leaves the repository, or stays in docs/: MkDocs judges it
        if not (repo / target).exists():
            log.warning(
                "Doc file '%s' links to '%s', which is not in the repository.",
                page.file.src_uri,
                target,
            )
        text = match["text"]
        # A link whose text is its path reads as the path; any other text gets the path beside it.
        return text if text.strip("`").rstrip("/") == target else f"{text} (`{target}`)"

    for line in markdown.split("\n"):
        if FENCE.match(line):
            in_fence = not in_fence
        lines.append(line if in_fence else LINK.sub(replace, line))
    return "\n".join(lines)

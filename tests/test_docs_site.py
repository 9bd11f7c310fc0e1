"""The documentation: a short README as the front door, the pages in docs/ built as a MkDocs site.

The site is built for real (`mkdocs build --strict`, as `make docs` does), so a broken link or
anchor between pages fails here; the README and the pages are also read as a forge shows them,
where every relative link must reach a file of the repository and an anchor a heading of it."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
README = REPO / "README.md"
DOCS = REPO / "docs"

# Every page of the site, by the readers it is for (the nav of mkdocs.yml).
PAGES = ("setup.md", "loading.md", "privacy.md", "gate.md", "evaluation.md", "operations.md",
         "development.md", "analysts.md", "forbund-staff.md", "deployment.md")

# Every section of the README before it became a front door (1,425 lines on 7 December 2026):
# each lives on as a heading of a docs page, and links to it keep their anchor.
FORMER_README_SECTIONS = {
    "Set-up": "setup.md", "File permissions: one tier per folder": "setup.md",
    "The command line: `utfall`": "setup.md",
    "Feeds and where files go": "loading.md", "Loading: `utfall load`": "loading.md",
    "Corrections, duplicates and snapshots": "loading.md", "Quarantine": "loading.md",
    "Privacy: personnummer never get in": "privacy.md",
    "Suppression: small cells never leave": "privacy.md",
    "Reliability: attacks and faults": "privacy.md",
    "Building the warehouse: `utfall build`": "gate.md", "Data quality and the gate": "gate.md",
    "The warehouse and evaluation levels in detail": "gate.md",
    "The annual evaluation: `utfall evaluate`": "evaluation.md",
    "Airflow": "operations.md", "Alerts": "operations.md", "Performance: `make bench`": "operations.md",
    "For analysts": "analysts.md", "Descriptions in your tools, and `utfall docs`": "analysts.md",
    "Connecting from Python, R and a BI tool": "analysts.md", "The marts": "analysts.md",
    "Socioeconomic calculator: `utfall socioeconomic`": "analysts.md",
    "Deployment (docker-compose)": "deployment.md", "First start, step by step": "deployment.md",
    "Deploying for several förbund": "deployment.md", "Choosing PostgreSQL": "deployment.md",
    "Roles": "deployment.md", "Airflow on PostgreSQL": "deployment.md",
    "The test server": "deployment.md",
    "Development": "development.md",
}

LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")
FENCE = re.compile(r"^\s*(```|~~~)")
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")


def _outside_code(text: str) -> list[str]:
    """The lines of a Markdown text that are not inside a fenced code block."""
    lines, in_fence = [], False
    for line in text.splitlines():
        if FENCE.match(line):
            in_fence = not in_fence
        elif not in_fence:
            lines.append(line)
    return lines


def github_anchors(md: Path) -> set[str]:
    """The anchors a forge (GitHub, Gitea) gives the headings of a Markdown file. mkdocs.yml makes
    the site's the same (toc's slugify_unicode) for headings without runs of spaces or dashes."""
    seen: dict[str, int] = {}
    anchors = set()
    for line in _outside_code(md.read_text(encoding="utf-8")):
        if m := HEADING.match(line):
            text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", m.group(2)).replace("`", "")
            slug = re.sub(r"[^\w\- ]", "", text.strip().lower()).replace(" ", "-")
            n = seen.get(slug, 0)
            seen[slug] = n + 1
            anchors.add(slug if n == 0 else f"{slug}-{n}")
    return anchors


def broken_links(md: Path, repo: Path) -> tuple[list[str], int]:
    """Relative links of `md` that reach no file of `repo`, or no heading of the file they name;
    and how many relative links were checked."""
    broken, checked = [], 0
    for line in _outside_code(md.read_text(encoding="utf-8")):
        for target in LINK.findall(line):
            if re.match(r"[a-z][a-z0-9+.-]*:", target):  # https:, mailto: — not ours to check
                continue
            checked += 1
            path, _, anchor = target.partition("#")
            file = (md.parent / path).resolve() if path else md
            if not file.is_relative_to(repo):
                broken.append(f"{target}: outside the repository (broken in any other clone)")
            elif not file.exists():
                broken.append(f"{target}: no such file")
            elif anchor and file.suffix == ".md" and anchor not in github_anchors(file):
                broken.append(f"{target}: no heading with that anchor in {file.name}")
    return broken, checked


def build_site(config: Path, site: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--config-file",
                           str(config), "--site-dir", str(site)],
                          capture_output=True, text=True, timeout=300)


def test_the_readme_is_a_front_door_of_at_most_150_lines():
    text = README.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 150
    first_block = text.split("```")[1]
    assert "make demo" in first_block and "make test" in first_block, "the two commands come first"
    linked = {Path(t.partition("#")[0]).name for t in LINK.findall(text) if t.startswith("docs/")}
    assert set(PAGES) <= linked, f"pages the README does not point to: {set(PAGES) - linked}"
    assert "mkdocs serve" in text and "make docs" in text


def test_every_relative_link_of_the_readme_and_the_pages_resolves():
    problems, checked = {}, {}
    for md in (README, *sorted(DOCS.glob("*.md"))):
        broken, checked[md.name] = broken_links(md, REPO)
        if broken:
            problems[md.name] = broken
    assert problems == {}
    # the check saw the links (a parser that found none would pass anything)
    assert checked["README.md"] >= 25 and checked["gate.md"] >= 7 and checked["loading.md"] >= 6


def test_the_link_check_finds_a_missing_file_a_missing_anchor_and_a_way_out(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.md").write_text("# A\n\n## Två ord\n", encoding="utf-8")
    page = tmp_path / "README.md"
    page.write_text("[ok](docs/a.md#två-ord) [self](#r) [gone](docs/b.md) [no](docs/a.md#tva-ord)\n"
                    "[out](../x.md) [web](https://example.org/#x)\n\n# R\n\n"
                    "```\n[in code](nowhere.md)\n```\n",
                    encoding="utf-8")
    broken, checked = broken_links(page, tmp_path.resolve())
    assert checked == 5
    assert broken == ["docs/b.md: no such file",
                      "docs/a.md#tva-ord: no heading with that anchor in a.md",
                      "../x.md: outside the repository (broken in any other clone)"]


def test_no_section_of_the_former_readme_is_lost():
    missing = {title: page for title, page in FORMER_README_SECTIONS.items()
               if not any(HEADING.match(line) and HEADING.match(line).group(2) == title
                          for line in _outside_code((DOCS / page).read_text(encoding="utf-8")))}
    assert missing == {}


def test_the_site_builds_strict_with_every_page(tmp_path):
    result = build_site(REPO / "mkdocs.yml", tmp_path / "site")
    assert result.returncode == 0, result.stderr
    built = {p.name for p in (tmp_path / "site").glob("*.html")}
    assert {Path(p).with_suffix(".html").name for p in PAGES} | {"index.html"} <= built
    assert (tmp_path / "site" / "utvardering-sida1.png").exists()
    assert not (tmp_path / "site" / "hooks").exists(), "the build's own hook is no page"
    # a link to a repository file outside docs/ is shown as its path in the site
    setup = (tmp_path / "site" / "setup.html").read_text(encoding="utf-8")
    assert "<code>src/utfall/db/tiers.py</code>" in setup and "../src/utfall/db/tiers.py" not in setup
    analysts = (tmp_path / "site" / "analysts.html").read_text(encoding="utf-8")
    assert "<code>measures.md</code> (<code>dbt/models/docs/measures.md</code>)" in analysts
    # Python-Markdown is stricter than a forge: a list needs a blank line before it, and a fenced
    # block inside a list item is no block; either shows as a paragraph with "- " or "```" in it
    for html in (tmp_path / "site").glob("*.html"):
        for paragraph in re.findall(r"<p>(.*?)</p>", html.read_text(encoding="utf-8"), re.DOTALL):
            assert not re.search(r"\n\s*(- |\d+\. )|<code>`|^`", paragraph), (html.name, paragraph[:200])
    for md in DOCS.glob("*.md"):
        assert not re.search(r"^ +(```|~~~)", md.read_text(encoding="utf-8"), re.MULTILINE), md.name
    # anchors between pages survive the build, with å, ä, ö kept as the forge keeps them
    assert 'href="deployment.html#choosing-postgresql"' in analysts
    assert 'id="deploying-for-several-förbund"' in (tmp_path / "site" / "deployment.html").read_text(
        encoding="utf-8")


@pytest.mark.parametrize("bad_link, named", [
    ("[x](loading.md#no-such-heading)", "no-such-heading"),
    ("[x](no-such-page.md)", "no-such-page.md"),
    ("[x](../src/utfall/no_such_module.py)", "src/utfall/no_such_module.py"),
])
def test_a_broken_link_or_anchor_fails_the_strict_build(tmp_path, bad_link, named):
    # a copy of the repository as far as the build reads it, with one bad link added
    for entry in REPO.iterdir():
        if entry.name not in ("docs", "mkdocs.yml", ".git", ".venv", "data", "site"):
            (tmp_path / entry.name).symlink_to(entry)
    shutil.copytree(DOCS, tmp_path / "docs")
    shutil.copy(REPO / "mkdocs.yml", tmp_path / "mkdocs.yml")
    assert build_site(tmp_path / "mkdocs.yml", tmp_path / "ok").returncode == 0  # the copy is sound
    page = tmp_path / "docs" / "setup.md"
    page.write_text(page.read_text(encoding="utf-8") + f"\nSee {bad_link}.\n", encoding="utf-8")
    result = build_site(tmp_path / "mkdocs.yml", tmp_path / "site")
    assert result.returncode != 0
    assert named in result.stderr
    assert "Aborted with 1 warnings in strict mode" in result.stdout + result.stderr

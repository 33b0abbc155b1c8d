"""The README and docs/ as a reader meets them: every relative link leads somewhere, the README
stays short, and nothing sends a clean clone to a folder it does not have."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
PAGES = [README, *sorted((ROOT / "docs").glob("*.md"))]
README_MAX_LINES = 160

FENCE = re.compile(r"^(```|~~~).*?^\1", re.MULTILINE | re.DOTALL)
INLINE_CODE = re.compile(r"`[^`\n]*`")
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
HEADING = re.compile(r"^#{1,6}\s+(.*?)\s*#*\s*$", re.MULTILINE)


def prose(text: str) -> str:
    """The text outside code blocks and code spans, where a link is a link."""
    return INLINE_CODE.sub("", FENCE.sub("", text))


def links(page: Path) -> list[str]:
    return LINK.findall(prose(page.read_text(encoding="utf-8")))


def anchors(page: Path) -> set[str]:
    """The fragment ids GitHub gives a page's headings: lower case, punctuation dropped,
    spaces as hyphens, a repeated heading numbered from -1."""
    seen: dict[str, int] = {}
    ids = set()
    for heading in HEADING.findall(FENCE.sub("", page.read_text(encoding="utf-8"))):
        slug = re.sub(r"[^\w\- ]", "", heading.replace("`", "").strip().lower()).replace(" ", "-")
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        ids.add(slug if count == 0 else f"{slug}-{count}")
    return ids


def relative(target: str) -> bool:
    return not re.match(r"^[a-z][a-z0-9+.-]*:", target)  # http:, https:, mailto:…


@pytest.mark.parametrize("page", PAGES, ids=lambda page: str(page.relative_to(ROOT)))
def test_every_relative_link_leads_to_a_file_and_heading_that_exist(page: Path):
    broken = []
    for target in filter(relative, links(page)):
        path_part, _, fragment = target.partition("#")
        destination = (page.parent / path_part).resolve() if path_part else page
        if not destination.exists():
            broken.append(f"{target}: no such file")
        elif fragment and destination.suffix == ".md" and fragment not in anchors(destination):
            broken.append(f"{target}: no heading #{fragment} in {destination.name}")
    assert not broken, f"{page.relative_to(ROOT)} has broken links: {broken}"


def test_the_pages_have_links_to_check():
    """The link pattern still matches how the pages write links (a silent zero would pass)."""
    assert "docs/configuration.md" in links(README)
    assert "operating.md#fair-use" in links(ROOT / "docs" / "configuration.md")


def test_the_readme_fits_on_a_few_screens():
    lines = README.read_text(encoding="utf-8").count("\n")
    assert lines <= README_MAX_LINES, f"README.md has {lines} lines; move detail into docs/"


@pytest.mark.parametrize("page", PAGES, ids=lambda page: str(page.relative_to(ROOT)))
def test_no_page_sends_a_clean_clone_outside_it(page: Path):
    assert "../shared" not in page.read_text(encoding="utf-8")


def test_anchors_follow_githubs_rules(tmp_path: Path):
    page = tmp_path / "page.md"
    page.write_text(
        "# /poem on local servers\n## Health, metrics and logs\n## `vae_quality`\n"
        "## Notes\n## Notes\n```\n# not a heading\n```\n"
    )
    assert anchors(page) == {
        "poem-on-local-servers",
        "health-metrics-and-logs",
        "vae_quality",
        "notes",
        "notes-1",
    }


def test_the_settings_page_documents_exactly_the_settings_the_bot_reads():
    from bot.settings import ENVIRONMENT

    page = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    named = set(re.findall(r"`((?:DISCORD|DEV|OPENAI|GENAI|LOG|SHARD)_[A-Z0-9_]+)`", page))
    assert set(ENVIRONMENT) - named == set(), "settings missing from docs/configuration.md"
    assert named - set(ENVIRONMENT) == set(), "docs/configuration.md names settings the bot does not read"


def test_the_settings_page_carries_the_reference_the_settings_write():
    from bot.settings import settings_reference

    page = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    assert settings_reference() in page, "run `python -m bot.settings --markdown` into docs/configuration.md"

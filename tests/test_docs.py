"""The documentation: the README is a short front door that links every docs/ page, every relative link
resolves (to a file, and for ``#anchor`` links to a heading, GitHub-style), and docs/benchmarks.md is
what ``benchmarks/report.py`` writes from benchmarks/results/. Fast, no Ray."""

import importlib.util
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
DOCS = ROOT / "docs"
COMMANDS = ("pip install -e . && latentsynth demo", "pip install -e '.[test]' && pytest")
SCHEMES = ("http://", "https://", "mailto:")

FENCE = re.compile(r"^(```|~~~).*?^\1[^\n]*$", re.M | re.S)
INLINE_CODE = re.compile(r"`[^`\n]*`")
LINK = re.compile(r"\[(?:[^\]\\]|\\.)*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
HEADING = re.compile(r"^#{1,6}\s+(.*?)\s*#*\s*$", re.M)


def _prose(text: str) -> str:
    """The markdown without fenced code blocks and inline code (links there are not links)."""
    return INLINE_CODE.sub("", FENCE.sub("", text))


def links(path: Path) -> list[str]:
    """Link targets of a markdown file, in order."""
    return LINK.findall(_prose(path.read_text()))


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: links reduced to their text, lower case, everything but
    letters, digits, spaces, hyphens and underscores dropped, each space a hyphen."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading).strip().lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(path: Path) -> set[str]:
    """Every heading anchor of a markdown file; a repeated slug gets -1, -2, … as on GitHub."""
    seen: dict[str, int] = {}
    out = set()
    for heading in HEADING.findall(FENCE.sub("", path.read_text())):
        base = slug(heading)
        count = seen.get(base, 0)
        seen[base] = count + 1
        out.add(base if count == 0 else f"{base}-{count}")
    return out


def broken_links(paths) -> list[str]:
    """'file: target (why)' for every relative link that points nowhere."""
    broken = []
    for path in paths:
        for target in links(path):
            if target.startswith(SCHEMES):
                continue
            file_part, _, anchor = target.partition("#")
            dest = (path.parent / file_part).resolve() if file_part else path
            where = f"{path.relative_to(path.parents[1]) if path.parent != ROOT else path.name}: {target}"
            if not dest.exists():
                broken.append(f"{where} (no such file)")
            elif anchor and (dest.suffix != ".md" or anchor not in anchors(dest)):
                broken.append(f"{where} (no heading #{anchor})")
    return broken


def pages() -> list[Path]:
    return sorted(DOCS.glob("*.md"))


def _load_report():
    spec = importlib.util.spec_from_file_location("benchmarks_report", ROOT / "benchmarks" / "report.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --- the README ---------------------------------------------------------------------------------


def test_readme_is_short_and_opens_with_the_two_commands_in_a_code_block():
    lines = README.read_text().splitlines()
    assert len(lines) <= 150, f"README.md has {len(lines)} lines; move detail into docs/"
    head = lines[:40]
    fences = [i for i, line in enumerate(head) if line.startswith("```")]
    assert len(fences) >= 2, "the first 40 lines of README.md need a code block"
    block = head[fences[0] + 1 : fences[1]]
    for command in COMMANDS:
        assert command in block, f"{command!r} is not a line of README.md's first code block"


def test_every_docs_page_is_linked_from_the_readme():
    assert pages(), "docs/ has no pages"
    linked = {(ROOT / t.partition("#")[0]).resolve() for t in links(README) if not t.startswith(SCHEMES)}
    missing = [p.name for p in pages() if p.resolve() not in linked]
    assert not missing, f"README.md does not link {missing}"


def test_every_page_opens_with_a_title_and_a_summary_that_links_back():
    for page in pages():
        title, blank, summary = page.read_text().splitlines()[:3]
        assert title.startswith("# ") and blank == "", f"{page.name} must open with '# Title' and a blank line"
        assert "(../README.md)" in summary, f"{page.name}'s summary line must link back to the README"


# --- links ----------------------------------------------------------------------------------------


def test_every_relative_link_resolves():
    assert broken_links([README, *pages()]) == []


def test_the_link_checker_catches_broken_links(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.md").write_text("# Page A\n\n## Some `code` here: yes\n\ntext\n")
    page = docs / "b.md"
    page.write_text(
        "# B\n\n"
        "[ok](a.md) [ok anchor](a.md#some-code-here-yes) [own](#b) [web](https://example.com/x.md)\n"
        "[gone](missing.md) [bad anchor](a.md#nowhere) [own bad](#nope)\n"
        "```\n[in code](ignored.md)\n```\n`[inline](ignored.md)`\n"
    )
    assert broken_links([page]) == [
        "docs/b.md: missing.md (no such file)",
        "docs/b.md: a.md#nowhere (no heading #nowhere)",
        "docs/b.md: #nope (no heading #nope)",
    ]


def test_slugs_follow_github():
    assert slug("Seeding: same seed → same bytes") == "seeding-same-seed--same-bytes"
    assert slug("`latentsynth benchmark`") == "latentsynth-benchmark"
    assert slug("Double autoencoder on 2-D records") == "double-autoencoder-on-2-d-records"
    assert slug('What "latent" means for a GAN') == "what-latent-means-for-a-gan"


# --- docs/benchmarks.md -----------------------------------------------------------------------------


def test_benchmarks_page_is_what_report_py_writes():
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "report.py"), "--check"], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr + "\n(run `python benchmarks/report.py` and commit docs/benchmarks.md)"


def test_report_check_fails_on_a_stale_page(tmp_path):
    report = _load_report()
    stale = tmp_path / "benchmarks.md"
    stale.write_text(report.build_page().replace("| random |", "| random (edited) |", 1))
    assert report.main(["--check", "--out", str(stale)]) == 1
    assert report.main(["--check", "--out", str(tmp_path / "absent.md")]) == 1
    report.main(["--out", str(stale)])
    assert report.main(["--check", "--out", str(stale)]) == 0


def test_report_is_deterministic_and_skips_what_it_cannot_read(tmp_path):
    report = _load_report()
    results = tmp_path / "results"
    shutil.copytree(ROOT / "benchmarks" / "results", results, ignore=shutil.ignore_patterns("*.png", "*.csv"))
    (results / "serve.json").unlink()
    (results / "sampling.json").write_text(json.dumps({"benchmark": "sampling"}))
    (results / "train_overhead.json").write_text("{not json")
    (results / "brand_new.json").write_text("{}")
    page = report.build_page(results)
    assert page == report.build_page(results)
    skipped = page.split("## Skipped", 1)[1]
    assert "`serve.json`: not present" in skipped
    assert "`sampling.json`: structure not recognised" in skipped
    assert "`train_overhead.json`: not valid JSON" in skipped
    assert "`brand_new.json`: no section for it yet" in skipped
    assert "## Model kinds side by side" in page and "## Serving under load" not in page


@pytest.mark.parametrize("name", ["sampling.json", "fid.json", "serve.json"])
def test_report_sections_hold_the_recorded_figures(name):
    report = _load_report()
    data = json.loads((ROOT / "benchmarks" / "results" / name).read_text())
    section = next(s for s in report.SECTIONS if s.file == name)
    text = "\n".join(report.render_section(section, data))
    first = data["results"][0]
    figure = {
        "sampling.json": ("latents_per_s", ",.0f"),
        "fid.json": ("fid", ".10g"),
        "serve.json": ("req_per_s", ".1f"),
    }
    key, spec = figure[name]
    assert format(first[key], spec) in text

"""Write docs/benchmarks.md from benchmarks/results/*.json: one section per results file.

    python benchmarks/report.py            # (re)write docs/benchmarks.md
    python benchmarks/report.py --check    # exit 1 if docs/benchmarks.md is not what it would write

Every measured figure of the documentation lives on that page, so no number is typed twice. A
new results file gets one renderer: a function decorated with ``@section(FILE, title, measures,
command)`` that turns the file's JSON into markdown lines; ``command(data)`` rebuilds the command
that wrote the file from what the file recorded (``from_keys`` covers the usual case). Missing
files, files without a renderer and files a renderer does not recognise are listed under
"Skipped", never a crash. The page depends on the JSON alone (no dates, nothing about the machine
that writes it), so the same JSON gives the same bytes.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the sibling modules below

import report_sections  # noqa: E402,F401  (registers the sections)
import report_sections_data  # noqa: E402,F401  (and these, after them)
from report_format import GENERATED, PAGE, RESULTS, SECTIONS, Section, machine, slug  # noqa: E402


def render_section(sec: Section, data: dict) -> list[str]:
    lines = [f"## {sec.title}", "", sec.measures, "", f"Written to `benchmarks/results/{sec.file}` by", ""]
    lines += ["```", sec.command(data), "```", ""] + ([f"Machine: {machine(data)}.", ""] if machine(data) else [])
    return lines + sec.render(data)


def build_page(results: Path = RESULTS) -> str:
    """The whole page for the JSON files in ``results``."""
    bodies, skipped = [], []
    for sec in SECTIONS:
        path = results / sec.file
        try:
            bodies.append((sec, render_section(sec, json.loads(path.read_text()))))
        except FileNotFoundError:
            skipped.append(f"`{sec.file}`: not present")
        except json.JSONDecodeError as exc:
            skipped.append(f"`{sec.file}`: not valid JSON ({exc.msg}, line {exc.lineno})")
        except (KeyError, TypeError, ValueError, IndexError, AttributeError, StopIteration) as exc:
            skipped.append(f"`{sec.file}`: structure not recognised ({type(exc).__name__}: {exc})")
    known = {sec.file for sec in SECTIONS}
    unknown = [p.name for p in sorted(results.glob("*.json")) if p.name not in known]
    skipped += [f"`{name}`: no section for it yet (add a renderer to benchmarks/report.py)" for name in unknown]
    lines = ["# Benchmarks", ""]
    lines += [
        "Every measured figure of latentsynth, one section per results file; back to the [README](../README.md).",
        "",
    ]
    lines += [GENERATED, ""]
    lines += [
        "Figures hold for the machine they were measured on (given per section). FID values measured with stand-in "
        "Inception weights prove that the pipeline is exact, not that any image is good.",
        "",
    ]
    lines += [f"- [{sec.title}](#{slug(sec.title)})" for sec, _ in bodies] + [""]
    lines += [line for _, body in bodies for line in body]
    lines += (["## Skipped", ""] + [f"- {s}" for s in skipped] + [""]) if skipped else []
    return "\n".join(lines).rstrip("\n") + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, default=RESULTS, help="folder of results JSON files")
    parser.add_argument("--out", type=Path, default=PAGE, help="the page to write (default docs/benchmarks.md)")
    parser.add_argument("--check", action="store_true", help="exit 1 if --out is not what this would write")
    args = parser.parse_args(argv)
    page = build_page(args.results)
    if args.check:
        if not args.out.is_file() or args.out.read_text() != page:
            print(f"{args.out} is out of date: run `python benchmarks/report.py`", file=sys.stderr)
            return 1
        print(f"{args.out} is up to date")
        return 0
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(page)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""latentsynth inspect"""

from __future__ import annotations

import json
import warnings
from dataclasses import replace

from latentsynth.commands.args import UsageError, add_table_options, table_options


def schema_table(report: dict) -> str:
    """The detected schema as an aligned text table."""
    head = ("column", "kind", "missing", "distinct", "what happens")
    rows = [
        (name, c["kind"], f"{100 * c['missing_share']:.1f}%", str(c["distinct"]), c["action"])
        for name, c in report["columns"].items()
    ]
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head) - 1)]
    return "\n".join("  ".join(v.ljust(w) for v, w in zip(r, widths)) + "  " + r[-1] for r in [head, *rows])


def run(args) -> int:
    from synth.config import SynthConfig
    from synth.data.prepare import cleaning_options
    from synth.data.sources import load_source
    from synth.data.tabular import clean_table, summary_lines
    from synth.errors import DataError

    raw = load_source(args.data, label=args.label)
    if raw.kind != "tabular":
        raise UsageError(f"{args.data} holds {raw.kind} data; inspect describes tables")
    cfg = SynthConfig.from_options(**table_options(args))
    options = cleaning_options(cfg)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the summary below prints them
            _, _, report = clean_table(raw.data, label=raw.label_column, options=replace(options, allow_drop=True))
    except DataError as exc:
        raise DataError(f"training would fail: {exc}") from None
    report = report.to_dict()
    if args.json:
        print(json.dumps({k: report[k] for k in ("rows_in", "rows_used", "columns", "warnings")}, indent=2))
        return 0
    label = f", label {raw.label_column!r}" if raw.label_column else ""
    print(f"{args.data}: {report['rows_in']} rows × {len(report['columns'])} columns{label}")
    print(schema_table(report))
    print("\n".join(summary_lines(report)[:1] + [f"  warning: {w}" for w in report["warnings"]]))
    if report["rows_used"] < report["rows_in"] / 2 and not cfg.allow_drop:
        print("  training would stop here: more than half of the rows would be dropped (--allow-drop to accept)")
    return 0


def register(sub) -> None:
    p = sub.add_parser("inspect", help="print the detected column kinds of a table and what training will do")
    p.add_argument("data", help="a CSV file or an embedded table (iris, wine, breast_cancer)")
    p.add_argument("--label", help="label column (one cluster per label)")
    p.add_argument("--json", action="store_true", help="print the schema and cleaning summary as JSON")
    add_table_options(p)
    p.set_defaults(func=run)

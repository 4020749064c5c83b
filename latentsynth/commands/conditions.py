"""``--condition`` / ``--constraint`` / ``--conditions FILE.json`` of ``latentsynth generate``.

Text → the ``conditions`` mapping and ``constraints`` list of ``LatentSynthesizer.generate``
(synth.conditions validates them against the model and names the field at fault):

- ``COL=VALUE``: one value (a category, or an exact number for a numeric column);
- ``COL=A,B,C``: any of these categories;
- ``COL=LOW:HIGH`` or ``COL=LOW..HIGH``: a closed range; an empty side is open
  (``age=60:``); datetime ranges use ``..`` (times hold colons: ``d=2020-01-01..2020-06-30``);
- ``--constraint 'a<=b'`` (``<``, ``>=``, ``>`` too), ``'price>0'`` / ``'price>=0'`` /
  ``'price<0'``, ``positive:price``, ``negative:loss``, or a JSON object such as
  ``'{"kind": "inequality", "low": "start", "high": "end"}'``;
- ``--conditions FILE.json``: ``{"col": value | [values] | [low, high], ...}`` (the HTTP
  ``conditions`` field), or ``{"conditions": {...}, "constraints": [...]}``.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

from latentsynth.commands.args import UsageError, positive_int

_COMPARISON = re.compile(r"^\s*([^<>=]+?)\s*(<=|>=|<|>)\s*([^<>=]+?)\s*$")


def positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be > 0 seconds, got {text}")
    return value


def _number(text: str):
    """A number when the text is one (``"5"`` → 5.0), else the text."""
    try:
        value = float(text)
    except ValueError:
        return text.strip()
    return value if value == value and abs(value) != float("inf") else text.strip()


def parse_condition(text: str, kinds: dict[str, str]) -> tuple[str, object]:
    """``COL=SPEC`` → (column, value). ``kinds``: column → numeric/datetime/categorical (for ranges)."""
    if "=" not in text:
        raise UsageError(f"--condition expects COLUMN=VALUE, COLUMN=A,B or COLUMN=LOW:HIGH, got {text!r}")
    column, spec = (part.strip() for part in text.split("=", 1))
    if not column or not spec:
        raise UsageError(f"--condition expects COLUMN=VALUE, COLUMN=A,B or COLUMN=LOW:HIGH, got {text!r}")
    kind = kinds.get(column, "categorical")
    if kind in ("numeric", "datetime"):
        separator = ".." if ".." in spec else (":" if kind == "numeric" and ":" in spec else None)
        if separator:
            low, high = (part.strip() for part in spec.split(separator, 1))
            bounds = [None if not b else (_number(b) if kind == "numeric" else b) for b in (low, high)]
            return column, bounds
        return column, _number(spec) if kind == "numeric" else spec
    values = [v.strip() for v in spec.split(",")]
    return column, values if len(values) > 1 else values[0]


def parse_constraint(text: str) -> dict:
    """One ``--constraint`` → the dict form of synth.conditions."""
    stripped = text.strip()
    if stripped.startswith("{"):
        try:
            item = json.loads(stripped)
        except json.JSONDecodeError as exc:
            raise UsageError(f"--constraint {text!r} is not valid JSON: {exc.msg}") from None
        return item
    for kind in ("positive", "negative"):
        if stripped.lower().startswith(f"{kind}:"):
            return {"kind": kind, "column": stripped.split(":", 1)[1].strip()}
    match = _COMPARISON.match(stripped)
    if not match:
        raise UsageError(
            f"--constraint expects 'a<=b', 'a<b', 'price>0', 'positive:COLUMN', 'negative:COLUMN' or a JSON "
            f"object, got {text!r}"
        )
    left, op, right = match.groups()
    if right == "0" or left == "0":
        column, sign = (left, op) if right == "0" else (right, {"<": ">", ">": "<", "<=": ">=", ">=": "<="}[op])
        return {"kind": "positive" if sign.startswith(">") else "negative", "column": column, "strict": "=" not in sign}
    low, high = (left, right) if op.startswith("<") else (right, left)
    return {"kind": "inequality", "low": low, "high": high, "strict": "=" not in op}


def read_conditions_file(path: str) -> tuple[dict, list]:
    """(conditions, constraints) of a JSON file (see the module doc)."""
    try:
        obj = json.loads(Path(path).read_text())
    except OSError as exc:
        raise UsageError(f"--conditions {path}: cannot read it ({exc.strerror or exc})") from None
    except json.JSONDecodeError as exc:
        raise UsageError(f"--conditions {path}: not valid JSON ({exc.msg}, line {exc.lineno})") from None
    if not isinstance(obj, dict):
        raise UsageError(f"--conditions {path}: expected a JSON object of column → value(s), got {type(obj).__name__}")
    if set(obj) <= {"conditions", "constraints"} and obj:
        conditions, constraints = obj.get("conditions") or {}, obj.get("constraints") or []
        if not isinstance(conditions, dict) or not isinstance(constraints, list):
            raise UsageError(f"--conditions {path}: 'conditions' must be an object and 'constraints' a list")
        return conditions, constraints
    return obj, []


def request_from_args(args, syn) -> tuple[dict | None, list | None]:
    """The ``conditions`` and ``constraints`` a generate command asks for (None when none)."""
    conditions, constraints = {}, []
    if getattr(args, "conditions_file", None):
        conditions, constraints = read_conditions_file(args.conditions_file)
    kinds = {c.name: c.kind for c in getattr(syn.transformer_, "columns_", [])} if syn.data_kind_ == "tabular" else {}
    for text in args.condition or []:
        column, value = parse_condition(text, kinds)
        conditions[column] = value
    constraints += [parse_constraint(text) for text in args.constraint or []]
    return conditions or None, constraints or None


def describe_report(report: dict) -> str:
    """One line of a conditional request's report."""
    return (
        f"conditions {report['conditions']}: {report['returned']} of {report['requested']} rows "
        f"(share met {report['share_met']:.3f}); acceptance rate {report['acceptance_rate']:.4f}, "
        f"{report['drawn']} latents drawn, {report['decoded']} decoded, {report['seconds']:.2f} s"
    )


def add_condition_options(p) -> None:
    g = p.add_argument_group("conditions and constraints (tables; images and records: the label only)")
    g.add_argument(
        "--condition",
        action="append",
        metavar="COL=SPEC",
        help="rows with COL=VALUE, COL=A,B (any of), COL=LOW:HIGH or LOW..HIGH (closed range, a side may be "
        "empty); repeat for several; the label column selects clusters",
    )
    g.add_argument(
        "--constraint",
        action="append",
        metavar="EXPR",
        help="must hold on every row: 'a<=b', 'a<b', 'price>0', 'positive:COL', 'negative:COL' or a JSON object",
    )
    g.add_argument(
        "--conditions",
        dest="conditions_file",
        metavar="FILE.json",
        help='JSON {"col": value | [values] | [low, high]} or {"conditions": {...}, "constraints": [...]}',
    )
    g.add_argument(
        "--max-tries", type=positive_int, help="latents drawn at most (default 200 × n + a pilot per cluster)"
    )
    g.add_argument(
        "--time-budget", type=positive_seconds, metavar="SECONDS", help="stop after this long with what was found"
    )
    g.add_argument(
        "--no-steer", action="store_true", help="plain accept/reject of decoded rows (no steered latent proposals)"
    )

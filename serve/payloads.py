"""Samples → response bytes: json, csv (tables), png and npz (images).

Pure functions, so a test can build the exact bytes the server must send
from ``LatentSynthesizer.generate`` in its own process. Floats go through
Python's ``json`` (shortest repr, round-trips exactly); csv is the same text
as ``latentsynth generate --format csv``; the npz zip carries a fixed
timestamp so equal arrays give equal bytes.
"""

from __future__ import annotations

import io
import json
import zipfile

import numpy as np
import pandas as pd

from serve.protocol import Failure, Payload
from synth.plots import image_grid_png

TABLE_FORMATS, IMAGE_FORMATS = ("json", "csv"), ("json", "png", "npz")
MEDIA_TYPES = {
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "png": "image/png",
    "npz": "application/octet-stream",
}


def formats_for(data_kind: str) -> tuple[str, ...]:
    return TABLE_FORMATS if data_kind == "tabular" else IMAGE_FORMATS


def provenance_records(provenance: pd.DataFrame) -> list[dict]:
    """One JSON-ready dict per sample: cluster, method, seed, d2, in_region, accepted, back_projected
    (and conditions, tries for conditional requests)."""
    if "tries" in provenance.columns:
        plain = provenance_records(provenance.drop(columns=["conditions", "tries"]))
        return [
            {**row, "conditions": str(c), "tries": int(t)}
            for row, c, t in zip(plain, provenance["conditions"], provenance["tries"])
        ]
    return [
        {
            "cluster": str(c),
            "method": str(m),
            "seed": int(s),
            "d2": float(d),
            "in_region": bool(r),
            "accepted": bool(a),
            "back_projected": bool(b),
        }
        for c, m, s, d, r, a, b in zip(
            provenance["cluster"],
            provenance["method"],
            provenance["seed"],
            provenance["d2"],
            provenance["in_region"],
            provenance["accepted"],
            provenance["back_projected"],
        )
    ]


def report_dict(report: dict | None) -> dict | None:
    """A conditional request's report, with a ``warning`` when the request was only partly met."""
    if report is None:
        return None
    out = {k: (float(v) if isinstance(v, (float, np.floating)) else v) for k, v in report.items()}
    if out["returned"] < out["requested"]:
        out["warning"] = (
            f"only {out['returned']} of {out['requested']} rows satisfied {out['conditions']} within the budget "
            f"({out['drawn']} draws); raise max_tries / time_budget_s or widen the conditions"
        )
    return out


def summary_header(*, model: str, method: str, seed: int, n: int, stats: dict, report=None) -> dict[str, str]:
    """Provenance of a csv/png body, which has no room for it: one compact JSON header."""
    summary = {"model": model, "n": n, "method": method, "seed": seed, "stats": stats}
    if report is not None:
        summary["report"] = report
    return {
        "X-Latentsynth-Provenance": json.dumps(summary, separators=(",", ":"), ensure_ascii=True),
        "X-Latentsynth-Seed": str(seed),
    }


def npz_bytes(arrays: dict[str, np.ndarray]) -> bytes:
    """``np.savez`` layout with a fixed zip timestamp (np.savez stamps the wall clock)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_STORED) as archive:
        for name, array in arrays.items():
            member = io.BytesIO()
            np.lib.format.write_array(member, np.asarray(array), allow_pickle=False)
            archive.writestr(zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0)), member.getvalue())
    return buf.getvalue()


def _cell(value):
    """A table cell as JSON: missing cells null, datetimes ISO 8601."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return value.item() if isinstance(value, np.generic) else value


def _json(obj) -> bytes:
    return json.dumps(obj, separators=(",", ":"), allow_nan=False, ensure_ascii=False).encode()


def encode_samples(
    samples, *, data_kind: str, label_name: str | None, model: str, fmt: str, png_scale=None
) -> Payload | Failure:
    """``samples``: a ``synth.synthesizer.Samples``. ``png_scale``: images (n, C, H, W) → [0, 1]
    (the model's ``transformer_.transform``), needed for png only."""
    if fmt not in formats_for(data_kind):
        return Failure(
            422,
            f"format {fmt!r} is not available for a {data_kind} model; choose one of {list(formats_for(data_kind))}",
            "format",
            "unsupported_format",
        )
    prov = samples.provenance
    method, seed, n = str(prov["method"].iloc[0]), int(prov["seed"].iloc[0]), len(prov)
    labels = [str(v) for v in samples.labels]
    report = report_dict(samples.report)
    if fmt in ("csv", "png"):
        headers = summary_header(model=model, method=method, seed=seed, n=n, stats=samples.stats, report=report)
        if fmt == "csv":
            frame = samples.data.assign(**{label_name or "cluster": samples.labels})
            return Payload(frame.to_csv(index=False).encode(), MEDIA_TYPES["csv"], headers)
        return Payload(image_grid_png(png_scale(samples.data), labels=samples.labels), MEDIA_TYPES["png"], headers)
    if fmt == "npz":
        arrays = {
            "images": samples.data,
            "labels": np.array(labels),
            "latents": samples.latents,
            **{
                f"provenance_{c}": (
                    prov[c].to_numpy(dtype=str)
                    if prov[c].dtype == object or c in ("cluster", "method")
                    else prov[c].to_numpy()
                )
                for c in prov.columns
            },
        }
        headers = summary_header(model=model, method=method, seed=seed, n=n, stats=samples.stats, report=report)
        return Payload(npz_bytes(arrays), MEDIA_TYPES["npz"], headers)
    body = {
        "model": model,
        "data_kind": data_kind,
        "n": n,
        "method": method,
        "seed": seed,
        "labels": labels,
        "provenance": provenance_records(prov),
        "stats": samples.stats,
    }
    if report is not None:
        body["report"] = report
    if data_kind == "tabular":
        split = samples.data.to_dict(orient="split")
        body.update(columns=[str(c) for c in split["columns"]], rows=[[_cell(v) for v in r] for r in split["data"]])
    else:
        body.update(shape=list(samples.data.shape), dtype=str(samples.data.dtype), images=samples.data.tolist())
    try:
        return Payload(_json(body), MEDIA_TYPES["json"])
    except ValueError:  # NaN/inf: a diverged model, not something the caller asked for
        return Failure(
            422, f"model {model!r} produced non-finite values; it cannot be served as JSON", None, "generation_error"
        )

"""The one check every saved JSON object of latentsynth passes before it is read: a ``format``
name and a version number, so a foreign or newer file fails with a clear message instead of a
KeyError deep inside a loader."""

from __future__ import annotations


def format_problem(obj, name: str, version: int, *, version_key: str = "version") -> str | None:
    """``"format"`` when ``obj`` is not a dict carrying ``format == name``, ``"version"`` when its
    version differs from ``version``, else None. Callers phrase the error in their own terms."""
    if not isinstance(obj, dict) or obj.get("format") != name:
        return "format"
    if obj.get(version_key) != version:
        return "version"
    return None

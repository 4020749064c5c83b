"""schemathesis hooks for ``test_http.py``'s ``schemathesis run --checks all``.

``positive_data_acceptance`` expects every schema-valid request to succeed. A static OpenAPI
document cannot say which clusters, columns, formats or reference files a *named* model has, so
the server answers such requests with a 422 naming the field. ``model_dependent_acceptance``
runs the built-in check and lets through exactly those rejections (each error item's ``type``
is one the generator or FID deployment gives after reading the model); any other rejection of
schema-valid data — a limit the schema does not state — still fails.
"""

from __future__ import annotations

import json

import schemathesis
from schemathesis.checks import positive_data_acceptance

MODEL_DEPENDENT = {
    "unknown_cluster",  # the named model has no such cluster
    "unknown_method",
    "unsupported_format",  # csv for an image model, png for a table
    "wrong_data_kind",  # /generate/image for a table model and the reverse
    "condition_error",  # a column, category or range the model does not have
    "generation_error",  # the model cannot meet the gate / the conditions within the budget
    "config_error",  # an option the model cannot honour (an axis beyond its latent size, no encoder, …)
    "not_found",  # FID: no reference statistics in the model's directory
    "not_an_image_model",
    "unreadable",
    "degenerate",
}


@schemathesis.check
def model_dependent_acceptance(ctx, response, case):
    try:
        return positive_data_acceptance(ctx, response, case)
    except Exception:
        if response.status_code != 422:
            raise
        try:
            detail = json.loads(response.content)["detail"]
            kinds = {item["type"] for item in detail}
        except (ValueError, KeyError, TypeError):
            raise AssertionError(f"422 without a detail list: {response.content[:200]!r}") from None
        if not kinds <= MODEL_DEPENDENT:
            raise
        return None

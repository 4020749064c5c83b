"""The served OpenAPI document, made to say what this server enforces.

FastAPI derives the document from the routes and the pydantic bodies, which are the
same for every deployment. Two things depend on the server's settings, so they are
patched in when the document is first built (``install``):

- the ``X-API-Key`` security scheme is declared on the routes that check it only when
  a key is configured (without one every request is accepted, and a document that
  requires a key would be false);
- the caps of ``n`` / ``samples`` are the server's ``max_n`` and ``max_fid_n``, not the
  ceiling the request models allow.
"""

from __future__ import annotations

from fastapi import FastAPI

from serve.settings import ServeArgs

# (path, method, body schema or None for a query parameter, field, setting) of each capped count
CAPPED = (
    ("/v1/models/{name}/generate", "post", "GenerateBody", "n", "max_n"),
    ("/v1/fid", "post", "FidBody", "n", "max_fid_n"),
    ("/generate/tabular", "get", None, "samples", "max_n"),
    ("/generate/image", "get", None, "samples", "max_n"),
)


def truthful(document: dict, settings: ServeArgs, *, api_key_required: bool) -> dict:
    """``document`` (FastAPI's OpenAPI dict) patched in place for these settings; returned."""
    components = document.setdefault("components", {})
    if not api_key_required:
        components.pop("securitySchemes", None)
        for operations in document.get("paths", {}).values():
            for operation in operations.values():
                if isinstance(operation, dict):
                    operation.pop("security", None)
                    operation.get("responses", {}).pop("401", None)
    schemas = components.get("schemas", {})
    for path, method, body, name, cap in CAPPED:
        limit = getattr(settings, cap)
        if body is not None and name in schemas.get(body, {}).get("properties", {}):
            schemas[body]["properties"][name]["maximum"] = limit
            continue
        operation = document.get("paths", {}).get(path, {}).get(method, {})
        for parameter in operation.get("parameters", []):
            if parameter.get("name") == name and parameter.get("in") == "query":
                parameter.setdefault("schema", {})["maximum"] = limit
    return document


def install(app: FastAPI, settings: ServeArgs, *, api_key_required: bool) -> None:
    """Make ``app.openapi()`` build (once) and return the patched document."""

    app.openapi_schema = None  # one ingress per replica process: its settings decide

    def openapi() -> dict:
        if app.openapi_schema is None:
            app.openapi_schema = truthful(FastAPI.openapi(app), settings, api_key_required=api_key_required)
        return app.openapi_schema

    app.openapi = openapi

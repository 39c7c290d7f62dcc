"""Turning a nested config into flat string params (``optimizer.name = adam``), and the
params and tags as they leave the process: credentials redacted (``labledger.core.secrets``,
imported on first use: its patterns take milliseconds to compile)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any


def param_text(value: Any) -> str:
    """How a config value is stored as a param: strings as they are, the rest as JSON."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or value is None or isinstance(value, int | float):
        return json.dumps(value)
    if isinstance(value, list | tuple):
        try:
            return json.dumps([_plain(v) for v in value])
        except (TypeError, ValueError):
            return str(list(value))
    item = getattr(value, "item", None)  # numpy / torch scalars
    if callable(item):
        try:
            return param_text(item())
        except (TypeError, ValueError):
            pass
    return str(value)


def _plain(value: Any) -> Any:
    """A JSON-ready version of a config element (numpy scalars become Python numbers)."""
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    item = getattr(value, "item", None)
    if callable(item) and not isinstance(value, str | int | float | bool):
        try:
            return item()
        except (TypeError, ValueError):
            return value
    return value


def flatten_config(config: Mapping[str, Any] | None, prefix: str = "") -> dict[str, str]:
    """``{"a": {"b": 1}}`` -> ``{"a.b": "1"}``; lists become JSON text."""
    out: dict[str, str] = {}
    for key, value in (config or {}).items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            nested = flatten_config(value, prefix=f"{name}.")
            if nested:
                out.update(nested)
            else:
                out[name] = "{}"
        else:
            out[name] = param_text(value)
    return out


def secret_free_params(config: Mapping[str, Any] | None) -> dict[str, str]:
    """Flat params with credentials redacted: secret-named keys at any level of the tree
    (``{"db": {"password": ...}}``, a whole ``credentials`` subtree), secret-shaped text in
    any value, then the flat names again by the rules the server applies, so the server
    stores what the SDK sent, unchanged."""
    if not config:
        return {}
    from labledger.core.secrets import redact_config, redact_fields

    return redact_fields(flatten_config(redact_config(config)))


def secret_free_tags(tags: Mapping[str, Any] | None) -> dict[str, str]:
    """Tags as text (:func:`param_text`) with credentials redacted as in params."""
    if not tags:
        return {}
    from labledger.core.secrets import redact_config, redact_fields

    return redact_fields({k: param_text(v) for k, v in redact_config(tags).items()})


def secret_free_text(text: str | None) -> str | None:
    """Free text (notes) with secret-shaped substrings redacted."""
    if not text:
        return text
    from labledger.core.secrets import redact_value

    return redact_value(text)

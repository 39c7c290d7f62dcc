"""The model registry's vocabulary: model, alias and environment names, and promotion
policies (what a version must show before an alias may point at it).

A policy is written in YAML or JSON::

    require: [git.commit, datasets.training]   # provenance that must be present
    metrics:
      - "acc >= 0.9"                           # the candidate's final metrics
      - "acc >= champion.acc - 0.002"          # against the alias's current holder
    approvals: 1                               # distinct approvers, not the requester
    clean_commit: true                         # no uncommitted diff
    sealed: true                               # the source run is sealed

A model's own policy (no alias) holds drift thresholds instead::

    drift: {psi: 0.2, ks: 0.2}

Parsing errors name the line and column (YAML) or the key and item at fault.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

from labledger.core.errors import InvalidInputError
from labledger.core.provenance import canonical_json, sha256_hex
from labledger.core.validation import check_key, check_str

MAX_MODEL_NAME = 250
MAX_ALIAS = 64
MAX_ENV = 64
MAX_DESCRIPTION = 5_000
MAX_POLICY_CHARS = 5_000
MAX_GATES = 50
MAX_APPROVALS = 20
MAX_URL = 2_000
MAX_NOTE = 2_000
MAX_VERSION = 2**31 - 1  # version columns are 32-bit integers (PostgreSQL INTEGER)
DEFAULT_DRIFT = {"psi": 0.2, "ks": 0.2}  # a PSI above 0.2 is commonly read as a real shift

_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_ALIAS_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_RESERVED_ALIAS = re.compile(r"(?i)latest|v\d+")
_UNSIGNED = r"(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?"
_NUMBER = rf"[+-]?{_UNSIGNED}"
_GATE_RE = re.compile(
    rf"\s*(?P<metric>[^\s<>=!]+)\s*(?P<op>>=|<=|==|!=|>|<)\s*"
    rf"(?:(?P<number>{_NUMBER})|(?P<alias>[A-Za-z_][A-Za-z0-9_-]*)\.(?P<other>[^\s]+?)"
    rf"(?:\s*(?P<sign>[+-])\s*(?P<offset>{_UNSIGNED}))?)\s*"
)
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_POLICY_KEYS = ("require", "metrics", "approvals", "clean_commit", "sealed")
# A webhook's address: http(s), a DNS name (its last label starts with a letter) or a dotted
# IPv4 address, an optional port, then anything but spaces and control characters.  Every
# such URL is one urllib and httpx both take: urlsplit raised ValueError on "http://[" and
# on netlocs that change under NFKC, and httpx refuses a host like "1-2-3-4" it reads as an
# IPv4 address (the sender could then never deliver, nor record why).
_PORT = r"(?:[0-9]{1,4}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])"
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_LABEL = r"[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?"
_TOP_LABEL = r"[A-Za-z](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?"
_HOST = rf"(?:{_OCTET}(?:\.{_OCTET}){{3}}|(?:{_LABEL}\.)*{_TOP_LABEL})"
WEBHOOK_URL_RE = re.compile(
    rf"[Hh][Tt][Tt][Pp][Ss]?://{_HOST}(?::{_PORT})?(?:[/?#][^\x00-\x20\x7f]*)?"
)


def check_model_name(name: object, field_name: str = "model") -> str:
    name = check_str(field_name, name, MAX_MODEL_NAME)
    if not _NAME_RE.fullmatch(name):
        raise InvalidInputError(
            f"{field_name} {name!r} must start with a letter or digit and contain only "
            "letters, digits, '.', '_' and '-'",
            details={"field": field_name},
        )
    return name


def check_alias(alias: object) -> str:
    alias = check_str("alias", alias, MAX_ALIAS)
    if not _ALIAS_RE.fullmatch(alias):
        raise InvalidInputError(
            f"alias {alias!r} must start with a letter or '_' and contain only letters, "
            "digits, '_' and '-'",
            details={"field": "alias"},
        )
    if _RESERVED_ALIAS.fullmatch(alias):
        raise InvalidInputError(
            f"alias {alias!r} is reserved ('latest' and 'v<number>' name versions)",
            details={"field": "alias"},
        )
    return alias


def check_env(env: object) -> str:
    env = check_str("env", env, MAX_ENV)
    if not _NAME_RE.fullmatch(env):
        raise InvalidInputError(
            f"env {env!r} must start with a letter or digit and contain only letters, "
            "digits, '.', '_' and '-'",
            details={"field": "env"},
        )
    return env


def check_version(value: object, field_name: str = "version") -> int:
    if type(value) is not int or not 1 <= value <= MAX_VERSION:
        raise InvalidInputError(
            f"{field_name} must be a version number (an integer from 1 to {MAX_VERSION}), "
            f"got {value!r}",
            details={"field": field_name, "limit": MAX_VERSION},
        )
    return value


def check_webhook_url(url: object) -> str:
    """A webhook's address (see WEBHOOK_URL_RE): no user or password (deliveries are
    signed instead), no IPv6 literal."""
    url = check_str("url", url, MAX_URL)
    if not WEBHOOK_URL_RE.fullmatch(url):
        raise InvalidInputError(
            f"url {url[:100]!r} must be an http:// or https:// address of a host name or IPv4 "
            "address (no user or password, no spaces or control characters)",
            details={"field": "url"},
        )
    return url


def check_description(value: object, field_name: str = "description") -> str:
    return check_str(field_name, value, MAX_DESCRIPTION, allow_empty=True)


@dataclass(frozen=True, slots=True)
class MetricGate:
    """``metric op number`` or ``metric op alias.metric [+|- offset]``."""

    text: str
    metric: str
    op: str
    number: float | None = None
    alias: str | None = None
    other: str | None = None
    offset: float = 0.0

    def compare(self, left: float, right: float) -> bool:
        if math.isnan(left) or math.isnan(right):
            return False
        return {
            ">=": left >= right,
            "<=": left <= right,
            "==": left == right,
            "!=": left != right,
            ">": left > right,
            "<": left < right,
        }[self.op]


@dataclass(frozen=True, slots=True)
class Policy:
    """A promotion policy for one alias, or (``drift`` only) a model's own policy."""

    require: tuple[str, ...] = ()
    metrics: tuple[MetricGate, ...] = ()
    approvals: int = 0
    clean_commit: bool = False
    sealed: bool = False
    drift: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        if self.drift:
            return {"drift": dict(self.drift)}
        return {
            "require": list(self.require),
            "metrics": [g.text for g in self.metrics],
            "approvals": self.approvals,
            "clean_commit": self.clean_commit,
            "sealed": self.sealed,
        }

    @property
    def digest(self) -> str:
        """What an approval is bound to: a changed policy voids earlier approvals."""
        return sha256_hex(canonical_json(self.to_dict()))

    @property
    def empty(self) -> bool:
        return self == Policy()


def _bad(message: str, **details: Any) -> InvalidInputError:
    return InvalidInputError(message, details={"field": "policy", **details})


def load_policy_text(text: str) -> Any:
    """YAML (or JSON, which YAML reads) to plain data; a syntax error names its position."""
    import yaml

    check_str("policy", text, MAX_POLICY_CHARS, allow_empty=True)
    try:
        return yaml.safe_load(text)
    except RecursionError:  # '[[[[...': the parser recurses once per level
        raise _bad("policy nests too deeply to read; a policy is a flat mapping") from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        column = mark.column + 1 if mark else None
        raise _bad(
            f"policy does not parse at line {line}, column {column}: {exc.problem}",
            line=line,
            column=column,
        ) from None
    except yaml.YAMLError as exc:
        raise _bad(f"policy does not parse: {exc}") from None


def parse_policy(data: Any, *, alias: str | None) -> Policy:
    """Check a loaded policy document (for ``alias``, or the model's own when None)."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise _bad(f"policy must be a mapping of settings, got {type(data).__name__}")
    allowed = _POLICY_KEYS if alias is not None else ("drift",)
    unknown = sorted(str(k) for k in data if k not in allowed)
    if unknown:
        where = f"an alias policy (--alias {alias})" if alias else "a model's own policy"
        raise _bad(
            f"unknown policy key {unknown[0]!r} in {where}; known: {', '.join(allowed)}",
            key=unknown[0],
        )
    if alias is None:
        return Policy(drift=_drift(data.get("drift")))
    return Policy(
        require=_require(data.get("require", [])),
        metrics=tuple(_gates(data.get("metrics", []))),
        approvals=_approvals(data.get("approvals", 0)),
        clean_commit=_flag(data, "clean_commit"),
        sealed=_flag(data, "sealed"),
    )


def policy_from_stored(document: dict[str, Any], alias: str | None) -> Policy:
    return parse_policy(document, alias=alias)


def _flag(data: dict[str, Any], key: str) -> bool:
    value = data.get(key, False)
    if not isinstance(value, bool):
        raise _bad(f"{key} must be true or false, got {value!r}", key=key)
    return value


def _approvals(value: Any) -> int:
    if type(value) is not int or not 0 <= value <= MAX_APPROVALS:
        raise _bad(
            f"approvals must be an integer from 0 to {MAX_APPROVALS}, got {value!r}",
            key="approvals",
            limit=MAX_APPROVALS,
        )
    return value


def _require(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or len(value) > MAX_GATES:
        raise _bad(
            f"require must be a list of at most {MAX_GATES} fields", key="require", limit=MAX_GATES
        )
    out = []
    for i, item in enumerate(value):
        try:
            out.append(check_key(f"require[{i}]", item))
        except InvalidInputError:
            raise _bad(
                f"require[{i}] must be a field name such as git.commit (at most 250 "
                "characters, no control characters, no spaces around it)",
                key="require",
                item=i,
            ) from None
    return tuple(dict.fromkeys(out))


def _gates(value: Any) -> list[MetricGate]:
    if not isinstance(value, list) or len(value) > MAX_GATES:
        raise _bad(
            f"metrics must be a list of at most {MAX_GATES} gates", key="metrics", limit=MAX_GATES
        )
    return [parse_gate(item, i) for i, item in enumerate(value)]


def parse_gate(text: Any, index: int = 0) -> MetricGate:
    if not isinstance(text, str) or len(text) > 500 or _CONTROL.search(text):
        raise _bad(
            f"metrics[{index}] must be a text such as 'acc >= 0.9' (at most 500 characters, "
            "no control characters)",
            key="metrics",
            item=index,
        )
    m = _GATE_RE.fullmatch(text)
    if m is None:
        raise _bad(
            f"metrics[{index}] {text!r} is not 'metric OP number' or "
            "'metric OP alias.metric [+|- number]' (OP one of >= <= == != > <)",
            key="metrics",
            item=index,
        )
    offset = float(m["offset"]) if m["offset"] else 0.0
    if m["sign"] == "-":
        offset = -offset
    number = float(m["number"]) if m["number"] is not None else None
    if (number is not None and not math.isfinite(number)) or not math.isfinite(offset):
        raise _bad(f"metrics[{index}] {text!r} needs finite numbers", key="metrics", item=index)
    if m["alias"] is not None:
        try:
            check_alias(m["alias"])
        except InvalidInputError as exc:
            raise _bad(
                f"metrics[{index}] {text!r}: {exc.message}", key="metrics", item=index
            ) from None
    return MetricGate(
        text=text.strip(),
        metric=m["metric"],
        op=m["op"],
        number=number,
        alias=m["alias"],
        other=m["other"],
        offset=offset,
    )


def _drift(value: Any) -> dict[str, float]:
    if value is None:
        return dict(DEFAULT_DRIFT)
    if not isinstance(value, dict):
        raise _bad("drift must be a mapping such as {psi: 0.2, ks: 0.2}", key="drift")
    out = dict(DEFAULT_DRIFT)
    for key, threshold in value.items():
        if key not in DEFAULT_DRIFT:
            raise _bad(f"unknown drift threshold {key!r}; known: psi, ks", key="drift")
        if isinstance(threshold, bool) or not isinstance(threshold, int | float):
            raise _bad(f"drift.{key} must be a number, got {threshold!r}", key="drift")
        if not 0 < threshold < 100:
            raise _bad(f"drift.{key} must be above 0 and below 100", key="drift")
        out[str(key)] = float(threshold)
    return out

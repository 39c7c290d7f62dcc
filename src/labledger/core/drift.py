"""Data drift: production batches against a training run's reference profile.

A reference keeps, per feature, a small profile and never the rows themselves: for a numeric
feature the counts in quantile bins, 101 quantiles and the moments; for a categorical one the
counts of its most frequent categories.  A batch is compared feature by feature with the
population stability index (PSI) and an approximate two-sample Kolmogorov-Smirnov statistic.
Pure functions: no I/O, no state.
"""

from __future__ import annotations

import dataclasses
import heapq
import re
import sys
from collections import Counter
from collections.abc import Mapping
from itertools import pairwise
from typing import Any, TypeAlias

import numpy as np
import numpy.typing as npt

from labledger.core.errors import InvalidInputError

MAX_FEATURES = 200  # features per reference or batch
MAX_VALUES = 1_000_000  # values per feature per call
NUMERIC_BINS = 10  # PSI bins (reference quantile edges)
QUANTILES = 101  # stored quantiles 0%, 1%, ..., 100% for the KS approximation
MAX_CATEGORIES = 100  # categorical: the most frequent are kept, the rest count as OTHER
OTHER = "__other__"
MAX_FEATURE_NAME = 250
MAX_CATEGORY = 500  # characters in one categorical value
SHARE_FLOOR = 1e-4  # PSI: a bin's share is at least this, so that no log(0) occurs

Floats: TypeAlias = npt.NDArray[np.float64]
Column: TypeAlias = "npt.NDArray[np.float64] | list[str]"

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_STATS = ("mean", "std", "min", "max")
_BIG = sys.float_info.max


@dataclasses.dataclass(frozen=True, slots=True)
class FeatureProfile:
    """What a reference keeps of one feature (``kind`` is "numeric" or "categorical").

    Numeric: ``counts[i]`` values fell in bin i of (-inf, e0], (e0, e1], ..., (e_last, +inf)
    for ``edges`` e, the reference's deciles without repeats (and, when the lowest is the
    minimum, one more just below it); ``quantiles`` are QUANTILES values, min to max.
    Categorical: ``categories`` maps category -> count, OTHER holding the rest (if any).
    """

    kind: str
    count: int
    edges: list[float] = dataclasses.field(default_factory=list)
    counts: list[int] = dataclasses.field(default_factory=list)
    quantiles: list[float] = dataclasses.field(default_factory=list)
    mean: float | None = None
    std: float | None = None
    min: float | None = None
    max: float | None = None
    categories: dict[str, int] = dataclasses.field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON values only (every float finite)."""
        stats = (self.mean, self.std, self.min, self.max)
        return {
            "kind": self.kind,
            "count": int(self.count),
            "edges": [float(e) for e in self.edges],
            "counts": [int(c) for c in self.counts],
            "quantiles": [float(q) for q in self.quantiles],
            **{k: None if v is None else float(v) for k, v in zip(_STATS, stats, strict=True)},
            "categories": {str(k): int(v) for k, v in self.categories.items()},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, field: str = "profile") -> FeatureProfile:
        """The inverse of ``to_dict``.  A profile may come from a client, so anything
        inconsistent is an InvalidInputError naming ``field`` and the part at fault."""
        if not isinstance(data, Mapping):
            raise _bad(f"{field} must be an object, got {type(data).__name__}", field)
        count = _count(data.get("count"), f"{field}.count", minimum=1)
        if data.get("kind") == "categorical":
            where = f"{field}.categories"
            found = data.get("categories")
            if (
                not isinstance(found, Mapping)
                or len(found) > MAX_CATEGORIES + 1
                or not all(isinstance(k, str) and len(k) <= MAX_CATEGORY for k in found)
            ):
                raise _bad(f"{where} must map at most {MAX_CATEGORIES + 1} names to counts", where)
            tally = {k: _count(v, f"{where}.{k}") for k, v in found.items()}
            _require(sum(tally.values()) == count, where, "add up to count")
            return cls("categorical", count, categories=tally)
        _require(data.get("kind") == "numeric", f"{field}.kind", "be numeric or categorical")
        edges = [_number(e, f"{field}.edges") for e in _items(data, "edges", field)]
        counts = [_count(c, f"{field}.counts") for c in _items(data, "counts", field)]
        quantiles = [_number(q, f"{field}.quantiles") for q in _items(data, "quantiles", field)]
        mean, std, low, high = (_number(data.get(k), f"{field}.{k}") for k in _STATS)
        ok = len(edges) <= NUMERIC_BINS and all(a < b for a, b in pairwise(edges))
        _require(ok, f"{field}.edges", f"be at most {NUMERIC_BINS} increasing numbers")
        ok = len(counts) == len(edges) + 1 and sum(counts) == count
        _require(ok, f"{field}.counts", "have one entry more than edges and add up to count")
        ok = len(quantiles) == QUANTILES and all(a <= b for a, b in pairwise(quantiles))
        ok = ok and quantiles[0] == low and quantiles[-1] == high
        _require(ok, f"{field}.quantiles", f"be {QUANTILES} ascending numbers, min to max")
        _require(std >= 0, f"{field}.std", "not be negative")
        return cls("numeric", count, edges, counts, quantiles, mean, std, low, high)


def check_columns(data: Mapping[str, Any], *, field: str = "data") -> dict[str, Column]:
    """Validate a mapping feature name -> one-dimensional sequence of values (a list, a
    tuple, a numpy array, or anything np.asarray takes, such as a pandas Series).

    Numbers (bools excepted) become float64 arrays and must be finite; strings, and bools as
    "True"/"False", become lists of str.  Every column is non-empty, holds at most MAX_VALUES
    values of one kind and no None, and all have the same length.  Errors name the feature
    and carry ``details["field"] == f"{field}.{name}"``.
    """
    if not isinstance(data, Mapping):
        raise _bad(f"{field} must map feature names to values, not {type(data).__name__}", field)
    if not data or len(data) > MAX_FEATURES:
        message = f"{field} has {len(data)} features; it needs 1 to {MAX_FEATURES}"
        raise _bad(message, field, limit=MAX_FEATURES)
    columns: dict[str, Column] = {}
    for name, raw in data.items():
        where = _check_name(name, field)
        column = _column(f"feature {name!r}", raw, where)
        first, first_column = next(iter(columns.items()), (name, column))
        if len(column) != len(first_column):
            message = (
                f"feature {name!r} has {len(column)} values but feature {first!r} has "
                f"{len(first_column)}; all features need the same number"
            )
            raise _bad(message, where, length=len(column), expected=len(first_column))
        columns[name] = column
    return columns


def profile(values: Column) -> FeatureProfile:
    """The reference profile of one column as returned by ``check_columns``."""
    if len(values) == 0:
        raise _bad("cannot profile an empty column", "values")
    if not isinstance(values, np.ndarray):
        tally = Counter(values)
        tally.pop(OTHER, None)  # a literal OTHER value is counted with the rest
        top = heapq.nsmallest(MAX_CATEGORIES, tally.items(), key=lambda kv: (-kv[1], kv[0]))
        categories = dict(top)
        rest = len(values) - sum(categories.values())
        if rest:
            categories[OTHER] = rest
        return FeatureProfile("categorical", len(values), categories=categories)
    ordered = np.sort(np.asarray(values, dtype=np.float64))
    quantiles = _quantiles(ordered)
    step = (QUANTILES - 1) // NUMERIC_BINS
    edges = np.unique(quantiles[step : QUANTILES - 1 : step])
    low = ordered[0]
    if edges[0] == low and np.isfinite(np.nextafter(low, -np.inf)):
        # A point mass at the minimum (a constant, a zero-inflated feature): an edge just
        # below it gives values under the minimum a bin of their own instead of mixing
        # them with the mass.
        edges = np.concatenate(([np.nextafter(low, -np.inf)], edges))
    counts = np.bincount(np.searchsorted(edges, ordered), minlength=edges.size + 1)
    scale = max(-low, ordered[-1])
    if scale > 1e150:  # keep sums and squares inside the float range
        mean = float(np.mean(ordered / scale) * scale)
        std = float(np.std(ordered / scale) * scale)
    else:
        mean, std = float(np.mean(ordered)), float(np.std(ordered))
    lists = edges.tolist(), counts.tolist(), quantiles.tolist()
    stats = mean, std, float(low), float(ordered[-1])
    return FeatureProfile("numeric", int(ordered.size), *lists, *stats)


def psi(reference: FeatureProfile, values: Column) -> float:
    """Population stability index of ``values`` against the reference's bins: the sum over
    bins of (p - q) * ln(p / q), q the reference share and p the production share, each at
    least SHARE_FLOOR.  Categorical bins are the reference categories plus OTHER, which takes
    every category the reference does not name."""
    _check_kind(reference, values, "values", "values")
    if isinstance(values, np.ndarray):
        edges = np.asarray(reference.edges, dtype=np.float64)
        seen = np.bincount(np.searchsorted(edges, values), minlength=edges.size + 1)
        expected = np.asarray(reference.counts, dtype=np.float64)
    else:
        names = [c for c in reference.categories if c != OTHER]
        tally = Counter(values)
        known = [tally.get(c, 0) for c in names]
        seen = np.asarray([*known, len(values) - sum(known)])
        expected = np.asarray([reference.categories[c] for c in names], dtype=np.float64)
        expected = np.append(expected, reference.categories.get(OTHER, 0))
    q = np.maximum(expected / expected.sum(), SHARE_FLOOR)
    p = np.maximum(seen / seen.sum(), SHARE_FLOOR)
    return float(np.sum((p - q) * np.log(p / q)))


def ks(reference: FeatureProfile, values: Column) -> float | None:
    """sup over x of |F_ref(x) - F_prod(x)|; None for a categorical feature.  F_ref is
    piecewise linear through the stored quantiles (quantile i at probability i / 100), 0
    below the minimum and 1 above the maximum; F_prod is the empirical CDF of ``values``.

    Between two neighbouring points of the stored quantiles and the production values both
    CDFs are linear or constant, so the supremum is reached at such a point, from one side
    or the other: evaluating both one-sided limits at every point gives it exactly."""
    _check_kind(reference, values, "values", "values")
    if not isinstance(values, np.ndarray):
        return None
    x = np.sort(np.asarray(values, dtype=np.float64))
    q = np.asarray(reference.quantiles, dtype=np.float64)
    if max(-x[0], x[-1], -q[0], q[-1]) > 1e300:  # differences must stay finite; /4 is exact
        x, q = x / 4, q / 4
    points = np.concatenate((x, q))
    right = _reference_cdf(q, points, right=True) - np.searchsorted(x, points, "right") / x.size
    left = _reference_cdf(q, points, right=False) - np.searchsorted(x, points, "left") / x.size
    return float(max(np.abs(right).max(), np.abs(left).max()))


def compare(
    reference: Mapping[str, FeatureProfile], batch: Mapping[str, Any]
) -> dict[str, dict[str, float | int | None]]:
    """PSI, KS and count of each feature of ``batch`` against its reference profile; a
    reference feature that the batch lacks is not compared, an unknown one is refused."""
    columns = check_columns(batch, field="data")
    for name in columns:
        if name not in reference:
            known = sorted(reference)
            listed = ", ".join(map(repr, known)) or "none"
            message = f"feature {name!r} is not in the reference profile; known features: {listed}"
            raise _bad(message, f"data.{name}", known=known)
    result: dict[str, dict[str, float | int | None]] = {}
    for name, values in columns.items():
        ref = reference[name]
        _check_kind(ref, values, f"feature {name!r}", f"data.{name}")
        result[name] = {"psi": psi(ref, values), "ks": ks(ref, values), "count": len(values)}
    return result


def _reference_cdf(q: Floats, z: Floats, *, right: bool) -> Floats:
    """The CDF through the quantiles at ``z`` (right=True), or its limit from the left; the
    two differ where quantiles repeat, a point mass that the CDF jumps over."""
    last = q.size - 1
    if right:
        inside, below = (z >= q[0]) & (z < q[-1]), z < q[0]
    else:
        inside, below = (z > q[0]) & (z <= q[-1]), z <= q[0]
    j = np.clip(np.searchsorted(q, z, "right" if right else "left") - 1, 0, last - 1)
    width = np.where(inside, q[j + 1] - q[j], 1.0)  # inside, q[j] < q[j+1]: never 0
    frac = np.where(inside, (z - q[j]) / width, 0.0)
    return np.where(inside, (j + frac) / last, np.where(below, 0.0, 1.0))


def _quantiles(ordered: Floats) -> Floats:
    """QUANTILES linear-interpolated quantiles of a sorted array (numpy's default method),
    computed so that no difference of two values can overflow."""
    steps = QUANTILES - 1
    pos = np.arange(QUANTILES, dtype=np.int64) * (ordered.size - 1)
    lo, frac = pos // steps, (pos % steps) / steps
    hi = np.minimum(lo + 1, ordered.size - 1)
    mixed = ordered[lo] * (1 - frac) + ordered[hi] * frac
    return np.maximum.accumulate(np.clip(mixed, ordered[lo], ordered[hi]))


def _check_kind(reference: FeatureProfile, values: Column, label: str, where: str) -> None:
    numeric = isinstance(values, np.ndarray)
    if numeric != (reference.kind == "numeric"):
        got = "numbers" if numeric else "strings"
        raise _bad(f"{label}: got {got} but the reference profile is {reference.kind}", where)
    if len(values) == 0:
        raise _bad(f"{label} has no values", where)


def _check_name(name: object, field: str) -> str:
    if not isinstance(name, str) or not name:
        raise _bad(f"{field} has a feature name that is not a non-empty string: {name!r}", field)
    if len(name) > MAX_FEATURE_NAME or _CONTROL.search(name) or not _encodable(name):
        message = (
            f"feature name {name[:60]!r} is {len(name)} characters; it needs at most "
            f"{MAX_FEATURE_NAME}, with no control characters or lone surrogates"
        )
        raise _bad(message, f"{field}.{name}", limit=MAX_FEATURE_NAME)
    return f"{field}.{name}"


def _column(label: str, raw: object, where: str) -> Column:
    if raw is None or isinstance(raw, (str, bytes, Mapping)):
        raise _bad(f"{label} must be a sequence of values, not {type(raw).__name__}", where)
    items: list[Any] | tuple[Any, ...]
    if isinstance(raw, (list, tuple)):
        _check_size(label, len(raw), where)
        items = raw
    else:
        try:
            array = np.asarray(raw)
        except (TypeError, ValueError) as exc:
            raise _bad(f"{label} is not a one-dimensional sequence: {exc}", where) from exc
        if array.ndim != 1:
            raise _bad(f"{label} must be one-dimensional, not {array.ndim}-dimensional", where)
        if array.dtype.kind not in "iufbUO":
            raise _bad(f"{label} has values of unsupported type {array.dtype}", where)
        _check_size(label, array.size, where)
        if array.dtype.kind in "iuf":
            return _finite(label, array.astype(np.float64, copy=False), where)
        items = np.where(array, "True", "False").tolist() if array.dtype == bool else array.tolist()
    kinds = {_kind(t) for t in set(map(type, items))}
    if kinds == {"number"}:
        try:
            return _finite(label, np.asarray(items, dtype=np.float64), where)
        except OverflowError as exc:
            raise _bad(f"{label} has a number beyond the float range", where) from exc
    if kinds == {"bool"}:
        return ["True" if v else "False" for v in items]
    if kinds == {"string"}:
        return _strings(label, list(items), where)
    first = _kind(type(items[0]))
    for i, value in enumerate(items):
        kind, name = _kind(type(value)), type(value).__name__
        problem = {"none": "None (a missing value)", "nested": f"a {name} (not one-dimensional)"}
        problem["other"] = f"a {name} (neither a number nor a string)"
        if kind in problem or kind != first:
            what = problem.get(kind, f"a {kind} among {first} values (one kind per feature)")
            raise _bad(f"{label} has {what} at index {i}", where, index=i)
    raise _bad(f"{label} has values of mixed types", where)  # not reached: a kind differs


def _check_size(label: str, size: int, where: str) -> None:
    if not 0 < size <= MAX_VALUES:
        message = f"{label} has {size} values; it needs 1 to {MAX_VALUES}"
        raise _bad(message, where, limit=MAX_VALUES)


def _kind(kind: type) -> str:
    if issubclass(kind, (bool, np.bool_)):
        return "bool"
    if issubclass(kind, (int, float, np.integer, np.floating)):
        return "number"
    if issubclass(kind, str):
        return "string"
    if kind is type(None):
        return "none"
    if issubclass(kind, (list, tuple, set, Mapping, np.ndarray)):
        return "nested"
    return "other"


def _finite(label: str, values: Floats, where: str) -> Floats:
    finite = np.isfinite(values)
    if not finite.all():
        i = int(np.argmin(finite))
        message = f"{label} has {values[i]} at index {i}; values must be finite numbers"
        raise _bad(message, where, index=i)
    return values


def _strings(label: str, values: list[str], where: str) -> list[str]:
    if max(map(len, values)) <= MAX_CATEGORY and all(map(str.isascii, values)):
        return values
    for i, value in enumerate(values):
        if len(value) > MAX_CATEGORY or not _encodable(value):
            message = (
                f"{label} has a value at index {i} of {len(value)} characters (at most "
                f"{MAX_CATEGORY}, with no lone surrogates)"
            )
            raise _bad(message, where, index=i, limit=MAX_CATEGORY)
    return values


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _items(data: Mapping[str, Any], key: str, field: str) -> list[Any]:
    value = data.get(key)
    ok = isinstance(value, (list, tuple)) and len(value) <= QUANTILES
    _require(ok, f"{field}.{key}", f"be a list of at most {QUANTILES} numbers")
    return list(value) if isinstance(value, (list, tuple)) else []


def _number(value: object, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not abs(value) <= _BIG:
        raise _bad(f"{where} must be a finite number, got {type(value).__name__}", where)
    return float(value)


def _count(value: object, where: str, *, minimum: int = 0) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise _bad(f"{where} must be an integer of at least {minimum}", where)
    return value


def _require(ok: bool, where: str, rule: str) -> None:
    if not ok:
        raise _bad(f"{where} must {rule}", where)


def _bad(message: str, where: str, **extra: Any) -> InvalidInputError:
    return InvalidInputError(message, details={"field": where, **extra})

"""MetricHistory: a metric's points as a sequence, with cheap numpy columns."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, overload

from labledger.core.entities import MetricSeries

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt


@dataclass(frozen=True, slots=True)
class MetricPoint:
    step: int
    value: float
    timestamp: int


class MetricHistory(Sequence[MetricPoint]):
    """Points of one metric.  ``.steps``, ``.values``, ``.timestamps`` are numpy arrays."""

    def __init__(self, series: MetricSeries) -> None:
        self._series = series
        self.key = series.key
        self.total_points = series.total_points
        self.downsampled = series.downsampled

    def __len__(self) -> int:
        return len(self._series.steps)

    @overload
    def __getitem__(self, index: int) -> MetricPoint: ...

    @overload
    def __getitem__(self, index: slice) -> list[MetricPoint]: ...

    def __getitem__(self, index: int | slice) -> MetricPoint | list[MetricPoint]:
        s = self._series
        if isinstance(index, slice):
            return [
                MetricPoint(st, v, t)
                for st, v, t in zip(
                    s.steps[index], s.values[index], s.timestamps[index], strict=True
                )
            ]
        return MetricPoint(s.steps[index], s.values[index], s.timestamps[index])

    def __iter__(self) -> Iterator[MetricPoint]:
        s = self._series
        for st, v, t in zip(s.steps, s.values, s.timestamps, strict=True):
            yield MetricPoint(st, v, t)

    def __repr__(self) -> str:
        return f"MetricHistory(key={self.key!r}, points={len(self)}, total={self.total_points})"

    @property
    def steps(self) -> npt.NDArray[np.int64]:
        import numpy as np

        return np.asarray(self._series.steps, dtype=np.int64)

    @property
    def values(self) -> npt.NDArray[np.float64]:
        import numpy as np

        return np.asarray(self._series.values, dtype=np.float64)

    @property
    def timestamps(self) -> npt.NDArray[np.int64]:
        import numpy as np

        return np.asarray(self._series.timestamps, dtype=np.int64)

"""What an import read and wrote, kept up to date as it goes (the CLI's progress bar reads
it after every step, and prints its table at the end).

For each kind of record: ``read`` from the source, ``written`` (new in LabLedger),
``present`` (found already there: a second import finds everything so and writes nothing),
``skipped`` (with a reason in ``notes``).  A run already imported completely is not read
again, so a second import reads its runs' listings but not their histories or files."""

from __future__ import annotations

from dataclasses import dataclass, field

ROWS = (
    "experiments",
    "runs",
    "params",
    "tags",
    "metric points",
    "artifacts",
    "artifact bytes",
    "models",
    "versions",
    "aliases",
)


@dataclass
class Count:
    read: int = 0
    written: int = 0
    present: int = 0
    skipped: int = 0


@dataclass
class ImportReport:
    source: str
    target: str
    counts: dict[str, Count] = field(default_factory=lambda: {r: Count() for r in ROWS})
    runs_total: int = 0
    runs_done: int = 0
    current: str = ""  # what is being copied now, for the progress bar
    notes: list[str] = field(default_factory=list)  # skipped records and renamed ones, why
    errors: list[str] = field(default_factory=list)  # records that could not be imported

    def read(self, row: str, n: int = 1) -> None:
        self.counts[row].read += n

    def wrote(self, row: str, n: int = 1) -> None:
        self.counts[row].written += n

    def found(self, row: str, n: int = 1) -> None:
        self.counts[row].present += n

    def skip(self, row: str, why: str, n: int = 1) -> None:
        self.counts[row].skipped += n
        self.notes.append(why)

    @property
    def written(self) -> int:
        return sum(c.written for c in self.counts.values())

    def table(self) -> list[tuple[str, int, int, int, int]]:
        return [(r, c.read, c.written, c.present, c.skipped) for r, c in self.counts.items()]

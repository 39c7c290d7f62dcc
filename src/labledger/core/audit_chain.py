"""The audit log's hash chain: what an entry's hash covers, and how a chain is checked.

Each entry's hash is the SHA-256 of the previous entry's hash and of the entry's own fields
in one canonical JSON form, so editing, removing or inserting an entry changes every hash
after it.  ``GENESIS`` is the "previous hash" of the first entry.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

import orjson

GENESIS = "0" * 64

# the fields an entry's hash covers, in this order (the row's own ``hash`` is not one)
HASHED_FIELDS = (
    "seq",
    "time_ms",
    "actor",
    "actor_id",
    "action",
    "target",
    "project",
    "run_id",
    "details",
    "request_id",
    "address",
    "prev_hash",
)


def entry_hash(entry: dict[str, Any]) -> str:
    """The hash of an entry (a mapping holding every name in ``HASHED_FIELDS``)."""
    canonical = orjson.dumps([entry[name] for name in HASHED_FIELDS])
    return hashlib.sha256(canonical).hexdigest()


@dataclass(slots=True)
class ChainCheck:
    """Walks entries in ``seq`` order; ``problem`` names the first break found.
    ``head_seq`` is the number of the last entry written (kept apart from the entries):
    anything after it was inserted."""

    head_seq: int
    checked: int = 0
    last_seq: int = 0
    last_hash: str = GENESIS
    problem: dict[str, Any] | None = field(default=None)

    def feed(self, entry: dict[str, Any]) -> bool:
        """Check the next entry; False once a break is found (stop feeding then)."""
        seq = entry["seq"]
        if seq > self.head_seq:
            return self._broken(
                "inserted",
                seq,
                f"entry {seq} was added after the last entry written ({self.head_seq})",
            )
        if seq != self.last_seq + 1:
            kind = "removed" if seq > self.last_seq + 1 else "inserted"
            missing = self.last_seq + 1
            return self._broken(
                kind,
                seq if kind == "inserted" else missing,
                f"entry {missing} is missing (the next entry is {seq})"
                if kind == "removed"
                else f"entry {seq} is out of order after entry {self.last_seq}",
            )
        if entry["prev_hash"] != self.last_hash:
            return self._broken(
                "inserted_or_removed",
                seq,
                f"entry {seq} does not follow entry {self.last_seq}: its previous hash differs",
            )
        if entry_hash(entry) != entry["hash"]:
            return self._broken("altered", seq, f"entry {seq} was altered: its hash differs")
        self.checked += 1
        self.last_seq, self.last_hash = seq, entry["hash"]
        return True

    def finish(self, head_hash: str) -> None:
        """The chain must end where the head (the last entry written) says."""
        if self.problem is not None:
            return
        if self.last_seq < self.head_seq:
            self._broken(
                "removed",
                self.last_seq + 1,
                f"entries {self.last_seq + 1}..{self.head_seq} are missing from the end",
            )
        elif self.last_hash != head_hash:
            self._broken(
                "altered", self.head_seq, f"entry {self.head_seq} differs from the one written"
            )

    def _broken(self, kind: str, seq: int, message: str) -> bool:
        self.problem = {"kind": kind, "seq": seq, "message": message}
        return False

"""What a server process remembers of credentials and roles, and when it forgets.

Looking a token and a role up in the database on every request costs more than the
request itself (bench/auth).  A server process keeps what it looked up here and drops all
of it when access may have been taken away:

- at once, in the process that made the change (``changed``, after its commit);
- within ``recheck_s`` (one second) in every other process: every change that can take
  access away (a token or session revoked, a user disabled, a role or default role
  changed, a password changed, a project created) moves ``auth_generation`` in its own
  transaction, and a process reads that one number at most once per ``recheck_s``.

Expiry needs no database: a cached credential carries its ``expires_ms``.  Entries are
bounded (least recently used go first).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from typing import Any

from labledger.store import access_state
from labledger.store.database import Database

RECHECK_S = 1.0
MAX_ENTRIES = 20_000


class AccessCache:
    def __init__(self, db: Database, recheck_s: float = RECHECK_S) -> None:
        self.db = db
        self.recheck_s = recheck_s
        self._entries: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
        self._generation: int | None = None
        self._checked = float("-inf")
        self._lock = threading.Lock()

    def get(self, key: tuple[Any, ...]) -> Any | None:
        self._recheck()
        with self._lock:
            value = self._entries.get(key)
            if value is not None:
                self._entries.move_to_end(key)
            return value

    def put(self, key: tuple[Any, ...], value: Any) -> None:
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > MAX_ENTRIES:
                self._entries.popitem(last=False)

    def changed(self) -> None:
        """This process changed access: forget everything, and read the generation anew
        at the next lookup."""
        with self._lock:
            self._entries.clear()
            self._checked = float("-inf")

    def _recheck(self) -> None:
        now = time.monotonic()
        if now - self._checked < self.recheck_s:
            return
        with self.db.read() as conn:
            generation = access_state.read(conn)
        with self._lock:
            if generation != self._generation:
                self._entries.clear()
                self._generation = generation
            self._checked = now

"""Engine creation and transaction helpers for SQLite (embedded) and PostgreSQL.

SQLite runs in WAL mode with a long busy timeout and ``BEGIN IMMEDIATE`` for write
transactions, so that many processes writing to one store wait for each other instead of
failing with "database is locked".  Reads use deferred transactions and never block writers.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.exc import OperationalError
from tenacity import retry, retry_if_exception, stop_after_delay, wait_random_exponential

# What Database.read()/write() yield: services hold it and hand it to the store's functions
# without importing SQLAlchemy themselves (an import-linter contract).
__all__ = ["Connection", "Database", "display_uri", "sqlite_uri_for_dir"]

SQLITE_BUSY_TIMEOUT_MS = 60_000


def sqlite_uri_for_dir(data_dir: str | os.PathLike[str]) -> str:
    path = Path(data_dir).expanduser().resolve()
    path.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{path / 'labledger.db'}"


def display_uri(uri: str) -> str:
    """A database URL fit to print: without its password."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(uri).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - an unparsable URL is shown as nothing
        return "the database"


def _is_locked(exc: BaseException) -> bool:
    return isinstance(exc, OperationalError) and "locked" in str(exc.orig).lower()


class Database:
    """Owns one engine.  ``write()`` and ``read()`` yield a connection in a transaction."""

    def __init__(self, uri: str, *, pool_size: int = 5, **engine_kwargs: Any) -> None:
        self.uri = uri
        self.is_sqlite = uri.startswith("sqlite")
        self.engine: Engine = self._create_engine(uri, pool_size, engine_kwargs)
        self.key_ids: dict[str, int] = {}  # metric key name -> id; ids never change
        # SQLite has one write lock per database.  Threads of this process queue for it
        # here, in order, instead of in SQLite's busy handler, which sleeps up to 100 ms
        # between tries (bench/load: p99 lock wait 599 ms with four writers).  Other
        # processes still meet in the busy handler.
        self._write_turn = threading.RLock() if self.is_sqlite else None

    def _create_engine(self, uri: str, pool_size: int, kwargs: dict[str, Any]) -> Engine:
        if not self.is_sqlite:
            kwargs.setdefault("pool_size", pool_size)
            kwargs.setdefault("max_overflow", pool_size * 2)
            kwargs.setdefault("pool_pre_ping", True)
            return create_engine(uri, **kwargs)
        kwargs.setdefault("connect_args", {})
        kwargs["connect_args"].update(
            {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, "check_same_thread": False}
        )
        if ":memory:" in uri or uri.rstrip("/") == "sqlite:":
            raise ValueError("an in-memory SQLite database cannot be shared; give a file path")
        engine = create_engine(uri, **kwargs)
        event.listen(engine, "connect", _sqlite_on_connect)
        event.listen(engine, "begin", _sqlite_on_begin)
        return engine

    @contextmanager
    def write(self) -> Iterator[Connection]:
        if self._write_turn is None:
            with self.engine.begin() as conn:
                yield conn
            return
        with self._write_turn, self.engine.begin() as conn:
            yield conn

    @contextmanager
    def read(self) -> Iterator[Connection]:
        with self.engine.connect() as conn:
            conn.execution_options(ll_readonly=True)
            with conn.begin():
                yield conn

    def run_write(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        """Run ``fn(conn, ...)`` in a write transaction, retrying if SQLite says 'locked'."""

        @retry(
            retry=retry_if_exception(_is_locked),
            wait=wait_random_exponential(multiplier=0.01, max=1.0),
            stop=stop_after_delay(120),
            reraise=True,
        )
        def attempt() -> Any:
            with self.write() as conn:
                return fn(conn, *args, **kwargs)

        return attempt()

    def size_bytes(self) -> int:
        """Bytes the database occupies (SQLite: pages in use; PostgreSQL: the database)."""
        with self.read() as conn:
            if conn.dialect.name == "postgresql":
                size = conn.execute(text("SELECT pg_database_size(current_database())"))
                return int(size.scalar_one())
            pages = conn.execute(text("PRAGMA page_count")).scalar_one()
            page_size = conn.execute(text("PRAGMA page_size")).scalar_one()
            return int(pages) * int(page_size)

    def dispose(self) -> None:
        self.engine.dispose()


def _sqlite_on_connect(dbapi_conn: sqlite3.Connection, _record: object) -> None:
    # Let SQLAlchemy, not pysqlite, decide when transactions begin.
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
    cur.execute("PRAGMA journal_mode = WAL")
    cur.execute("PRAGMA synchronous = NORMAL")
    cur.execute("PRAGMA foreign_keys = ON")
    cur.execute("PRAGMA case_sensitive_like = ON")
    cur.execute("PRAGMA cache_size = -65536")
    cur.close()


def _sqlite_on_begin(conn: Connection) -> None:
    if conn.get_execution_options().get("ll_readonly"):
        conn.exec_driver_sql("BEGIN")
    else:
        conn.exec_driver_sql("BEGIN IMMEDIATE")

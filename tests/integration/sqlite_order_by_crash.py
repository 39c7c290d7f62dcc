"""Minimal pure-SQL reproduction of the SQLite crash behind MAX_ORDER_KEYS (docs/search.md).

A SELECT whose ORDER BY has 64 or more terms, over a LEFT JOIN to a table joined on a
unique key, dies with SIGSEGV on SQLite 3.40.0 to 3.46.0 (Debian 12's libsqlite3 is
3.40.1; fixed in 3.46.1).  With more than 63 terms ``sqlite3WhereBegin`` gives up on
using the ORDER BY (its terms are tracked in a 64-bit mask) and drops it from the WHERE
planner; the omit-noop-join optimisation then sees no use of the LEFT JOIN's table and
leaves the join out, while the sorter still reads that table's columns from a cursor that
was never opened.  ``EXPLAIN`` of the 64-term query shows no ``OpenRead`` for ``u`` but
``Column 1 ...`` reads from it.  A search ordered by 32 metric keys emitted 64 terms.

    python tests/integration/sqlite_order_by_crash.py 63   # prints [(1,)]
    python tests/integration/sqlite_order_by_crash.py 64   # SIGSEGV on 3.40.0-3.46.0

It runs the query in a child process (the crash takes the process with it) and prints the
SQLite version, the child's return code and its output.  ``tests/integration/
test_search_limits.py`` runs it with the largest ORDER BY a search may now emit.
"""

from __future__ import annotations

import subprocess
import sys

SETUP = [
    "CREATE TABLE t(a INTEGER PRIMARY KEY)",
    "CREATE TABLE u(a INT PRIMARY KEY, b INT)",
    "INSERT INTO t VALUES (1)",
    "INSERT INTO u VALUES (1, 1)",
]


def query(terms: int) -> str:
    return f"SELECT 1 FROM t LEFT JOIN u ON u.a = t.a ORDER BY {', '.join(['u.b'] * terms)}"


def child_code(terms: int) -> str:
    return (
        "import sqlite3\n"
        "c = sqlite3.connect(':memory:')\n"
        f"for s in {SETUP!r}:\n"
        "    c.execute(s)\n"
        f"print(c.execute({query(terms)!r}).fetchall())\n"
    )


def run(terms: int, python: str = sys.executable) -> subprocess.CompletedProcess[str]:
    """The query with ``terms`` ORDER BY terms, in a child process."""
    return subprocess.run(
        [python, "-c", child_code(terms)], capture_output=True, text=True, timeout=60
    )


if __name__ == "__main__":
    import sqlite3

    n = int(sys.argv[1]) if len(sys.argv) > 1 else 64
    done = run(n)
    print(  # noqa: T201
        f"SQLite {sqlite3.sqlite_version}, {n} ORDER BY terms: return code {done.returncode} "
        f"{done.stdout.strip()} {done.stderr.strip()}"
    )

"""Import time: ``python -c "import labledger"`` vs ``import mlflow`` in fresh processes.

Bar (issue): ``import labledger`` under 150 ms, net of the interpreter's own start-up.

    .venv/bin/python -m bench.import_time [--quick] [--n 10]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

if not __package__:  # run as a file: import bench.* from the repo root
    sys.path[0] = str(Path(__file__).resolve().parents[1])

from bench._common import (  # noqa: E402
    fmt_s,
    header,
    median,
    mlflow_python,
    note,
    package_version,
    process_wall_times,
    quiet_env,
    table,
    times_better,
    verdict,
)

BAR_S = 0.150
HEAVY = ("sqlalchemy", "fastapi", "starlette", "pydantic", "uvicorn", "httpx", "numpy",
         "alembic", "lark", "boto3", "rich", "click")


def heavy_modules(python: str, module: str) -> list[str]:
    code = (f"import sys, json, {module}; "
            f"print(json.dumps([m for m in {list(HEAVY)!r} if m in sys.modules]))")
    out = subprocess.run([python, "-c", code], capture_output=True, text=True, check=True,
                         env=quiet_env())
    loaded: list[str] = json.loads(out.stdout.strip().splitlines()[-1])
    return loaded


def slowest_imports(python: str, module: str, top: int = 8) -> list[tuple[int, str]]:
    """(cumulative µs, module) of the slowest imports under ``-X importtime``."""
    out = subprocess.run([python, "-X", "importtime", "-c", f"import {module}"],
                         capture_output=True, text=True, check=True, env=quiet_env())
    entries = []
    for line in out.stderr.splitlines():
        parts = line.split("|")
        if len(parts) == 3 and parts[1].strip().isdigit():
            entries.append((int(parts[1]), parts[2].rstrip()))
    return sorted(entries, reverse=True)[:top]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="5 processes instead of 10")
    parser.add_argument("--n", type=int, default=None, help="fresh processes per measurement")
    args = parser.parse_args()
    n = args.n or (5 if args.quick else 10)

    mlflow_py = mlflow_python()
    ours, theirs = sys.executable, mlflow_py
    note(f"timing {n} fresh processes per case")
    t = {
        "ll_base": process_wall_times([ours, "-c", "pass"], n),
        "ll": process_wall_times([ours, "-c", "import labledger"], n),
        "ml_base": process_wall_times([theirs, "-c", "pass"], n),
        "ml": process_wall_times([theirs, "-c", "import mlflow"], n),
    }
    m = {k: median(v) for k, v in t.items()}
    net_ll = m["ll"] - m["ll_base"]
    net_ml = m["ml"] - m["ml_base"]

    header("Import time", ["python", "-m", "bench.import_time", *sys.argv[1:]])
    print(f"- peer: mlflow {package_version(mlflow_py, 'mlflow')} (own venv)")
    print(f"- median of {n} fresh processes each, after one untimed warm-up")
    table(
        ["measurement", "LabLedger", "MLflow", "LabLedger faster by"],
        [
            ["`python -c pass` (baseline)", fmt_s(m["ll_base"]), fmt_s(m["ml_base"]), ""],
            ["`python -c 'import X'`", fmt_s(m["ll"]), fmt_s(m["ml"]),
             times_better(m["ll"], m["ml"])],
            ["import X, net of baseline", fmt_s(net_ll), fmt_s(net_ml),
             times_better(net_ll, net_ml)],
            ["fastest run, net of fastest baseline",
             fmt_s(min(t["ll"]) - min(t["ll_base"])), fmt_s(min(t["ml"]) - min(t["ml_base"])),
             ""],
        ],
    )
    print(f"Bar: `import labledger` net under {fmt_s(BAR_S)}: {verdict(net_ll < BAR_S)} "
          f"({fmt_s(net_ll)}).")
    loaded = heavy_modules(ours, "labledger")
    print(f"\nHeavy packages loaded by `import labledger`: {', '.join(loaded) or 'none'}.")
    print("\nSlowest imports under `python -X importtime -c 'import labledger'` "
          "(cumulative):\n")
    for micros, name in slowest_imports(ours, "labledger"):
        print(f"    {micros / 1000:8.1f} ms  {name.strip()}")
    print()


if __name__ == "__main__":
    main()

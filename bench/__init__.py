"""Benchmark scripts: each runs LabLedger and its peer (MLflow) and prints ratios.

Run them from the repository root with the project's venv, e.g. ``python -m bench.search``.
"""

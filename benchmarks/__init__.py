"""Reproducible benchmarks. Each module has `main() -> None` that prints its figures.

`python -m benchmarks` (what `make bench` runs) runs them all; `python -m benchmarks.<name>` runs one.
"""

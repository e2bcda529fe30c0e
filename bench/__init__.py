"""Benchmarks of this project's kernels on plsim's cost model (repository only, not installed).

``python -m bench`` prints the decode indexer's modeled time against the chip's floor for the
configurations of issue 19 (bench/__main__.py).
"""

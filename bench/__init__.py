"""Benchmarks of chatprint, each a ratio against a floor measured in the same run.

Run them all with ``python -m bench``; the README's "Benchmarks" section says what
each figure means.
"""

"""Benchmarks (`make bench`): printed figures, never part of the test suite."""

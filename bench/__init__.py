"""Benchmarks of Likeness; results are written to bench/results/."""

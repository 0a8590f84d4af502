"""Benchmarks at scale (issue 7): ``make bench SCALE=10000``; see bench/README.md."""

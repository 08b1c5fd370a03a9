"""Speed benchmarks: `make bench` (python -m benchmarks). Ratios are against baselines run in the same process."""

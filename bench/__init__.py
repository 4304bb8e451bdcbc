"""Benchmarks run by hand (``python -m bench.bench_ingest``); figures go to bench/RESULTS.md."""

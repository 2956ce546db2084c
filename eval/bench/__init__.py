"""Benchmarks: ingest throughput, query latency at scale, concurrent load (``python -m eval.bench``)."""

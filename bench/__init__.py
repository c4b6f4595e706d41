"""Benchmarks of the matching package: quality against a synthetic oracle, and speed."""

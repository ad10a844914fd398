"""Benchmarks for Firebell; run from the repository root (see bench/README.md)."""

"""Whole-program tests: the README and docs as written, earlier releases' stores, PostgreSQL."""

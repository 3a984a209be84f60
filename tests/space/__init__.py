"""Tests of search spaces: domains, parameters, sampling and narrowing."""

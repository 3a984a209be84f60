"""Tests of the search steps: start, narrow, resume, auto and the final evaluation."""

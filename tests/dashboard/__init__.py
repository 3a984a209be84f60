"""Tests of the dashboard: its pages over HTTP and in a browser."""

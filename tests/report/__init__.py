"""Tests of reports, tables, exports and parameter importance."""

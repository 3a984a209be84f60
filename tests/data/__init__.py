"""Tests of finding, verifying and downloading the data sets."""

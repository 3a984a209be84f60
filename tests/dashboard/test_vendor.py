"""The vendored chart library: the file served is the one npm installs from
package-lock.json, at the version and with the licences VENDOR.json records.

``npm ci`` checks each tarball against package-lock.json's integrity hash before it
unpacks it into node_modules; so the committed copy equals what npm gives when it is
byte-equal to node_modules' file. Without node_modules (no ``npm ci`` run) that one
test is skipped, unless HPSEARCH_REQUIRE_NPM is set (as .ci/run does after ``npm ci``).
"""

from __future__ import annotations

import hashlib
import json
import os

import pytest

from tests.support import ROOT

VENDOR = ROOT / "hpsearch" / "dashboard" / "static" / "vendor"
RECORD = json.loads((VENDOR / "VENDOR.json").read_text())
LOCK = json.loads((ROOT / "package-lock.json").read_text())


def test_the_recorded_versions_are_package_locks():
    wanted = json.loads((ROOT / "package.json").read_text())["dependencies"]
    for name, package in RECORD["packages"].items():
        locked = LOCK["packages"][f"node_modules/{name}"]
        assert (package["version"], package["integrity"]) == (
            locked["version"],
            locked["integrity"],
        ), name
        assert package["license"] == locked["license"], name
    assert RECORD["packages"]["echarts"]["version"] == wanted["echarts"]


def test_the_served_file_is_the_recorded_one_with_its_licences():
    served = (VENDOR / RECORD["file"]).read_bytes()
    assert hashlib.sha256(served).hexdigest() == RECORD["sha256"]
    for package in RECORD["packages"].values():
        for name in package["licence_files"]:
            assert (VENDOR / name).stat().st_size > 0, name


def test_the_served_file_is_byte_equal_to_what_npm_installs():
    installed = ROOT / RECORD["from"]
    if not installed.is_file():
        if os.environ.get("HPSEARCH_REQUIRE_NPM"):
            pytest.fail("no node_modules: .ci/run runs npm ci first", pytrace=False)
        pytest.skip("node_modules not installed (npm ci)")
    assert installed.read_bytes() == (VENDOR / RECORD["file"]).read_bytes()

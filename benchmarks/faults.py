"""The faults hpsearch is tried against, and what held: the table of docs/faults.md.

    python benchmarks/faults.py           # run the fault tests, write the table
    python benchmarks/faults.py --list    # the faults the tests carry, as JSON (no run)

A test that tries a fault carries ``@pytest.mark.fault(FAULT, check=CHECK)``: FAULT names
what was done to hpsearch, CHECK (a key of :data:`CHECKS`) what the test asserts was
not lost nor run twice. This runs ``pytest -m fault`` with a plugin that groups the
cases by fault, counts those that passed (held), failed or were skipped (PostgreSQL's
server programs or a second user missing), and writes the table between the markers
of docs/faults.md. Each check names the assertion a marked test must hold in its own
code (:data:`CHECKS`); a test without it is reported, and ``tests/end_to_end/test_docs.py``
fails on it, as on a table that names a fault no test carries or misses one.
"""

from __future__ import annotations

import argparse
import inspect
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "faults.md"
BEGIN = "<!-- faults table: written by benchmarks/faults.py -->"
END = "<!-- end of the faults table -->"


@dataclass(frozen=True)
class Check:
    """What a fault test asserts was kept, and the code that asserts it."""

    says: str  # the table's "lost or run twice" column
    evidence: tuple[str, ...]  # regular expressions the test's source must all match


CHECKS = {
    "same results": Check(
        "nothing lost, nothing run twice: the store equals that of a run never cut",
        (r"== (pruned_)?reference\b",),
    ),
    "finished once": Check(
        "nothing lost: `resume` finishes every trial; none had finished, none ran twice",
        (r"unfinished\) == \[\(0,\)\]", r"'completed'\"\) == \[\(0,\)\]"),
    ),
    "store unchanged": Check(
        "nothing lost, nothing written: the store as it was before", (r"\) == before\b",)
    ),
    "nothing reported": Check(
        "nothing reported from a file that is gone: one line, no leaderboard",
        (r'"Best trials" not in',),
    ),
    "one line": Check("nothing to lose: refused in one line, no store opened", (r"\bcheck\(",)),
    "works": Check("nothing refused: the command succeeds", (r"exit_code == 0",)),
    "used once": Check(
        "nothing run twice: one evaluation completes, the other is refused",
        (r'rows == \[\("completed",\)\]',),
    ),
    "text only": Check(
        "nothing run: stored names are shown as text, no markup or script",
        (r"_injected\(|foreignObject",),
    ),
    "refused": Check("nothing answered: the request is refused (400)", (r"status == 400",)),
    "not re-queued": Check(
        "nothing run twice: what finished or was claimed again meanwhile is kept as it is",
        (r"\) == kept\b",),
    ),
}


@dataclass
class Fault:
    """The cases of one fault: their check, test files and outcomes."""

    check: str
    files: set[str] = field(default_factory=set)
    cases: list[str] = field(default_factory=list)
    outcomes: dict[str, str] = field(default_factory=dict)  # node id -> passed/failed/skipped

    def count(self, outcome: str) -> int:
        return sum(value == outcome for value in self.outcomes.values())


class Collector:
    """A pytest plugin: the fault marks of the selected tests, and their outcomes."""

    def __init__(self) -> None:
        self.faults: dict[str, Fault] = {}
        self.problems: list[str] = []

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        for item in session.items:
            marker = item.get_closest_marker("fault")
            if marker is None:
                continue
            name, check = marker.args[0], marker.kwargs.get("check", "")
            if check not in CHECKS:
                self.problems.append(f"{item.nodeid}: unknown check {check!r}")
                continue
            fault = self.faults.setdefault(name, Fault(check))
            if fault.check != check:
                self.problems.append(f"{item.nodeid}: {name!r} checked as {fault.check!r}")
            source = inspect.getsource(item.function)  # type: ignore[attr-defined]
            for evidence in CHECKS[check].evidence:
                if not re.search(evidence, source):
                    self.problems.append(f"{item.nodeid}: no {evidence!r} for {check!r}")
            fault.files.add(item.nodeid.split("::")[0])
            fault.cases.append(item.nodeid)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        for fault in self.faults.values():
            if report.nodeid not in fault.cases:
                continue
            if report.failed:
                fault.outcomes[report.nodeid] = "failed"
            elif report.skipped:
                fault.outcomes[report.nodeid] = "skipped"
            elif report.when == "call":
                fault.outcomes.setdefault(report.nodeid, "passed")


def collect(run: bool) -> Collector:
    """The fault tests, run (or only collected) by pytest in this process."""
    collector = Collector()
    arguments = ["-m", "fault", "-q", "-p", "no:cacheprovider", str(ROOT / "tests")]
    if not run:
        arguments.insert(0, "--collect-only")
    code = pytest.main(arguments, plugins=[collector])
    if code not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
        raise SystemExit(f"pytest ended with {code!r}")
    return collector


def table(faults: dict[str, Fault]) -> str:
    """The markdown table, a fault a row, in the order of the tests."""
    lines = [
        "| fault tried | cases | held | skipped | lost or run twice | tests |",
        "| --- | ---: | ---: | ---: | --- | --- |",
    ]
    for name, fault in faults.items():
        files = ", ".join(f"`{path}`" for path in sorted(fault.files))
        lines.append(
            f"| {name} | {len(fault.cases)} | {fault.count('passed')} | "
            f"{fault.count('skipped')} | {CHECKS[fault.check].says} | {files} |"
        )
    return "\n".join(lines)


def written(text: str, new_table: str) -> str:
    """``text`` (docs/faults.md) with the table between its markers replaced."""
    before, _, rest = text.partition(BEGIN)
    _, _, after = rest.partition(END)
    return f"{before}{BEGIN}\n{new_table}\n{END}{after}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--list", action="store_true", help="print the faults as JSON, run none")
    args = parser.parse_args()
    collector = collect(run=not args.list)
    if args.list:
        listing = {
            name: {"check": CHECKS[f.check].says, "cases": len(f.cases)}
            for name, f in collector.faults.items()
        }
        print(json.dumps({"faults": listing, "problems": collector.problems}))
        return
    failed = [case for f in collector.faults.values() for case, o in f.outcomes.items()
              if o == "failed"]  # fmt: skip
    for problem in collector.problems + [f"{case} failed" for case in failed]:
        print(problem, file=sys.stderr)
    if collector.problems or failed:
        raise SystemExit(1)  # the table is written only when every fault held or was skipped
    DOC.write_text(written(DOC.read_text(), table(collector.faults)))
    print(table(collector.faults))


if __name__ == "__main__":
    main()

"""The README and docs/*.md: every relative link resolves, and docs/commands.md's
options tables name exactly the options of each command's ``--help``.

Anchors follow GitHub's rule for a heading's id: its text as rendered, lowercased,
every character other than a letter, a digit, a space, '-' or '_' dropped, each
space turned into '-', and a repeated id given '-1', '-2', ... in order.

An options table is the first table under a command's heading (``### `hpsearch
NAME ...` ``) whose header is ``| option | default | meaning |``. The options of a
row are the backquoted words of its first cell that start with '-', each an
option's name, its short form or its negation (``-q/--quiet``,
``--verify/--no-verify``); a row may name several options, as the rows for the
options the commands share do. Every command of ``hpsearch`` (``db upgrade`` too) has
such a table, each of its options (those ``--help`` lists: not hidden ones) is named
in it, and every name in it is one of the command's.

The faults table of docs/faults.md names exactly the faults the tests carry
(``@pytest.mark.fault``), each with its number of cases and its check, and every
marked test holds its check's assertion (see benchmarks/faults.py).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path
from types import SimpleNamespace

import faults  # benchmarks/faults.py: the tests see the benchmarks' folder
import pytest
from typer.testing import CliRunner

from hpsearch.cli import app
from tests.support import ROOT

PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
COMMANDS_PAGE = ROOT / "docs" / "commands.md"

FENCE = re.compile(r"^(`{3,}|~{3,}).*?^\1[ \t]*$", flags=re.MULTILINE | re.DOTALL)
CODE_SPAN = re.compile(r"(`+)(.+?)\1", flags=re.DOTALL)
HEADING = re.compile(r"^(#{1,6})[ \t]+(.+?)[ \t#]*$", flags=re.MULTILINE)
LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
OPTION = re.compile(r"-{1,2}[A-Za-z0-9][A-Za-z0-9-]*")


def prose(text: str) -> str:
    """The text without its fenced code blocks (a '#' comment there is no heading)."""
    return FENCE.sub("", text)


def slug(heading: str) -> str:
    """GitHub's id of a heading: rendered text, lowercased, punctuation dropped."""
    text = CODE_SPAN.sub(lambda m: m.group(2), heading)  # code spans render as their text
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", text)  # links render as their text
    text = re.sub(r"<[^>]+>", "", text)  # inline HTML
    text = text.strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(page: Path) -> set[str]:
    seen: Counter[str] = Counter()
    ids = set()
    for match in HEADING.finditer(prose(page.read_text())):
        base = slug(match.group(2))
        ids.add(base if seen[base] == 0 else f"{base}-{seen[base]}")
        seen[base] += 1
    return ids


def links(page: Path) -> list[str]:
    text = CODE_SPAN.sub("", prose(page.read_text()))
    return LINK.findall(text)


def test_slugs_follow_githubs_rule():
    assert slug("`hpsearch narrow NAME --top-k K`") == "hpsearch-narrow-name---top-k-k"
    assert (
        slug("The book's search, 100 trials × 50 epochs")
        == "the-books-search-100-trials--50-epochs"
    )
    assert slug("Where MNIST (or Fashion-MNIST) comes from") == (
        "where-mnist-or-fashion-mnist-comes-from"
    )
    assert slug("Pruning: less compute on hopeless trials") == (
        "pruning-less-compute-on-hopeless-trials"
    )
    assert slug("`auto` from the book's ranges") == "auto-from-the-books-ranges"


def test_the_docs_pages_exist_and_the_readme_links_each():
    readme_links = {target.split("#")[0] for target in links(ROOT / "README.md")}
    pages = {f"docs/{page.name}" for page in PAGES[1:]}
    assert {"docs/commands.md", "docs/store.md", "docs/running.md", "docs/results.md"} <= pages
    assert pages <= readme_links


def test_the_readme_map_names_each_subpackage_and_module():
    """ "How it is built" names every subpackage of ``hpsearch/`` as ``name/`` and, within
    its item, every module of it; and each root module of ``hpsearch/``."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    built = readme.split("## How it is built", 1)[1].split("\n## ", 1)[0]
    bullets = [item for item in built.split("\n- ")[1:] if item.startswith("`")]
    items = {item.split("`", 2)[1]: item for item in bullets}
    missing = []
    for package in sorted((ROOT / "hpsearch").glob("*/__init__.py")):
        folder = package.parent
        item = items.get(f"{folder.name}/")
        if item is None:
            missing.append(f"{folder.name}/")
            continue
        for module in sorted(folder.glob("[!_]*.py")):
            if f"`{module.name}`" not in item:
                missing.append(f"{folder.name}/{module.name}")
    for module in sorted((ROOT / "hpsearch").glob("[!_]*.py")):
        if f"`{module.name}`" not in built:
            missing.append(module.name)
    assert missing == []


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(ROOT)) for p in PAGES])
def test_every_relative_link_and_anchor_resolves(page):
    broken = []
    for target in links(page):
        if re.match(r"[a-z][a-z0-9+.-]*:", target):  # https:, mailto: ...
            continue
        path, _, anchor = target.partition("#")
        resolved = (page.parent / path).resolve() if path else page
        if not resolved.exists():
            broken.append(f"{target}: no file {resolved.relative_to(ROOT)}")
        elif anchor and resolved.suffix == ".md" and anchor not in anchors(resolved):
            broken.append(f"{target}: no heading #{anchor} in {resolved.relative_to(ROOT)}")
    assert not broken, "\n".join(broken)


# The options tables of docs/commands.md against the commands' --help.


def documented_tables() -> dict[str, set[str]]:
    """Each documented command ('start', 'db upgrade') and the option words its table names."""
    tables: dict[str, set[str]] = {}
    sections = re.split(r"^(?=#{1,6} )", prose(COMMANDS_PAGE.read_text()), flags=re.MULTILINE)
    for section in sections:
        heading = re.match(r"#{1,6} `hpsearch ((?:[a-z][a-z-]* ?)+)", section)
        table = re.search(
            r"^\| option \| default \| meaning \|\n\|[-| :]+\|\n((?:\|.*\|\n?)+)",
            section,
            flags=re.MULTILINE,
        )
        if heading is None or table is None:
            continue
        command = heading.group(1).strip()
        assert command not in tables, f"{command} has two sections"
        words = set()
        for row in table.group(1).splitlines():
            first = re.split(r"(?<!\\)\|", row)[1]
            for span in CODE_SPAN.finditer(first):
                words.update(w for w in re.split(r"[\s/]+", span.group(2)) if OPTION.fullmatch(w))
        tables[command] = words
    return tables


def cli_commands() -> dict[str, list]:
    """Each command of ``hpsearch`` ('start', 'db upgrade') and the options its --help lists."""
    import typer.main

    found: dict[str, list] = {}

    def walk(command, path: list[str]) -> None:
        if hasattr(command, "commands"):  # a group (the app, ``db``)
            for name, sub in command.commands.items():
                walk(sub, [*path, name])
        else:
            found[" ".join(path)] = [
                p for p in command.params if p.param_type_name == "option" and not p.hidden
            ]

    walk(typer.main.get_command(app), [])
    return found


TABLES = documented_tables()
COMMANDS = cli_commands()


def test_every_command_has_an_options_table():
    assert sorted(TABLES) == sorted(COMMANDS)


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_options_table_matches_help(command):
    options = COMMANDS[command]
    written = TABLES.get(command, set())
    names = {name: p for p in options for name in (*p.opts, *p.secondary_opts)}
    unknown = sorted(written - set(names))
    missing = sorted(p.opts[-1] for p in options if not written & {*p.opts, *p.secondary_opts})
    assert not unknown, f"docs/commands.md names options `hpsearch {command}` lacks: {unknown}"
    assert not missing, f"docs/commands.md lacks options of `hpsearch {command}`: {missing}"
    # and --help, as printed, lists each of them
    shown = CliRunner().invoke(app, [*command.split(), "--help"], env={"COLUMNS": "200"})
    assert shown.exit_code == 0, shown.output
    for name in names:
        assert re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", shown.output), name


def test_every_test_file_the_docs_name_exists():
    named = {
        path
        for page in PAGES
        for path in re.findall(r"tests/[\w/]+\.(?:py|sh|sql)", page.read_text(encoding="utf-8"))
    }
    assert named, "the docs name the tests that show their claims"
    assert sorted(path for path in named if not (ROOT / path).is_file()) == []


def faults_table(text: str) -> dict[str, tuple[int, str]]:
    """{fault: (cases, lost or run twice)} of the table in docs/faults.md."""
    begin, end = text.index(faults.BEGIN), text.index(faults.END)
    rows = [line for line in text[begin:end].splitlines() if line.startswith("| ")][2:]
    cells = [[cell.strip() for cell in row.strip("|").split(" | ")] for row in rows]
    return {name: (int(cases), check) for name, cases, _, _, check, _ in cells}


def test_the_faults_table_names_every_fault_a_test_carries_and_no_other():
    # the faults the tests carry, collected (not run) as benchmarks/faults.py does
    listing = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "faults.py"), "--list"],
        capture_output=True, text=True, cwd=ROOT, check=True,
    )  # fmt: skip
    carried = json.loads(listing.stdout.strip().splitlines()[-1])
    assert carried["problems"] == []  # each marked test holds its check's assertion
    expected = {name: (f["cases"], f["check"]) for name, f in carried["faults"].items()}
    table = faults_table((ROOT / "docs" / "faults.md").read_text(encoding="utf-8"))
    assert table == expected  # run `python benchmarks/faults.py` to write it again
    assert len(table) >= 20


def test_a_marked_test_without_its_checks_assertion_is_reported(tmp_path):
    class Item:  # what the collector reads of a collected test
        nodeid = "tests/test_x.py::test_x"

        def __init__(self, function):
            self.function = function

        def get_closest_marker(self, name):
            return pytest.mark.fault("a fault", check="same results").mark

    def asserts_nothing():
        pass

    def compares(results, reference):
        assert results == reference

    collector = faults.Collector()
    collector.pytest_collection_finish(SimpleNamespace(items=[Item(asserts_nothing)]))
    assert collector.problems and "same results" in collector.problems[0]
    collector = faults.Collector()
    collector.pytest_collection_finish(SimpleNamespace(items=[Item(compares)]))
    assert collector.problems == [] and list(collector.faults) == ["a fault"]

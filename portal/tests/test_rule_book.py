"""docs/RULES.md and the suite agree: every clause of the book is cited by a test, and nothing in
the code, the tests or the docs cites a rule number the book does not define.

What counts as a citation is stated in docs/RULES.md ("How rules are cited"); `citations_of` is
that statement in code, and the last tests here show it reads test modules that way.
"""

import ast
import os
import re
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BOOK = ROOT / "docs" / "RULES.md"
TEST_ROOTS = ("portal", "ambassadors", "referrals", "payouts", "tests")  # pyproject's testpaths
NOT_THE_PROJECT = {
    ".git", ".venv", "__pycache__", ".pytest_cache", ".ruff_cache", ".hypothesis",
    "var", "artifacts", "staticfiles", "test-results", "node_modules",
}  # fmt: skip
BINARY_SUFFIXES = {".mo", ".png", ".jpg", ".jpeg", ".gif", ".ico", ".woff", ".woff2", ".sqlite3", ".pyc", ".xlsx"}

CLAUSE_HEADING = re.compile(r"^### (R(\d+)\.(\d+)) ", re.MULTILINE)
SECTION_HEADING = re.compile(r"^## (R\d+) ", re.MULTILINE)
# R6.1, or a range inside one section: R6.1–6.3 or R6.1–R6.3 (en dash or hyphen).
CLAUSE = re.compile(r"\bR(\d+)\.(\d+)(?:[–-]R?(\d+)\.(\d+))?\b")
SECTION = re.compile(r"\bR(\d+)\b(?!\.\d)")
NAME_CLAUSE = re.compile(r"(?:^|_)r(\d+)_(\d+)(?=_|$)")  # test_r4_6_…, …_and_r2_3_…


def clauses_in(text):
    """The clause numbers a text names; a range names each clause in it."""
    found = set()
    for section, first, last_section, last in CLAUSE.findall(text):
        if not last:
            found.add(f"R{section}.{first}")
        elif last_section != section:  # not a range the book allows: both ends are checked
            found.update({f"R{section}.{first}", f"R{last_section}.{last}"})
        else:
            found.update(f"R{section}.{n}" for n in range(int(first), int(last) + 1))
    return found


def sections_in(text):
    return {f"R{section}" for section in SECTION.findall(text)}


def clauses_in_name(name):
    return {f"R{section}.{clause}" for section, clause in NAME_CLAUSE.findall(name)}


def book():
    """The clauses and the sections the book defines."""
    text = BOOK.read_text(encoding="utf-8")
    return {number for number, _, _ in CLAUSE_HEADING.findall(text)}, set(SECTION_HEADING.findall(text))


def _is_test_function(node):
    return isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith("test")


def _is_test_class(node):
    """pytest's Test… classes, and hypothesis state machines, whose rules and invariants are the test."""
    if not isinstance(node, ast.ClassDef):
        return False
    bases = {getattr(base, "id", getattr(base, "attr", "")) for base in node.bases}
    return node.name.startswith("Test") or "RuleBasedStateMachine" in bases


def citations_of(source, name="<test module>"):
    """{clause: [where]} for one test module's source, read as docs/RULES.md says.

    A top-level statement owns its lines and the comment lines between the statement before it
    and itself, so a comment directly above a test (or its decorators) belongs to that test.
    """
    tree = ast.parse(source)
    lines = source.splitlines()
    citations = {}

    def cite(clauses, where):
        for clause in clauses:
            citations.setdefault(clause, []).append(f"{name}::{where}")

    has_tests = False
    start = 1
    for node in tree.body:
        own_lines = "\n".join(lines[start - 1 : node.end_lineno])
        start = node.end_lineno + 1
        if _is_test_function(node):
            has_tests = True
            cite(clauses_in(own_lines) | clauses_in_name(node.name), node.name)
        elif _is_test_class(node):
            has_tests = True
            cite(clauses_in(own_lines), node.name)
            for method in node.body:
                if _is_test_function(method):
                    cite(clauses_in_name(method.name), f"{node.name}.{method.name}")
    docstring = ast.get_docstring(tree, clean=False)
    if has_tests and docstring:
        cite(clauses_in(docstring), "(module docstring)")
    return citations


def suite_module_paths():
    for top in TEST_ROOTS:
        yield from sorted((ROOT / top).rglob("test_*.py"))


def suite_citations():
    """{clause: [where]} over the suite. This module is left out: its numbers are examples of
    the format, and it exercises no rule."""
    citations = {}
    for path in suite_module_paths():
        if path == Path(__file__).resolve():
            continue
        found = citations_of(path.read_text(encoding="utf-8"), path.relative_to(ROOT).as_posix())
        for clause, places in found.items():
            citations.setdefault(clause, []).extend(places)
    return citations


def project_texts():
    """(relative path, text) of every text file of the project, this book included."""
    for directory, subdirectories, files in os.walk(ROOT):
        subdirectories[:] = sorted(d for d in subdirectories if d not in NOT_THE_PROJECT)
        for file_name in sorted(files):
            path = Path(directory) / file_name
            if path.suffix in BINARY_SUFFIXES:
                continue
            try:
                yield path.relative_to(ROOT).as_posix(), path.read_text(encoding="utf-8")
            except UnicodeDecodeError:
                continue


def rule_key(number):
    return tuple(int(part) for part in number[1:].split("."))


# The book against the suite.


def test_every_clause_of_the_book_is_cited_by_a_test():
    clauses, _ = book()
    cited = suite_citations()
    uncited = sorted(clauses - cited.keys(), key=rule_key)
    assert not uncited, (
        f"no test cites {', '.join(uncited)}: cite each in a test that asserts it (docs/RULES.md, "
        "'How rules are cited')"
    )


def test_nothing_cites_a_rule_the_book_does_not_define():
    clauses, sections = book()
    unknown = []
    for relative, text in project_texts():
        for number, line in enumerate(text.splitlines(), start=1):
            for cited in sorted(clauses_in(line) - clauses) + sorted(sections_in(line) - sections):
                unknown.append(f"{relative}:{number} cites {cited}")
    for path in suite_module_paths():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if _is_test_function(node):
                for cited in sorted(clauses_in_name(node.name) - clauses):
                    unknown.append(f"{path.relative_to(ROOT).as_posix()}:{node.lineno} names {cited}")
    assert not unknown, "numbers docs/RULES.md does not define:\n" + "\n".join(unknown)


def test_the_book_numbers_each_section_from_1_and_quotes_each_clauses_source():
    text = BOOK.read_text(encoding="utf-8")
    headings = CLAUSE_HEADING.findall(text)
    sections = SECTION_HEADING.findall(text)
    by_section = {}
    for _, section, clause in headings:
        by_section.setdefault(f"R{section}", []).append(int(clause))
    assert list(by_section) == sections == [f"R{n}" for n in range(1, len(sections) + 1)]
    gaps = {section: numbers for section, numbers in by_section.items() if numbers != list(range(1, len(numbers) + 1))}
    assert not gaps, f"clauses out of order or missing: {gaps}"
    blocks = re.split(r"^#{2,3} ", text, flags=re.MULTILINE)
    unsourced = [
        block.split(" ", 1)[0]
        for block in blocks
        if re.match(r"R\d+\.\d+ ", block) and not re.search(r"^- FAQ: 「[^」]+」", block, re.MULTILINE)
    ]
    assert not unsourced, f"clauses without their FAQ question: {unsourced}"


def test_readme_and_docs_point_at_the_book_in_the_repository():
    for relative in ["README.md", *sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "docs").glob("*.md"))]:
        assert "../shared" not in (ROOT / relative).read_text(encoding="utf-8"), relative
    assert "docs/RULES.md" in (ROOT / "README.md").read_text(encoding="utf-8")


# How a test module is read.

MODULE = textwrap.dedent(
    '''
    """The module exercises R7.1."""

    import pytest

    LISTED = ["R1.1"]  # a bare list: R1.2


    @pytest.fixture
    def order():
        """R1.3"""


    def helper():
        return "R1.4"


    # R2.1: the comment directly above a test belongs to it.


    @pytest.mark.parametrize("x", [1])
    def test_r2_2_and_r2_3_by_name(x):
        """R2.4 in the docstring."""
        assert x  # R3.1 in a comment
        assert "R3.2" != "R3.3–3.5"


    def test_without_a_citation():
        pass


    class TestGroup:
        """R4.1 for the class."""

        def test_r4_2_a_method(self):
            pass
    '''
)


def test_what_a_test_module_cites():
    cited = citations_of(MODULE, "m")
    assert set(cited) == {
        "R7.1", "R2.1", "R2.2", "R2.3", "R2.4", "R3.1", "R3.2", "R3.3", "R3.4", "R3.5", "R4.1", "R4.2",
    }  # fmt: skip
    assert cited["R2.1"] == ["m::test_r2_2_and_r2_3_by_name"]
    assert (cited["R4.1"], cited["R4.2"]) == (["m::TestGroup"], ["m::TestGroup.test_r4_2_a_method"])
    assert cited["R7.1"] == ["m::(module docstring)"]


def test_a_module_without_tests_cites_nothing():
    assert citations_of('"""R7.1"""\n\ndef helper():\n    """R7.2"""\n') == {}


def test_numbers_names_and_ranges():
    assert clauses_in("R6.1–6.3 and R10.2, not R4") == {"R6.1", "R6.2", "R6.3", "R10.2"}
    assert clauses_in("R2.1–R2.2; (R4.4, R9)") == {"R2.1", "R2.2", "R4.4"}
    assert sections_in("R4 and R12, not R4.1") == {"R4", "R12"}
    assert clauses_in_name("test_r4_10_refunded_and_r8_3_listed") == {"R4.10", "R8.3"}
    assert clauses_in_name("test_r1_a_customer") == set()


def test_nothing_cites_a_document_the_repository_does_not_hold():
    """The program's design, style and stack notes live outside the repository: a clone has
    none of them, so no code, test or doc names them as its reference."""
    outside = re.compile(r"\b(DESIGN|STYLE|STACK-NOTES)\.md\b")
    files = [
        path
        for pattern in ("*.py", "*.md", "*.html")
        for path in ROOT.rglob(pattern)
        if not {".venv", "node_modules", "artifacts", ".git"} & set(path.relative_to(ROOT).parts)
    ]
    citing = sorted(p.relative_to(ROOT).as_posix() for p in files if outside.search(p.read_text(encoding="utf-8")))
    assert not citing, f"these cite a document outside the repository: {citing}"

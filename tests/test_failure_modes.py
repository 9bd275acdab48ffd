"""The failure-modes appendix (book/failure_modes.md) cannot rot: every row names a test,
every test it names exists in tests/ and runs in the fast tier, and the page is in the
book's table of contents and linked from the README."""

import ast
import re

from ferlib.book import project_root

ROOT = project_root()
PAGE = ROOT / "book" / "failure_modes.md"
TEST_REFERENCE = re.compile(r"tests/(test_\w+\.py)::(test_\w+)")
#: The issue asks for at least this many rows.
MIN_ROWS = 100


def body_rows(text: str) -> list:
    """Rows of the tables in ``text`` that come after a header's rule row."""
    rows, in_body = [], False
    for line in (line.strip() for line in text.splitlines()):
        if not line.startswith("|"):
            in_body = False
        elif re.fullmatch(r"\|[\s\-:|]+\|", line):
            in_body = True
        elif in_body:
            rows.append(line)
    return rows


def is_slow(node) -> bool:
    """Whether a test function carries ``@pytest.mark.slow``."""
    return any("mark.slow" in ast.unparse(decorator) for decorator in node.decorator_list)


def named_tests() -> dict:
    """``{(file name, test name): slow?}`` for every test function in tests/*.py."""
    found = {}
    for path in sorted((ROOT / "tests").glob("test_*.py")):
        tree = ast.parse(path.read_text())
        module_slow = any(isinstance(node, ast.Assign) and "slow" in ast.unparse(node.value)
                          and any(getattr(target, "id", "") == "pytestmark" for target in node.targets)
                          for node in tree.body)
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
                found[(path.name, node.name)] = module_slow or is_slow(node)
    return found


def test_every_row_names_a_test_that_exists_in_the_fast_tier():
    rows = body_rows(PAGE.read_text())
    assert len(rows) >= MIN_ROWS, f"{PAGE.name}: {len(rows)} rows; at least {MIN_ROWS} expected"
    tests = named_tests()
    for row in rows:
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        assert len(cells) == 3 and all(cells), f"a row needs a fault, what is seen and a test: {row}"
        named = TEST_REFERENCE.findall(cells[2])
        assert named, f"no tests/<file>::<test> in the last column of: {row}"
        for reference in named:
            assert reference in tests, f"{PAGE.name} names {'::'.join(reference)}, which does not exist"
            assert not tests[reference], f"{'::'.join(reference)} is marked slow; the page says fast tier"


def test_the_row_parser_sees_rows_and_missing_tests():
    text = ("| a | b | c |\n| --- | --- | --- |\n| x | y | `tests/test_cli.py::test_nope` |\n\n"
            "| a | b | c |\n| --- | --- | --- |\n| z | w | none |\n")
    rows = body_rows(text)
    assert len(rows) == 2
    assert TEST_REFERENCE.findall(rows[0]) == [("test_cli.py", "test_nope")]
    assert ("test_cli.py", "test_nope") not in named_tests()
    assert TEST_REFERENCE.findall(rows[1]) == []


def test_the_page_is_in_the_table_of_contents_and_the_readme():
    assert "file: book/failure_modes" in (ROOT / "_toc.yml").read_text()
    assert "book/failure_modes.md" in (ROOT / "README.md").read_text()

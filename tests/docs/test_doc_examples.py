"""Every ```python block of README.md and docs/*.md runs and says what it claims.

One test per page: its blocks run in order in one namespace (a later block uses the names of
an earlier one), in a temporary working directory, as a fresh session would run them. A block of
``>>>`` lines runs as a doctest, so its printed output is checked too. A block that cannot run
here says why on the line just before its fence: ``<!-- not run: needs the MNIST files -->``.
"""
import doctest
import re
import traceback
from dataclasses import dataclass
from pathlib import Path

import pytest

import seqlab
from seqlab.layers import registry as layers_registry

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

OPENING = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})\s*(?P<info>[^`]*)$")
MARKER = re.compile(r"^\s*<!--\s*not run\b(?P<rest>.*?)-->\s*$")
PYTHON = {"python", "py", "python3", "pycon"}


@dataclass
class Block:
    line: int            # the opening fence's line in the page, from 1
    code: str            # dedented to the fence's indentation
    not_run: str | None  # the marker's reason, None when the block runs

    @property
    def is_doctest(self):
        return self.code.lstrip().startswith(">>>")


def python_blocks(page: Path) -> list[Block]:
    """The page's python blocks; a malformed or stray ``not run`` marker is an error."""
    lines = page.read_text(encoding="utf-8").splitlines()
    blocks, problems = [], []
    index = 0
    while index < len(lines):
        opening = OPENING.match(lines[index])
        if not opening:
            if MARKER.match(lines[index]) and not (index + 1 < len(lines) and OPENING.match(lines[index + 1])):
                problems.append(f"line {index + 1}: a `not run` marker must sit on the line just before a fence")
            index += 1
            continue
        indent, fence = opening["indent"], opening["fence"]
        closing = re.compile(rf"^[ \t]*{re.escape(fence[0])}{{{len(fence)},}}\s*$")
        end = index + 1
        while end < len(lines) and not closing.match(lines[end]):
            end += 1
        language = (opening["info"].split() or [""])[0].lower()
        marker = MARKER.match(lines[index - 1]) if index > 0 else None
        if language in PYTHON:
            reason = None
            if marker:
                rest = marker["rest"].strip()
                reason = rest[1:].strip() if rest.startswith(":") else ""
                if not reason:
                    problems.append(f"line {index}: `not run` needs a reason: <!-- not run: REASON -->")
            body = [text[len(indent):] if text.startswith(indent) else text.lstrip() for text in lines[index + 1:end]]
            blocks.append(Block(index + 1, "\n".join(body) + "\n", reason))
        elif marker:
            problems.append(f"line {index}: `not run` marks a {language or 'plain'} block, which never runs")
        index = end + 1
    if problems:
        raise ValueError(f"{label(page)}: " + "; ".join(problems))
    return blocks


def label(page: Path) -> str:
    return str(page.relative_to(ROOT)) if page.is_relative_to(ROOT) else str(page)


def run_script(block: Block, page: Path, namespace: dict) -> None:
    # Leading newlines put the code on its own lines of the page, so a traceback names them.
    code = compile("\n" * block.line + block.code, str(page), "exec")
    exec(code, namespace)


def run_doctest(block: Block, page: Path, namespace: dict) -> None:
    name = f"{page.name}:{block.line}"
    test = doctest.DocTestParser().get_doctest(block.code, namespace, name, str(page), block.line)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    report = []
    runner.run(test, out=report.append, clear_globs=False)
    if runner.failures:
        raise AssertionError("doctest output differs:\n" + "".join(report))


def page_line(error: BaseException, page: Path) -> str:
    frames = [frame for frame in traceback.extract_tb(error.__traceback__) if frame.filename == str(page)]
    return f" (raised at line {frames[-1].lineno})" if frames else ""


@pytest.mark.parametrize("page", PAGES, ids=[page.name for page in PAGES])
def test_doc_examples_run(page, tmp_path, monkeypatch):
    blocks = python_blocks(page)
    monkeypatch.chdir(tmp_path)                      # files the examples write land here
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.setattr(layers_registry, "_NAME_COUNTS", {})  # a fresh session: 'lstm', not 'lstm_7'
    seqlab.utils.set_random_seed(0)
    namespace = {"__name__": f"docs_{page.stem}"}
    for block in blocks:
        if block.not_run is not None:
            continue
        failure = None
        try:
            (run_doctest if block.is_doctest else run_script)(block, page, namespace)
        except Exception as error:  # any failure of an example is the finding
            where = f"{label(page)}, block at line {block.line}{page_line(error, page)}"
            failure = f"{where}: {type(error).__name__}: {error}"
        if failure:  # outside `except`, so the report is this line, not a chained traceback
            pytest.fail(failure, pytrace=False)


def test_parser_reads_markers_and_indented_fences(tmp_path):
    page = tmp_path / "page.md"
    page.write_text("text\n<!-- not run: needs a GPU -->\n```python\nx = 1\n```\n"
                    "- item\n\n  ```python\n  y = x + 1\n  ```\n```console\n$ ls\n```\n", encoding="utf-8")
    blocks = python_blocks(page)
    assert [(b.line, b.code, b.not_run) for b in blocks] == [(3, "x = 1\n", "needs a GPU"), (8, "y = x + 1\n", None)]
    page.write_text("<!-- not run: -->\n```python\nx = 1\n```\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"line 1: `not run` needs a reason"):
        python_blocks(page)
    page.write_text("<!-- not run: shell -->\n```console\n$ ls\n```\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"marks a console block, which never runs"):
        python_blocks(page)


"""Every repository path, module and command that a doc, comment, docstring or workflow
names exists: a file moved or renamed fails here, not in a reader's hands.

Three kinds of reference are checked in every tracked text file (the reference results
aside): paths under the project's top-level folders (``vfi_bench/asvkit/compare.py``),
dotted names of the two packages (``vfi.solvers.rounding_floor``, resolved by import and
attribute), and ``python -m vfi COMMAND`` / ``python -m vfi_bench COMMAND`` lines, whose
COMMAND must be one the command line offers.
"""
import importlib
import re
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SELF = "tests/test_paths_named.py"  # its own examples of what fails
# A path ends where its characters do, whole (atomic): one followed by a glob or regex
# (tests/test_prop_.*\.py, tests/test_growth_*.py) is a pattern, not a path.
PATH = re.compile(r"(?<![\w./-])((?:vfi|vfi_bench|benchmarks|tests|tools|cpp|results|scripts"
                  r"|\.ci|\.github)/(?>[\w./+-]*\w))(?![*?\[]|\.\*)")
DOTTED = re.compile(r"(?<![\w./-])((?:vfi|vfi_bench)(?:\.[A-Za-z_]\w*)+)")
COMMAND = re.compile(r"python -m (vfi|vfi_bench) ([a-z][a-z-]*)")
TEXT = (".py", ".md", ".yml", ".sh", ".toml", ".cpp", "Makefile", ".ci/run")

#: Named on purpose though absent, each with its reason.
ABSENT = {
    "vfi/wages/__init__.py": "docs/fourth-member.md's member, the file a reader writes",
    "vfi/cake/kernels.py": "the drill test's tiny repository writes it",
    "vfi.cake.kernels": "the drill test's tiny repository writes it",
    "scripts/compare.py": "the old workflow, the negative case of the workflow test",
    "vfi.html": "the report's front page, a file name, not a module",
    "benchmarks/asv.conf.json": "another project's layout (HIPS/autograd's), in asvkit's "
                                "README and tests/tracker/test_asv_project.py",
    "benchmarks/broken.conf.json": "tests/tracker/test_asv_project.py writes it in its "
                                   "temporary project",
}


def texts():
    files = subprocess.check_output(["git", "ls-files"], cwd=ROOT, text=True).split()
    for name in files:
        if name.startswith("results/") or not name.endswith(TEXT) or name == SELF:
            continue
        path = ROOT / name
        if path.is_file():
            yield name, path.read_text(errors="replace")


def references(pattern):
    """``[(file, line, match)]``; a pattern (``tests/test_*.py``) is not a reference."""
    found = []
    for name, text in texts():
        for match in pattern.finditer(text):
            if text[match.end():match.end() + 1] not in ("*", "<", "{"):
                found.append((name, text.count("\n", 0, match.start()) + 1, match))
    return found


@cache
def resolves(dotted: str) -> bool:
    parts = dotted.split(".")
    for k in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:k]))
        except ImportError:
            continue
        for attribute in parts[k:]:
            if not hasattr(obj, attribute):
                return False
            obj = getattr(obj, attribute)
        return True
    return False


@cache
def commands(package: str) -> str:
    done = subprocess.run([sys.executable, "-m", package, "--help"], capture_output=True,
                          text=True, cwd=ROOT)
    return done.stdout + done.stderr


def test_named_paths_exist():
    missing = [f"{name}:{line}: {m.group(1)}" for name, line, m in references(PATH)
               if m.group(1).rstrip(".") not in ABSENT
               and not (ROOT / m.group(1).rstrip(".")).exists()]
    assert not missing, "paths named but not in the repository:\n" + "\n".join(missing)


def test_named_modules_and_attributes_exist():
    missing = [f"{name}:{line}: {m.group(1)}" for name, line, m in references(DOTTED)
               if m.group(1) not in ABSENT and not resolves(m.group(1))]
    assert not missing, "names that do not import:\n" + "\n".join(missing)


def test_named_commands_exist():
    missing = [f"{name}:{line}: {m.group(0)}" for name, line, m in references(COMMAND)
               if not re.search(rf"\b{m.group(2)}\b", commands(m.group(1)))]
    assert not missing, "commands named but not offered:\n" + "\n".join(missing)


@pytest.mark.parametrize(("check", "text"), [
    (test_named_paths_exist, "see vfi_bench/asvkit/gone.py"),
    (test_named_modules_and_attributes_exist, "see :func:`vfi.solvers.gone`"),
    (test_named_commands_exist, "run python -m vfi_bench gone"),
])
def test_each_check_can_fail(monkeypatch, check, text):
    monkeypatch.setattr(sys.modules[__name__], "texts", lambda: iter([("doc.md", text)]))
    with pytest.raises(AssertionError, match="gone"):
        check()

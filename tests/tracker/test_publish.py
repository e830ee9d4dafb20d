"""vfi_bench.asvkit.publish: one series per machine, and no thumbnail joins two machines.

A real ``asv publish`` of a report built here: a tiny git repository with two commits,
results of two machines (one at each commit, in different environments, as a
``make bench`` and a reference give), normalised and published.
"""
import json
import subprocess
import sys
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

import pytest

from vfi_bench.asvkit import publish

BENCH = "bench_x.time_f"
SUITE = {BENCH: {"code": "def time_f(): pass", "name": BENCH, "param_names": [], "params": [],
                 "type": "time", "unit": "seconds", "version": "1", "timeout": 60,
                 "number": 0, "repeat": 0, "min_run_count": 2, "rounds": 2,
                 "sample_time": 0.01, "warmup_time": -1},
         "version": 2}


def git(repo, *args):
    return subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@invalid", *args],
                          cwd=repo, check=True, capture_output=True, text=True).stdout.strip()


def repository_of_commits(tmp_path, count):
    """A git repository in ``tmp_path / "repo"`` with ``count`` commits, and their hashes."""
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    commits = []
    for k in range(count):
        (repo / "f.txt").write_text(str(k))
        git(repo, "add", ".")
        git(repo, "commit", "-q", "-m", f"c{k}")
        commits.append(git(repo, "rev-parse", "HEAD"))
    return repo, commits


def result(machine, commit, value, env_name, python, extra_params=None):
    params = {"machine": machine, "python": python, **(extra_params or {})}
    return {"commit_hash": commit, "env_name": env_name, "date": 1_700_000_000_000,
            "params": params, "python": python, "requirements": {"numba": ""},
            "env_vars": {"OMP_NUM_THREADS": "1"}, "result_columns": ["result", "params"],
            "results": {BENCH: [[value], []]}, "durations": {}, "version": 2}


def write(folder, name, data):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(json.dumps(data))


def test_two_machines_at_two_commits_publish_apart(tmp_path):
    repo, commits = repository_of_commits(tmp_path, 2)
    mine, reference = tmp_path / "results", tmp_path / "reference"
    write(mine, "benchmarks.json", SUITE)
    for folder, machine in ((mine, "mine"), (reference, "ref")):
        write(folder / machine, "machine.json", {"machine": machine, "cpu": "x", "version": 1})
    write(mine / "mine", "machine.json", {"machine": "mine", "cpu": "x", "version": 1,
                                          "ram": "25275990016"})
    # Your machine at the newer commit from two environments (make bench, a history run).
    write(mine / "mine", f"{commits[1][:8]}-existing.json",
          result("mine", commits[1], 1.0, "existing-py_venv", "/home/me/.venv/bin/python"))
    write(mine / "mine", f"{commits[0][:8]}-virtualenv.json",
          result("mine", commits[0], 1.1, "virtualenv-py3.11-numba", "3.11", {"numba": ""}))
    write(reference / "ref", f"{commits[0][:8]}-existing.json",
          result("ref", commits[0], 10.0, "existing-py_opt", "/opt/torch/bin/python3"))

    out = tmp_path / "published" / "results"
    assert publish.normalize([mine, reference], out, "3.11") == ["mine", "ref"]
    files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*-py3.11.json"))
    assert files == sorted([f"mine/{commits[0][:8]}-py3.11.json",
                            f"mine/{commits[1][:8]}-py3.11.json",
                            f"ref/{commits[0][:8]}-py3.11.json"])
    for path in out.rglob("*-py3.11.json"):
        data = json.loads(path.read_text())
        assert data["env_vars"] == {} and data["requirements"] == {}
        assert data["params"]["python"] == "3.11" and "numba" not in data["params"]
    record = json.loads((out / "ref" / "machine.json").read_text())
    assert record["num_cpu"] == "unrecorded" and record["cpu"] == "x"
    assert json.loads((out / "mine" / "machine.json").read_text())["ram"] == "23.5 GiB"

    html = tmp_path / "html"
    conf = {"version": 1, "project": "t", "repo": str(repo), "branches": ["main"],
            "dvcs": "git", "environment_type": "virtualenv", "results_dir": str(out),
            "html_dir": str(html), "benchmark_dir": str(tmp_path / "benchmarks"),
            "env_dir": str(tmp_path / "env")}
    (tmp_path / "asv.conf.json").write_text(json.dumps(conf))
    done = subprocess.run([sys.executable, "-m", "asv", "publish", "--config",
                           str(tmp_path / "asv.conf.json")], capture_output=True, text=True,
                          cwd=tmp_path, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    graphs = [p for p in (html / "graphs").rglob(f"{BENCH}.json") if "summary" not in p.parts]
    assert len(graphs) == 2  # one series per machine, not one per environment
    summary = html / "graphs" / "summary" / f"{BENCH}.json"
    pooled = json.loads(summary.read_text())
    assert len(pooled) == 2  # asv's own summary: a line from the reference to yours
    assert publish.summaries_of(html, "mine") == 1
    points = json.loads(summary.read_text())
    assert [value for _, value in points] == [1.1, 1.0]  # your two commits, nobody else's
    assert "asvkit-one-commit" in (html / "summarygrid.js").read_text()
    index = json.loads((html / "index.json").read_text())
    assert sorted(index["params"]["ram"]) == ["23.5 GiB", "unrecorded"]  # the graph's filter

    note = publish.note_regressions(html, "mine")
    assert note.startswith("asv looked for steps in 2 commits of mine's history (and, apart, "
                           "in the other machines': ref 1) and lists 0 steps below.")
    assert json.loads((html / "regressions.json").read_text())["note"] == note
    assert "asvkit-regressions-note" in (html / "regressions.js").read_text()


def test_the_graph_page_edits_apply_to_asvs_page(tmp_path):
    import asv

    page = Path(asv.__file__).parent / "www" / "graphdisplay.js"
    (tmp_path / "graphdisplay.js").write_text(page.read_text())
    assert publish.patch_graph_page(tmp_path) == [w for w, _, _ in publish.GRAPH_PAGE_EDITS]
    text = (tmp_path / "graphdisplay.js").read_text()
    assert "var max_curves = 256;" in text and "container: asvkit_legend_box(graphs.length)" in text
    assert "plot_box.css({bottom: (100 + band) + 'px'})" in text  # room made, not overlapped
    assert publish.patch_graph_page(tmp_path) == []  # once only
    (tmp_path / "graphdisplay.js").write_text(page.read_text().replace("max_curves = 8", "x"))
    with pytest.raises(publish.PageError, match="curve limit"):
        publish.patch_graph_page(tmp_path)


def test_refuted_steps_leave_the_regressions_page_and_confirmed_ones_stay(tmp_path):
    from vfi_bench.asvkit import steps

    html = tmp_path / "html"
    html.mkdir()
    (html / "index.json").write_text(json.dumps(
        {"revision_to_hash": {"1": "a" * 40, "2": "b" * 40, "3": "c" * 40},
         "params": {"machine": ["mine", "ref"]}}))
    (html / "regressions.js").write_text(asv_page("regressions.js"))
    mine = "graphs/machine-mine/python-3.11/bench_x.time_f.json"
    other = "graphs/machine-ref/python-3.11/bench_x.time_f.json"
    (html / "regressions.json").write_text(json.dumps({"regressions": [
        ["bench_x.time_f('a')", mine, {}, 0, 2.0, 1.0, [[None, 2, 1.0, 1.5], [None, 3, 1.5, 2.0]]],
        ["bench_x.time_f('b')", mine, {}, 1, 2.0, 1.0, [[None, 3, 1.0, 2.0]]],
        ["bench_x.time_f('a')", other, {}, 0, 2.0, 1.0, [[None, 2, 1.0, 2.0]]],
    ]}))
    verdicts = {("bench_x.time_f('a')", "b" * 40): "same",        # refuted
                ("bench_x.time_f('a')", "c" * 40): "regressed",   # confirmed
                ("bench_x.time_f('b')", "c" * 40): "inconclusive"}
    measured = []

    def compare(point, base, head):
        measured.append((point, base, head))
        return {"verdict": verdicts[point, head], "mde": 1.31}

    checks_file = tmp_path / "checks.json"
    checks = steps.check_steps(html, "mine", checks_file, compare, lambda c: c[:8] + "^")
    assert sorted(c["status"] for c in checks.values()) == ["confirmed", "refuted",
                                                            "unchecked"]
    assert ("bench_x.time_f('a')", "bbbbbbbb^", "b" * 40) in measured
    left = json.loads((html / "regressions.json").read_text())["regressions"]
    # Only the confirmed step of mine is left; the other machine's step is not touched.
    assert [(e[0], e[1] == mine, [j[1] for j in e[6]]) for e in left] == [
        ("bench_x.time_f('a')", True, [3]), ("bench_x.time_f('a')", False, [2])]
    note = json.loads((html / "regressions.json").read_text())["note"]
    assert ("lists 2 steps below. Of the 3 steps it found in mine's history, only those a "
            "paired comparison confirmed are listed: 1 confirmed, 1 refuted, 1 not confirmed"
            ) in note, note
    assert "not measured yet" not in note
    unconfirmed = next(c for c in checks.values() if c["status"] == "unchecked")
    assert unconfirmed["mde"] == 1.31 and unconfirmed["compare"] == "inconclusive"
    # A later publish reuses the verdicts: nothing is measured twice.
    steps.check_steps(html, "mine", checks_file, compare, lambda c: c[:8] + "^")
    assert len(measured) == 3


# ---- asv's pages: the summary grid and the Regressions page --------------------------------

def asv_page(name: str) -> str:
    import asv

    return (Path(asv.__file__).parent / "www" / name).read_text()


def test_the_summary_grid_draws_a_lone_point_and_says_why_there_is_no_line(tmp_path):
    (tmp_path / "summarygrid.js").write_text(asv_page("summarygrid.js"))
    assert publish.patch_summary_grid(tmp_path) == [w for w, _, _ in publish.SUMMARY_GRID_EDITS]
    text = (tmp_path / "summarygrid.js").read_text()
    assert "if (data.length == 1) {" in text and "points = {show: true" in text
    assert "one commit so far: <b>make bench-history</b> draws the trend" in text
    assert "no results yet: <b>make bench</b> runs it" in text
    assert publish.patch_summary_grid(tmp_path) == []  # once only
    (tmp_path / "summarygrid.js").write_text(asv_page("summarygrid.js").replace(
        "// TODO: Handle failure", ""))
    with pytest.raises(publish.PageError, match="no results anywhere"):
        publish.patch_summary_grid(tmp_path)


def test_the_regressions_page_shows_the_note_it_is_given(tmp_path):
    (tmp_path / "regressions.js").write_text(asv_page("regressions.js"))
    edits = publish.edit_page(tmp_path / "regressions.js", publish.REGRESSIONS_PAGE_EDITS,
                              "asvkit-regressions-note")
    assert edits == ["the note on what was looked at"]
    assert ".text(data.note)" in (tmp_path / "regressions.js").read_text()


# ---- the front page, from fake asv results in a repository of three commits -----------------

NOTEBOOK = "bench_cake.NotebookCase.time_iterate"
COLUMNS = ["result", "params", "version", "started_at", "duration", "stats_ci_99_a",
           "stats_ci_99_b", "stats_q_25", "stats_q_75", "stats_number", "stats_repeat"]
DAY_MS = 86_400_000


def result_row(combos, cells, started_ms):
    """One benchmark's row of an asv result file: ``cells`` are (q25, median, q75) in the
    order of the product of ``combos``."""
    n = len(cells)
    return [[c[1] for c in cells], combos, "1", started_ms, 1.0, [None] * n, [None] * n,
            [c[0] for c in cells], [c[2] for c in cells], [1] * n, [10] * n]


def asv_result(machine, commit, commit_ms, rows, ram="25275990016"):
    params = {"machine": machine, "python": "3.11", "cpu": "a cpu", "num_cpu": "2",
              "ram": ram, "os": "Linux", "arch": "x86_64"}
    return {"commit_hash": commit, "env_name": "py3.11", "date": commit_ms, "params": params,
            "python": "3.11", "requirements": {}, "env_vars": {}, "result_columns": COLUMNS,
            "results": rows, "durations": {}, "version": 2}


def write_result(folder, data):
    """``data`` as an asv result file of its machine, with the machine's record."""
    machine = data["params"]["machine"]
    write(folder / machine, "machine.json", {"machine": machine, "version": 1})
    write(folder / machine, f"{data['commit_hash'][:8]}-py3.11.json", data)


def notebook_result(machine, commit, commit_ms, started_ms, cells):
    """An asv result file of the notebook case: ``cells`` is {variant: (q25, median, q75)}."""
    combos = [[repr(v) for v in cells]]
    return asv_result(machine, commit, commit_ms,
                      {NOTEBOOK: result_row(combos, list(cells.values()), started_ms)})


class Tables(HTMLParser):
    """The text of every ``<h2>``-titled table of a page: {title: [[cell, ...], ...]}."""

    def __init__(self, text):
        super().__init__()
        self.tables, self.title, self.cell, self.where = {}, None, None, None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        if tag == "h2":
            self.where, self.title = "title", ""
        elif tag == "tr":
            self.tables.setdefault(self.title, []).append([])
        elif tag in ("td", "th"):
            self.cell = ""

    def handle_endtag(self, tag):
        if tag == "h2":
            self.where = None
        elif tag in ("td", "th"):
            self.tables[self.title][-1].append(self.cell)
            self.cell = None

    def handle_data(self, data):
        if self.where == "title":
            self.title += data
        elif self.cell is not None:
            self.cell += data




@pytest.fixture
def front_page(tmp_path, monkeypatch):
    """Your machine at the first of three commits (run a day after it), a reference at
    HEAD, and a comparison of the first two commits with one point regressed."""
    from vfi_bench import frontpage

    repo, commits = repository_of_commits(tmp_path, 3)
    results = tmp_path / "results"
    t0 = 1_800_000_000_000
    mine = {"numba-maxplus": (3.3e-6, 3.43e-6, 3.6e-6),
            "numba-masked": (990e-6, 999.6e-6, 1.01e-3),     # 1.00 ms, not 1e+03 us
            "numba-loops": (480e-6, 500e-6, 15e-3),           # upper quartile 30x: noise
            "numpy-masked": (48e-3, 48.7e-3, 49e-3)}
    write_result(results, notebook_result("mine", commits[0], t0, t0 + DAY_MS, mine))
    write_result(results, notebook_result(
        "ref", commits[2], t0 + 2 * DAY_MS, t0 + 3 * DAY_MS,
        {"numba-masked": (2e-3, 2.1e-3, 2.2e-3)}))
    compare = tmp_path / "compare"
    for commit, day in ((commits[0], 0), (commits[1], 1)):  # saved with the records
        write(compare / "results" / "mine", f"{commit[:8]}-py.json",
              {"commit_hash": commit, "date": t0 + day * DAY_MS})
    write(compare, "thresholds-mine.json", {"thresholds": {}})
    write(compare, "compare.json", [
        {"benchmark": NOTEBOOK, "params": "'numba-loops'", "ratio": 1.25, "low": 1.2,
         "high": 1.3, "verdict": "regressed", "mde": 1.05},
        {"benchmark": NOTEBOOK, "params": "'numba-masked'", "ratio": 1.0, "low": 0.98,
         "high": 1.02, "verdict": "same", "mde": 1.04}])
    step = {"point": f"{NOTEBOOK}('numba-loops')", "commit": commits[0], "old": 5e-4,
            "new": 6.5e-4}
    write(tmp_path, "steps.json", {
        "a": {**step, "status": "confirmed", "compare": "regressed", "mde": 1.1},
        "b": {**step, "point": NOTEBOOK + "('x')", "status": "refuted", "compare": "same"},
        "c": {**step, "point": NOTEBOOK + "('y')", "status": "unchecked",
              "compare": "inconclusive", "mde": 1.42}})
    html = tmp_path / "html"
    monkeypatch.chdir(repo)
    assert frontpage.main(["--machine", "mine", "--results", str(results), "--html",
                           str(html), "--compare", str(compare),
                           "--steps", str(tmp_path / "steps.json")]) == 0
    return html, commits


def test_the_front_page_says_where_each_column_is_and_when_it_ran(front_page):
    html, commits = front_page
    text = unescape((html / "vfi.html").read_text())
    machines = {row[0]: row for row in Tables(text).tables["Machines"]}
    header = machines["machine"]
    mine = dict(zip(header, machines["mine"], strict=True))
    ref = dict(zip(header, machines["ref"], strict=True))
    assert mine["commit"] == commits[0][:8] and mine["distance"] == "2 commits behind HEAD"
    assert ref["commit"] == commits[2][:8] and ref["distance"] == "at HEAD"
    assert mine["commit date (UTC)"] == "2027-01-15 08:00"
    assert mine["run (UTC)"] == "2027-01-16 08:00"  # the run's own date, a day later
    assert mine["RAM"] == "23.5 GiB"
    assert (f"mine has no results at {commits[2][:8]}: its column shows {commits[0][:8]}, "
            "2 commits behind HEAD, run 2027-01-16 08:00 UTC.") in text


def test_the_front_page_formats_every_time_alike_and_does_not_rank_noise(front_page):
    html, _ = front_page
    rows = Tables((html / "vfi.html").read_text()).tables[
        "Notebook case (n = 100, beta = 0.95, 100 steps)"]
    by_variant = {row[0]: row for row in rows[1:]}
    assert by_variant["numba-masked"][1] == "1.00 ms (990 µs – 1.01 ms)"
    assert by_variant["numba-maxplus"][1] == "3.43 µs (3.30 µs – 3.60 µs)"
    assert by_variant["numpy-masked"][1] == "48.7 ms (48.0 ms – 49.0 ms)"
    assert by_variant["numba-loops"][3] == "noise: upper quartile 30.0x the median"
    # ranked as if the noisy row were not there
    assert [by_variant[v][3] for v in ("numba-maxplus", "numba-masked", "numpy-masked")] == [
        "1", "2", "3"]
    assert by_variant["numba-maxplus"][4] == "291x" and by_variant["numba-masked"][4] == "1.00x"
    assert "e+" not in (html / "vfi.html").read_text()
    steps = Tables((html / "vfi.html").read_text()).tables[
        "Steps in mine's history: 1 confirmed by a paired comparison (the Regressions page "
        "lists these), 1 not confirmed (noise at this machine's level; refuted ones left out)"]
    assert [row[2:] for row in steps[1:]] == [
        ["500 µs -> 650 µs", "1.30x", "confirmed"],
        ["500 µs -> 650 µs", "1.30x", "not confirmed (inconclusive, mde 1.42x)"]]


def test_the_front_page_shows_the_latest_comparison_and_links_its_table(front_page):
    html, commits = front_page
    text = (html / "vfi.html").read_text()
    rows = Tables(text).tables["Latest comparison (make compare)"]
    latest = dict(zip(rows[0], rows[1], strict=True))
    assert latest["base"] == commits[0][:8] and latest["base distance"] == "2 commits behind HEAD"
    assert latest["head"] == commits[1][:8] and latest["head distance"] == "1 commit behind HEAD"
    assert latest["verdict"] == "regression confirmed: 1 regressed, 1 same"
    assert 'href="compare.html"' in text
    table = Tables((html / "compare.html").read_text()).tables["Every point compared"]
    assert [row[1:3] + row[5:6] for row in table[1:]] == [
        ["'numba-loops'", "1.25x", "regressed"], ["'numba-masked'", "1.00x", "same"]]


def test_without_a_comparison_the_front_page_has_no_such_section(tmp_path, monkeypatch):
    from vfi_bench import frontpage

    repo, commits = repository_of_commits(tmp_path, 3)
    cells = {"numba-masked": (1e-3, 1e-3, 1e-3)}
    write_result(tmp_path / "results", notebook_result("mine", commits[2], 0, 0, cells))
    monkeypatch.chdir(repo)
    assert frontpage.main(["--machine", "mine", "--results", str(tmp_path / "results"),
                           "--html", str(tmp_path / "html"),
                           "--compare", str(tmp_path / "none")]) == 0
    text = unescape((tmp_path / "html" / "vfi.html").read_text())
    assert "Latest comparison" not in text and not (tmp_path / "html" / "compare.html").exists()
    assert f"mine's column is at {commits[2][:8]}, at HEAD, its run time unrecorded." in text


def test_the_scaling_legend_lies_below_its_plot(tmp_path):
    from vfi_bench import frontpage

    variants = ["numba-loops", "numba-parallel", "numpy-masked", "jax-vmap"]
    combos = [[repr(v) for v in variants], ["100", "10000"]]
    cells = [(t, t, t) for t in (1e-3 * (k + 1) for k in range(8))]
    write_result(tmp_path, asv_result("mine", "a" * 40, 0, {
        frontpage.SCALING_KEY: result_row(combos, cells, 0)}))
    fig = frontpage.figure([("mine", frontpage.newest_results(tmp_path, "mine"))])
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    (ax,) = fig.axes  # no notebook case here: the scaling panel alone
    legend = ax.get_legend()
    assert len(legend.get_texts()) == len(variants)
    assert legend.get_window_extent(renderer).y1 <= ax.get_window_extent(renderer).y0


# ---- the latest comparison of a compare folder ---------------------------------------------

RECORD = {"benchmark": "b.time_f", "params": "", "ratio": 1.0, "low": 0.9, "high": 1.1,
          "verdict": "same", "mde": 1.1}


def test_the_latest_comparison_is_the_newest_records_file_with_the_commits_saved_with_it(
        tmp_path):
    import os

    from vfi_bench.asvkit import latest_compare

    assert latest_compare.latest(tmp_path / "absent") is None
    write(tmp_path, "thresholds-m.json", {"thresholds": {}})
    write(tmp_path, "asv.conf.json", {"version": 1})
    assert latest_compare.latest(tmp_path) is None  # neither is a records file
    write(tmp_path, "old.json", [RECORD])
    write(tmp_path, "new.json", [{**RECORD, "verdict": "failed-on-head"}])
    os.utime(tmp_path / "old.json", (1_000_000, 1_000_000))
    now = (tmp_path / "new.json").stat().st_mtime
    for name, commit, commit_date, saved in (("h.json", "h" * 40, 20, now - 5),
                                             ("b.json", "b" * 40, 10, now - 5),
                                             ("x.json", "x" * 40, 30, now - 60)):
        write(tmp_path / "results" / "m", name, {"commit_hash": commit, "date": commit_date})
        os.utime(tmp_path / "results" / "m" / name, (saved, saved))
    found = latest_compare.latest(tmp_path)
    assert found.path.name == "new.json"
    assert (found.base, found.head) == ("b" * 40, "h" * 40)  # a minute-old result is not it
    assert found.verdict() == "regression confirmed: 1 failed-on-head"
    # A later comparison that kept no records: its commits and date, no verdict.
    write(tmp_path / "results" / "m", "x.json", {"commit_hash": "x" * 40, "date": 30})
    os.utime(tmp_path / "results" / "m" / "x.json", (now + 120, now + 120))
    unkept = latest_compare.latest(tmp_path)
    assert unkept.path is None and (unkept.base, unkept.head) == ("x" * 40, "x" * 40)
    assert unkept.verdict().startswith("not kept: this comparison wrote no records")


def test_a_records_file_that_names_its_commits_is_taken_at_its_word(tmp_path):
    from vfi_bench.asvkit import latest_compare

    write(tmp_path, "compare.json", {"base": "a" * 40, "head": "c" * 40, "machine": "m",
                                     "date": "2026-12-01T10:00:00+00:00", "records": [RECORD]})
    found = latest_compare.latest(tmp_path)
    assert (found.base, found.head, found.machine) == ("a" * 40, "c" * 40, "m")
    assert found.date.isoformat() == "2026-12-01T10:00:00+00:00"
    assert found.verdict() == "no regression confirmed: 1 same"


def test_the_front_page_shows_each_default_over_its_floors_beside_its_peer(tmp_path,
                                                                          monkeypatch):
    from vfi import cake
    from vfi_bench import frontpage

    repo, commits = repository_of_commits(tmp_path, 1)
    default = cake.default_variant()
    one = lambda value: [(value, value, value)]  # noqa: E731
    rows = {
        frontpage.OVER_STORE_KEY: result_row([["'notebook'", "'growth-default'"]],
                                             one(11.6) + one(114.7), 0),
        frontpage.OVER_STEP_KEY: result_row([["'growth-default'"]], one(3.68), 0),
        NOTEBOOK: result_row([[repr(default), "'numba-masked'"]],
                             one(3e-6) + one(3e-3), 0),
        frontpage.GROWTH_PEER_KEY: result_row([["'default'", "'exact_policy'"]],
                                              one(61.0) + one(20.0), 0)}
    write_result(tmp_path / "results", asv_result("mine", commits[0], 0, rows))
    write_result(tmp_path / "results", notebook_result(  # a machine without floor results
        "ref", commits[0], 0, 0, {"numba-masked": (2e-3, 2e-3, 2e-3)}))
    monkeypatch.chdir(repo)
    assert frontpage.main(["--machine", "mine", "--results", str(tmp_path / "results"),
                           "--html", str(tmp_path / "html"),
                           "--compare", str(tmp_path / "none")]) == 0
    tables = Tables(unescape((tmp_path / "html" / "vfi.html").read_text())).tables
    (title,) = [t for t in tables if t.startswith("How far from the floor")]
    header, *body = tables[title]
    assert header == ["case", "mine: time / store", "mine: time / one greedy step", "peer",
                      "peer / this, here"]
    assert body == [["notebook", "11.6x", "-", "numba-masked", "1,000x"],
                    ["growth-default", "115x", "3.68x", "C++ (cpp/afv.cpp)", "61.0x"]]

"""The published asv report opens in a real headless Chromium, served over 127.0.0.1.

The test builds its own small report in a temporary directory (``asv run --quick`` of
``bench_cake.NotebookCase.time_iterate`` in this interpreter, then ``asv publish``), so it
does not depend on a previous ``make bench``. It serves the report with ``http.server``
and checks, in Chromium driven by selenium: no SEVERE console errors, the benchmark
list shows the bench_cake benchmarks, a benchmark's graph draws a flot canvas with its
legend in a band of its own (clear of the plot and the overview), the grid's thumbnail
of one commit draws its point and says why there is no line, the Regressions page says
how many commits it looked at, and the front page where your column is.
A screenshot goes to ``<html_dir>/report-screenshot.png`` and, when ``VFI_SCREENSHOT_DIR``
is set, is copied there too.

asv's ``index.html`` loads jQuery, flot, bootstrap, stupidtable and md5 from public CDNs.
The report here is made the way ``make bench`` makes it: ``vfi_bench.asvkit.vendor``
copies pinned, digest-checked local copies of those libraries into the report and points
the tags at them. The browser is kept off the network (``--host-resolver-rules``: every
host but 127.0.0.1 fails to resolve) and the server serves the published folder as it
is, so a pass proves the report needs nothing outside it.

Needs: ``chromium``, ``chromedriver`` (Debian: chromium, chromium-driver), ``npm`` (the
first time only) and the ``selenium`` package. Missing any of them fails the test with
what is missing and how to install it (``.ci/run`` installs them).
"""
from __future__ import annotations

import functools
import http.server
import json
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from vfi_bench.asvkit import publish
from vfi_bench.asvkit import vendor as report_vendor

REPO = Path(__file__).resolve().parents[2]
BENCH = "bench_cake.NotebookCase.time_iterate"
GRAPH_VARIANT = "numba-loops"
MACHINE = "vfi-browser-test"

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu",
                  "--disable-background-networking", "--no-first-run",
                  "--disable-dev-shm-usage", "--window-size=1400,900",
                  # nothing leaves the machine: every host but 127.0.0.1 fails to resolve
                  "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1")


def _missing(what: str):
    """Fail, saying what is missing and how to install it: this test never skips."""
    pytest.fail(f"{what}; install it (Debian: apt-get install -y chromium chromium-driver "
                "npm; pip install selenium) or run .ci/run", pytrace=False)


def _run(cmd, **kwargs):
    proc = subprocess.run(cmd, capture_output=True, text=True, **kwargs)
    if proc.returncode != 0:
        pytest.fail(f"{' '.join(map(str, cmd))} exited {proc.returncode}\n"
                    f"--- stdout\n{proc.stdout[-4000:]}\n--- stderr\n{proc.stderr[-4000:]}",
                    pytrace=False)
    return proc


@pytest.fixture(scope="module")
def chrome_tools():
    try:
        import selenium  # noqa: F401
    except ImportError:
        _missing("the selenium package is not installed")
    chromium = next((p for p in map(shutil.which, CHROMIUM_NAMES) if p), None)
    if chromium is None:
        _missing(f"no Chromium binary on PATH (looked for {', '.join(CHROMIUM_NAMES)})")
    chromedriver = shutil.which("chromedriver")
    if chromedriver is None:
        _missing("chromedriver is not on PATH")
    return chromium, chromedriver


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    """A small asv report of this checkout: results and html in a temporary directory."""
    root = tmp_path_factory.mktemp("asv-report")
    head = _run(["git", "rev-parse", "HEAD"], cwd=REPO).stdout.strip()
    conf = json.loads((REPO / "asv.conf.json").read_text())
    # Only bench_cake's benchmarks: asv's grid asks for a graph of every discovered
    # benchmark, and one never run answers 404 (a SEVERE console error).
    bench_dir = root / "benchmarks"
    bench_dir.mkdir()
    for name in ("__init__.py", "common.py", "bench_cake.py"):
        shutil.copy2(REPO / "benchmarks" / name, bench_dir / name)
    conf.update(repo=str(REPO), branches=["HEAD"], benchmark_dir=str(bench_dir),
                env_dir=str(root / "env"), results_dir=str(root / "results"),
                html_dir=str(root / "html"))
    conf_path = root / "asv.conf.json"
    conf_path.write_text(json.dumps(conf, indent=4))
    # A HOME of its own: the machine entry must not land in the user's ~/.asv-machine.json.
    env = dict(os.environ, HOME=str(root))
    asv = [sys.executable, "-m", "asv"]
    _run(asv + ["machine", "--yes", "--machine", MACHINE, "--config", str(conf_path)],
         cwd=root, env=env, timeout=120)
    _run(asv + ["run", "--config", str(conf_path), "--machine", MACHINE, "--quick",
                "-E", f"existing:{sys.executable}", "--set-commit-hash", head,
                "--bench", "^bench_cake\\.", "--show-stderr"],
         cwd=root, env=env, timeout=600)
    _run(asv + ["publish", "--config", str(conf_path)], cwd=root, env=env, timeout=300)
    html = root / "html"
    assert (html / "index.html").is_file()
    assert (html / "graphs").is_dir()
    # What make bench does after publishing: pinned local copies of the CDN libraries.
    if shutil.which("npm") is None and not (report_vendor.default_cache()).is_dir():
        _missing("npm is needed once to fetch the report's libraries")
    _run([sys.executable, "-m", "vfi_bench", "vendor", str(html)], timeout=600)
    # What make bench's publish does to asv's pages (vfi_bench.runner.cmd_publish).
    publish.patch_graph_page(html)
    publish.summaries_of(html, MACHINE)
    publish.note_regressions(html, MACHINE)
    _run([sys.executable, "-m", "vfi_bench", "frontpage", "--commit", head, "--machine",
          MACHINE, "--results", str(root / "results"), "--html", str(html),
          "--compare", str(root / "no-compare")], cwd=REPO, timeout=300)
    return html


@pytest.fixture(scope="module")
def server(report):
    """The published directory as it is, served on 127.0.0.1 (nothing rewritten here)."""

    class Handler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Handler, directory=str(report)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def driver(chrome_tools):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    chromium, chromedriver = chrome_tools
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    drv = webdriver.Chrome(service=Service(executable_path=chromedriver), options=options)
    drv.set_page_load_timeout(60)
    yield drv
    drv.quit()


def _wait(driver, condition, what, timeout=30):
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.support.ui import WebDriverWait

    try:
        return WebDriverWait(driver, timeout).until(condition)
    except TimeoutException:
        pytest.fail(f"timed out after {timeout} s waiting for {what}; console: "
                    f"{driver.get_log('browser')}", pytrace=False)


def _severe(driver):
    return [entry for entry in driver.get_log("browser") if entry.get("level") == "SEVERE"]


def test_benchmark_list_shows_bench_cake(driver, server):
    from selenium.webdriver.common.by import By

    driver.get(f"{server}/index.html#/summarylist")
    rows = _wait(driver,
                 lambda d: [e.text for e in d.find_elements(By.CSS_SELECTOR,
                                                            "#summarylist-body td")
                            if "time_iterate" in e.text] or None,
                 "the benchmark list (#summarylist-body) to show time_iterate")
    assert any("NotebookCase" in text or "time_iterate" in text for text in rows)
    driver.get(f"{server}/index.html")
    names = _wait(driver,
                  lambda d: [e.get_attribute("href") for e in
                             d.find_elements(By.CSS_SELECTOR, "a.benchmark-container")] or None,
                  "the benchmark grid (a.benchmark-container)")
    assert any(href.endswith("#" + BENCH) for href in names), names
    errors = _severe(driver)
    assert not errors, f"SEVERE console messages: {errors}"
    assert not driver.find_element(By.ID, "error").is_displayed(), "asv shows its error box"


def test_benchmark_graph_renders(driver, server, report):
    from selenium.webdriver.common.by import By

    driver.get(f"{server}/index.html#{BENCH}?variant={GRAPH_VARIANT}")
    canvas = _wait(driver,
                   lambda d: next((c for c in d.find_elements(By.CSS_SELECTOR,
                                                              "#main-graph canvas.flot-base")
                                   if c.size["width"] > 0 and c.size["height"] > 0), None),
                   f"a non-empty flot canvas in #main-graph for {BENCH}")
    # Something is drawn on it: opaque pixels (axes, grid, the data) on the canvas.
    drawn = driver.execute_script(
        "const c = arguments[0]; const d = c.getContext('2d')"
        ".getImageData(0, 0, c.width, c.height).data; let n = 0;"
        "for (let i = 3; i < d.length; i += 4) { if (d[i] > 0) n++; } return n;", canvas)
    assert drawn > 100, f"the flot canvas is blank ({drawn} painted pixels)"
    assert BENCH in driver.find_element(By.ID, "title").text
    shot = report / "report-screenshot.png"
    assert driver.save_screenshot(str(shot)) and shot.stat().st_size > 0
    if os.environ.get("VFI_SCREENSHOT_DIR"):
        out = Path(os.environ["VFI_SCREENSHOT_DIR"])
        out.mkdir(parents=True, exist_ok=True)
        shutil.copy2(shot, out / shot.name)
    errors = _severe(driver)
    assert not errors, f"SEVERE console messages: {errors}"
    assert not driver.find_element(By.ID, "error").is_displayed(), "asv shows its error box"


def test_front_page_is_linked_and_shows_the_notebook_table(driver, server):
    from selenium.webdriver.common.by import By

    driver.get(f"{server}/index.html")
    link = _wait(driver, lambda d: d.find_elements(By.ID, "asvkit-front-page") or None,
                 "the link to the front page in asv's navigation bar")[0]
    assert link.is_displayed()
    link.click()
    cells = _wait(driver, lambda d: [e.text for e in d.find_elements(By.CSS_SELECTOR, "td")]
                  or None, "the front page's tables")
    assert GRAPH_VARIANT in cells and "1.00x" in cells  # numba-masked against itself
    assert driver.find_element(By.CSS_SELECTOR, 'a[href="index.html"]').is_displayed()
    assert not _severe(driver), _severe(driver)


def _painted(driver, canvas) -> int:
    return driver.execute_script(
        "const c = arguments[0]; const d = c.getContext('2d')"
        ".getImageData(0, 0, c.width, c.height).data; let n = 0;"
        "for (let i = 3; i < d.length; i += 4) { if (d[i] > 0) n++; } return n;", canvas)


def test_a_thumbnail_of_one_commit_draws_its_point_and_says_so(driver, server):
    from selenium.webdriver.common.by import By

    driver.get(f"{server}/index.html")
    plot = f"[id='summarygrid-{BENCH}']"
    note = _wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, f"{plot} .asvkit-one-commit")
                 or None, f"the one-commit note in the thumbnail of {BENCH}")[0]
    assert note.text == "one commit so far: make bench-history draws the trend"
    assert note.is_displayed()
    canvas = driver.find_element(By.CSS_SELECTOR, f"{plot} canvas.flot-base")
    assert _painted(driver, canvas) > 0  # the marker (a line needs two points)
    assert not _severe(driver), _severe(driver)


def test_the_regressions_page_says_how_many_commits_it_looked_at(driver, server):
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By

    def shown_note(d):  # the page draws its table twice (loading, then loaded): re-find
        try:
            notes = [e.text for e in d.find_elements(By.ID, "asvkit-regressions-note")
                     if e.is_displayed()]
        except StaleElementReferenceException:
            return None
        return notes[0] if notes else None

    driver.get(f"{server}/index.html#regressions")
    note = _wait(driver, shown_note, "the note on the Regressions page")
    assert f"1 commit of {MACHINE}'s history" in note and "lists 0 steps" in note, note


def test_the_graph_legend_is_readable_and_clear_of_plot_and_overview(driver, server):
    from selenium.webdriver.common.by import By

    driver.get(f"{server}/index.html#{BENCH}")
    legend = _wait(driver, lambda d: next((e for e in d.find_elements(By.ID, "asvkit-legend")
                                           if e.find_elements(By.CSS_SELECTOR,
                                                              "td.legendLabel")), None),
                   "the graph's legend box with its labels")
    box = legend.rect
    plot = driver.find_element(By.ID, "main-graph").rect
    overview = driver.find_element(By.ID, "overview").rect
    assert box["y"] >= plot["y"] + plot["height"] - 1, (box, plot)
    assert box["y"] + box["height"] <= overview["y"] + 1, (box, overview)
    labels = legend.find_elements(By.CSS_SELECTOR, "td.legendLabel")
    assert labels and all(label.is_displayed() for label in labels)
    size = driver.execute_script(
        "return parseFloat(getComputedStyle(arguments[0]).fontSize);", labels[0])
    assert size >= 12, f"legend labels at {size}px"


def test_the_front_page_says_where_your_column_is(driver, server):
    from selenium.webdriver.common.by import By

    driver.get(f"{server}/vfi.html")
    lead = driver.find_element(By.CSS_SELECTOR, "p.status").text
    assert lead.startswith(f"{MACHINE}'s column is at "), lead
    assert "HEAD" in lead and " run " in lead, lead

"""vfi_bench.asvkit.vendor: the published report refers to nothing outside itself.

Runs on asv's own ``index.html`` (the installed asv's template), with a fake npm cache
built here, so it needs neither npm nor the network.
"""
import re
import shutil
from pathlib import Path

import asv  # the bench extra, which make venv installs
import pytest

from vfi_bench.asvkit import vendor as report_vendor

ASV_INDEX = Path(asv.__file__).parent / "www" / "index.html"
EXTERNAL = re.compile(r'<(?:script|link)\b[^>]*\s(?:src|href)="(?:https?:)?//', re.I)


@pytest.fixture
def fake_cache(tmp_path, monkeypatch):
    """A cache holding every pinned file, with the digests of these fake contents."""
    cache = tmp_path / "cache"
    digests = {}
    for spec, path in report_vendor.VENDOR.values():
        file = cache / spec / "package" / path
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text(f"/* {spec} {path} */\n")
        digests[f"{spec}/{path}"] = report_vendor.sha256(file)
    for spec in report_vendor.packages():
        (cache / spec / "package" / "package.json").write_text('{"license": "MIT"}')
    (cache / "bootstrap@3.1.1" / "package" / "dist" / "fonts").mkdir(parents=True)
    (cache / "bootstrap@3.1.1" / "package" / "dist" / "fonts" / "g.woff").write_text("font")
    monkeypatch.setattr(report_vendor, "SHA256", digests)
    return cache


@pytest.fixture
def published(tmp_path):
    html = tmp_path / "html"
    html.mkdir()
    shutil.copy(ASV_INDEX, html / "index.html")
    return html


def test_asv_template_loads_from_cdns_today():
    # The premise: if asv stops using CDNs, this module can go.
    assert EXTERNAL.search(ASV_INDEX.read_text())


def test_every_cdn_tag_points_into_the_report(published, fake_cache):
    files = report_vendor.vendor(published, fake_cache, ("front.html", "Start <here>"))
    text = (published / "index.html").read_text()
    assert not EXTERNAL.search(text), EXTERNAL.search(text)
    assert "integrity=" not in text
    for url in report_vendor.VENDOR:
        local = report_vendor.local_path(url)
        assert f'"{local}"' in text and (published / local).is_file(), local
    assert len(files) == len(set(report_vendor.VENDOR.values()))
    assert (published / "_vendor" / "bootstrap@3.1.1" / "dist" / "fonts" / "g.woff").is_file()
    assert 'href="front.html"' in text  # the front page is linked from asv's navigation
    assert "Start &lt;here&gt;" in text  # its label escaped


def test_the_tool_names_no_project_and_links_no_page_unless_told(published, fake_cache):
    report_vendor.vendor(published, fake_cache)
    assert "asvkit-front-page" not in (published / "index.html").read_text()
    tool = Path(report_vendor.__file__).parent
    for source in sorted(tool.glob("*.py")):
        named = [word for word in code_words(source.read_text())
                 if re.search(r"vfi(?!_bench)", word.replace("vfi_bench.asvkit", ""))]
        assert named == [], source
    assert "vfi" not in (tool / "callgrind_shim.c").read_text().replace("vfi_bench", "")


def code_words(text: str) -> list[str]:
    """The names and the string constants of a module's code (docstrings left out: they
    may say where the tool came from)."""
    import ast

    tree = ast.parse(text)
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef,
                                       ast.AsyncFunctionDef))
                  and node.body and isinstance(node.body[0], ast.Expr)
                  and isinstance(node.body[0].value, ast.Constant)}
    words = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            words.append(node.id)
        elif isinstance(node, ast.Attribute):
            words.append(node.attr)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) \
                and id(node) not in docstrings:
            words.append(node.value)
    return words


def test_rewriting_twice_changes_nothing(published, fake_cache):
    report_vendor.vendor(published, fake_cache)
    once = (published / "index.html").read_text()
    report_vendor.vendor(published, fake_cache)
    assert (published / "index.html").read_text() == once


def test_an_unknown_cdn_is_refused():
    page = '<script src="https://cdn.example.invalid/new-lib.js"></script>'
    with pytest.raises(report_vendor.VendorError, match="new-lib.js"):
        report_vendor.rewrite_index(page)


def test_a_file_that_differs_from_its_pinned_digest_is_refused(published, fake_cache):
    spec, path = next(iter(report_vendor.VENDOR.values()))
    (fake_cache / spec / "package" / path).write_text("tampered")
    with pytest.raises(report_vendor.VendorError, match="SHA-256"):
        report_vendor.vendor(published, fake_cache)
    assert EXTERNAL.search((published / "index.html").read_text())  # left as it was


def test_no_npm_and_no_cache_says_why(published, tmp_path, monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(report_vendor.VendorError, match="npm is needed"):
        report_vendor.vendor(published, tmp_path / "empty-cache")


def test_main_exits_2_with_the_reason(tmp_path, capsys):
    assert report_vendor.main([str(tmp_path / "nothing"), "--cache", str(tmp_path)]) == 2
    assert "report_vendor:" in capsys.readouterr().err

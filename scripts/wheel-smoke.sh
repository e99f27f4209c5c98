#!/usr/bin/env bash
# Build the sdist, then the wheel from it; install the wheel into a clean virtual environment
# outside the checkout, and run `repolens report` and `repolens check` on a copy of the sample
# from a folder that holds no repolens files: what a lab gets from `pip install repolens`.
#
#   scripts/wheel-smoke.sh      (make wheel-test)
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python}
log() { printf 'wheel-smoke: %s\n' "$*" >&2; }

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
rm -rf dist
"$PYTHON" -m build --outdir dist . >"$scratch/build.log" 2>&1 \
  || { cat "$scratch/build.log"; exit 1; }
wheel=$(ls dist/*.whl)
sdist=$(ls dist/*.tar.gz)
log "built $(basename "$wheel") ($(du -k "$wheel" | cut -f1) KiB) and $(basename "$sdist") ($(du -k "$sdist" | cut -f1) KiB)"
# Read with Python's zipfile: a fresh machine may lack unzip, and `unzip | grep -q` fails
# under pipefail when grep stops reading first.
if ! "$PYTHON" -c 'import sys, zipfile; sys.exit("repolens/bundled/analyze.ipynb" not in zipfile.ZipFile(sys.argv[1]).namelist())' "$wheel"; then
  log "FAIL: the wheel does not carry the analysis notebook"
  exit 1
fi

"$PYTHON" -m venv "$scratch/venv"
started=$SECONDS
"$scratch/venv/bin/python" -m pip install --quiet --disable-pip-version-check "${wheel}[notebooks]" \
  2>"$scratch/pip.log" || { cat "$scratch/pip.log"; exit 1; }
log "installed in a clean venv in $((SECONDS - started)) s"

cp -r examples/Detect_Lines "$scratch/data"
mkdir "$scratch/elsewhere"
cd "$scratch/elsewhere"
"$scratch/venv/bin/repolens" report "$scratch/data" -o "$scratch/report" -q
test -s "$scratch/report/report.html" && test -s "$scratch/report/metrics.json"
set +e
"$scratch/venv/bin/repolens" check "$scratch/data" -q -o "$scratch/report"
status=$?
set -e
if [[ $status != 4 ]]; then  # the sample carries errors on purpose
  log "FAIL: repolens check exited $status, expected 4 (findings) on the sample"
  exit 1
fi
test -s "$scratch/report/findings.sarif"
log "passed: report and check ran from $scratch/elsewhere with the installed wheel"

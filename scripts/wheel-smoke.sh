#!/usr/bin/env bash
# Build the sdist, then the wheel from it with the per-file path compiled by mypyc
# (REPOLENS_MYPYC=1, setup.py); install the wheel into a clean virtual environment outside
# the checkout, check that its reports equal the pure source's byte for byte
# (tests/test_compiled.py), and run `repolens report` and `repolens check` on a copy of the
# sample from a folder that holds no repolens files: what a lab gets from `pip install repolens`.
# The sdist, built again without the variable, must give a pure-Python wheel.
#
#   scripts/wheel-smoke.sh      (make wheel-test)
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python}
log() { printf 'wheel-smoke: %s\n' "$*" >&2; }
# Whether a wheel holds a member whose whole name matches an expression. Read with Python's
# zipfile: a fresh machine may lack unzip, and `unzip | grep -q` fails under pipefail when
# grep stops reading first.
has_member() {
  "$PYTHON" -c 'import re, sys, zipfile
names = zipfile.ZipFile(sys.argv[1]).namelist()
sys.exit(not any(re.fullmatch(sys.argv[2], name) for name in names))' "$1" "$2"
}

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
rm -rf dist
started=$SECONDS
REPOLENS_MYPYC=1 "$PYTHON" -m build --outdir dist . >"$scratch/build.log" 2>&1 \
  || { cat "$scratch/build.log"; exit 1; }
wheel=$(ls dist/*.whl)
sdist=$(ls dist/*.tar.gz)
log "built $(basename "$wheel") ($(du -k "$wheel" | cut -f1) KiB, compiled) and $(basename "$sdist") ($(du -k "$sdist" | cut -f1) KiB) in $((SECONDS - started)) s"
if ! has_member "$wheel" 'repolens/bundled/analyze\.ipynb'; then
  log "FAIL: the wheel does not carry the analysis notebook"
  exit 1
fi
if ! has_member "$wheel" 'repolens/scanning/sniff\.cpython.*\.so'; then
  log "FAIL: the wheel does not carry the compiled modules"
  exit 1
fi
"$PYTHON" -m pip wheel --quiet --no-deps --disable-pip-version-check -w "$scratch/pure" "$sdist" \
  >"$scratch/pure.log" 2>&1 || { cat "$scratch/pure.log"; exit 1; }
if has_member "$scratch"/pure/*.whl '.*\.so'; then
  log "FAIL: the sdist built without REPOLENS_MYPYC=1 gave a compiled wheel"
  exit 1
fi
log "the sdist alone builds a pure-Python wheel"

"$PYTHON" -m venv "$scratch/venv"
started=$SECONDS
"$scratch/venv/bin/python" -m pip install --quiet --disable-pip-version-check "${wheel}[notebooks]" \
  2>"$scratch/pip.log" || { cat "$scratch/pip.log"; exit 1; }
log "installed in a clean venv in $((SECONDS - started)) s"
REPOLENS_COMPILED_PYTHON="$scratch/venv/bin/python" "$PYTHON" -m pytest -q -p no:cacheprovider \
  -o addopts="" tests/test_compiled.py >"$scratch/compiled.log" 2>&1 \
  || { cat "$scratch/compiled.log"; log "FAIL: the compiled wheel and the source differ"; exit 1; }
if grep -q "skipped" "$scratch/compiled.log"; then
  cat "$scratch/compiled.log"; log "FAIL: the compiled comparison was skipped"; exit 1
fi
log "compiled and pure reports are byte-identical ($(tail -1 "$scratch/compiled.log"))"

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

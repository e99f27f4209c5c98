#!/usr/bin/env bash
# `repolens report` on a generated tree of 1,000,000 files, in the container, under the
# Job's limits (512 MiB of memory, no swap, half a CPU): wall time, the peak RSS of the
# largest process (papermill, the kernel that scans, the engine's process) and the exit code.
#
#   bench/million.sh        (make bench-million; needs podman and the image of make container-test)
set -euo pipefail
cd "$(dirname "$0")/.."
export CONTAINERS_CONF=${CONTAINERS_CONF:-$PWD/scripts/containers.conf}
IMAGE=${IMAGE:-localhost/repolens:test}
PYTHON=${PYTHON:-python}
tree=$("$PYTHON" -c 'import sys; sys.path.insert(0, "bench"); import run; print(run.million_tree())')
files=$(find "$tree" -type f | wc -l)
out=$(mktemp -d /var/tmp/repolens-million-out.XXXXXX)
chmod 0777 "$out"
trap 'rm -rf "$out" "$out.log"' EXIT
start=$(date +%s)
set +e
podman run --rm --read-only --network none --cap-drop ALL --security-opt no-new-privileges \
  --user 10001:10001 --memory 512m --memory-swap 512m --cpus 0.5 \
  -v "$tree:/data:ro" -v "$out:/output" --entrypoint sh "$IMAGE" \
  -c 'python -c "
import resource, subprocess, sys
code = subprocess.call([\"repolens\", \"report\", \"-q\"])
print(\"maxrss_kib\", resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
sys.exit(code)"' \
  >"$out.log" 2>&1
code=$?
set -e
seconds=$(( $(date +%s) - start ))
maxrss=$(sed -n 's/^maxrss_kib //p' "$out.log")
tail -5 "$out.log"
summary=$("$PYTHON" -c 'import json,sys; s=json.load(open(sys.argv[1]))["summary"]; print(s["total_files"])' "$out/metrics.json" 2>/dev/null || echo "no report")
line="\`repolens report\` on $files files (bench/million.sh), in the container with 512 MiB and 0.5 CPU: exit $code in $seconds s, largest process ${maxrss:+$((maxrss / 1024)) MiB} (peak RSS), metrics.json counts $summary files ($(date -u +%Y-%m-%d))."
echo "$line"

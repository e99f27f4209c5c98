#!/usr/bin/env bash
# Build the image with podman and run it as the Job would: on the bundled sample mounted
# read-only, with a read-only root filesystem, no network and no capabilities; then run the
# Job's own rendered pod spec (ConfigMap and PVC included) with `podman kube play`. Each run's
# reports are checked against the library's scan of the same tree (scripts/check_report.py).
# Then the portfolio: the Indexed Job's pod once per index (JOB_COMPLETION_INDEX set as
# Kubernetes sets it) over generated repositories sharing one output volume, then the merge
# Job's pod; the merged table is checked against the library (scripts/check_portfolio.py).
#
#   scripts/container-test.sh      (make container-test)
#
# Skips, saying so, only where containers cannot run at all; a build or run failure fails.
# BASE_IMAGE: a base to build on instead of making one with scripts/make-base-image.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

export CONTAINERS_CONF=${CONTAINERS_CONF:-$PWD/scripts/containers.conf}
IMAGE=${IMAGE:-localhost/repolens:test}
SAMPLE=examples/Detect_Lines
PYTHON=${PYTHON:-python}
started=$SECONDS

log() { printf 'container-test: %s\n' "$*" >&2; }

if ! command -v podman >/dev/null 2>&1; then
  log "SKIP: podman is not installed, containers cannot run on this machine"
  exit 0
fi
if ! podman info >/dev/null 2>&1; then
  log "SKIP: podman cannot start here: $(podman info 2>&1 | tail -1)"
  exit 0
fi

if [[ -z "${BASE_IMAGE:-}" ]]; then
  BASE_IMAGE=localhost/repolens-base:bookworm
  scripts/make-base-image.sh "$BASE_IMAGE"
fi

log "building $IMAGE on $BASE_IMAGE"
build_args=(--build-arg "BASE_IMAGE=$BASE_IMAGE" --build-arg "REVISION=$(git rev-parse HEAD 2>/dev/null || echo unknown)")
if [[ -f /etc/ssl/certs/ca-certificates.crt ]]; then
  build_args+=(--build-arg PIP_CERT=/etc/ssl/certs/ca-certificates.crt)
fi
podman build --network host "${build_args[@]}" -t "$IMAGE" .
size=$(podman image inspect --format '{{.Size}}' "$IMAGE")

scratch=$(mktemp -d)
cleanup() {
  podman kube down "$scratch/kube.yaml" >/dev/null 2>&1 || true
  for file in "$scratch"/portfolio-*.yaml; do
    if [[ -e "$file" ]]; then podman kube down "$file" >/dev/null 2>&1 || true; fi
  done
  podman volume rm -f repolens-output repolens-portfolio-output >/dev/null 2>&1 || true
  rm -rf "$scratch"
}
trap cleanup EXIT

log "1/3 podman run: read-only root, data read-only, no network, no capabilities"
mkdir -p "$scratch/output"
chmod 0777 "$scratch/output"
podman run --rm --read-only --network none --cap-drop ALL --security-opt no-new-privileges \
  --user 10001:10001 \
  -v "$PWD/$SAMPLE:/data:ro" -v "$scratch/output:/output" "$IMAGE"
"$PYTHON" scripts/check_report.py "$scratch/output" "$SAMPLE"

log "2/3 podman kube play: the Job's pod spec from k8s/overlays/minikube"
"$PYTHON" scripts/job_to_pod.py k8s/overlays/minikube "$IMAGE" "$SAMPLE" >"$scratch/kube.yaml"
podman volume rm -f repolens-output >/dev/null 2>&1 || true
podman kube play --replace "$scratch/kube.yaml"
status=$(podman wait repolens-repolens)
podman logs repolens-repolens
if [[ "$status" != 0 ]]; then
  log "FAIL: the Job's container exited with $status"
  exit 1
fi
"$PYTHON" scripts/check_report.py "$(podman volume inspect repolens-output --format '{{.Mountpoint}}')" "$SAMPLE"

log "3/3 the portfolio: the Indexed Job's pod once per index, then the merge Job's pod"
podman kube down "$scratch/kube.yaml" >/dev/null 2>&1 || true  # the report Job's pod is done
repos="$scratch/repositories"
"$PYTHON" examples/make_portfolio.py "$repos" --repos 14  # the 13th is refused by check
shards=$(kubectl kustomize k8s/overlays/portfolio \
  | "$PYTHON" -c 'import sys, yaml; print(next(d["data"]["REPOLENS_SHARDS"] for d in yaml.safe_load_all(sys.stdin) if d["kind"] == "ConfigMap"))')
podman volume rm -f repolens-portfolio-output >/dev/null 2>&1 || true
: >"$scratch/exits"
claims=()  # the first pod creates the output volume; the others mount it as it is
run_id="container-test-$(date +%s)-$$"  # one id for every shard and the merge, as k8s-portfolio.sh sets it
play() {  # play OVERLAY POD [INDEX]: run one pod of the overlay's Job, record its exit
  local file="$scratch/portfolio-$2.yaml"
  "$PYTHON" scripts/job_to_pod.py "${claims[@]}" --run-id "$run_id" "$1" "$IMAGE" "$repos" \
    ${3:+"$3"} >"$file"
  claims=(--no-claims)
  podman kube play --replace "$file" >/dev/null
  local status
  status=$(podman wait "$2-repolens")
  podman logs "$2-repolens"
  printf '%s %s\n' "${3:-merge}" "$status" >>"$scratch/exits"
  podman kube down "$file" >/dev/null
}
for ((index = 0; index < shards; index++)); do
  play k8s/overlays/portfolio "repolens-portfolio-$index" "$index"
done
play k8s/overlays/portfolio-merge repolens-portfolio-merge
"$PYTHON" scripts/check_portfolio.py \
  "$(podman volume inspect repolens-portfolio-output --format '{{.Mountpoint}}')" "$repos" "$scratch/exits"

log "passed in $((SECONDS - started)) s; image $IMAGE is $((size / 1024 / 1024)) MiB"

#!/usr/bin/env bash
# Run the portfolio on a cluster: the Indexed Job over the repositories on the data volume,
# then the merge Job; bring the results home.
#
#   scripts/k8s-portfolio.sh      (make k8s-portfolio)
#
# Settings (environment): OVERLAY (k8s/overlays/portfolio), MERGE_OVERLAY
# (k8s/overlays/portfolio-merge), IMAGE (repolens:0.1.0; loaded into minikube when
# LOAD_IMAGE=1), NAMESPACE (default), TIMEOUT seconds per Job (1800), REPORTS where the
# results are copied (reports/k8s-portfolio), POLL seconds between checks (5).
# The repositories are a folder mounted into the node at /mnt/repolens-portfolio
# (`minikube mount <folder>:/mnt/repolens-portfolio`).
# Steps: load the image, apply the Indexed Job, wait until it is Complete or Failed (an
# index that failed is reported, the others' results stand), print its logs and failed
# indexes, apply the merge Job, wait, print its logs, copy /output out of the volume
# through a helper pod, delete both Jobs.
# Exit status: 0 every repository analysed; 5 the table was fetched but repositories
# failed or are missing; 1 no table (the merge failed to run, or a Job timed out).
set -euo pipefail

OVERLAY=${OVERLAY:-k8s/overlays/portfolio}
MERGE_OVERLAY=${MERGE_OVERLAY:-k8s/overlays/portfolio-merge}
IMAGE=${IMAGE:-repolens:0.1.0}
NAMESPACE=${NAMESPACE:-default}
TIMEOUT=${TIMEOUT:-1800}
POLL=${POLL:-5}
REPORTS=${REPORTS:-reports/k8s-portfolio}
LOAD_IMAGE=${LOAD_IMAGE:-1}
JOB=repolens-portfolio
MERGE=repolens-portfolio-merge
KUBECTL=(kubectl --namespace "$NAMESPACE")

log() { printf 'k8s-portfolio: %s\n' "$*" >&2; }
# shellcheck source=scripts/k8s-common.sh
source "$(dirname "$0")/k8s-common.sh"

if [[ "$LOAD_IMAGE" == 1 ]]; then
  log "loading $IMAGE into minikube"
  minikube image load "$IMAGE"
fi

log "removing an earlier run, if any"
"${KUBECTL[@]}" delete job "$JOB" "$MERGE" --ignore-not-found --wait=true
"${KUBECTL[@]}" delete pod repolens-fetch --ignore-not-found --wait=true

log "applying $OVERLAY"
kubectl kustomize "$OVERLAY" | "${KUBECTL[@]}" apply -f -
state=$(wait_for_job "$JOB" "$TIMEOUT")
log "job/$JOB: $state"
"${KUBECTL[@]}" logs "job/$JOB" --all-containers=true --tail=-1 --prefix=true || true
failed=$("${KUBECTL[@]}" get job "$JOB" -o jsonpath='{.status.failedIndexes}' || true)
if [[ -n "$failed" ]]; then
  log "failed indexes: $failed (their repositories are failed or missing in the table)"
fi

log "applying $MERGE_OVERLAY"
kubectl kustomize "$MERGE_OVERLAY" | "${KUBECTL[@]}" apply -f -
merged=$(wait_for_job "$MERGE" "$TIMEOUT")
log "job/$MERGE: $merged"
"${KUBECTL[@]}" logs "job/$MERGE" --all-containers=true --tail=-1 || true

log "copying the results from the output volume into $REPORTS"
fetch_output repolens-portfolio-output "$IMAGE" "$REPORTS"

log "deleting the Jobs so that the next run starts clean"
"${KUBECTL[@]}" delete job "$JOB" "$MERGE" --ignore-not-found --wait=false

if [[ "$state" == Complete && "$merged" == Complete ]]; then
  exit 0
fi
if [[ -f "$REPORTS/output/portfolio.json" && "$merged" != TimedOut ]]; then
  exit 5
fi
exit 1

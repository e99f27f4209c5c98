#!/usr/bin/env bash
# Run the portfolio on a cluster: the Indexed Job over the repositories on the data volume,
# then the merge Job; bring the results home.
#
#   scripts/k8s-portfolio.sh      (make k8s-portfolio)
#
# Settings (environment): OVERLAY (k8s/overlays/portfolio), MERGE_OVERLAY
# (k8s/overlays/portfolio-merge), IMAGE (repolens:0.1.0; loaded into minikube when
# LOAD_IMAGE=1), NAMESPACE (default), TIMEOUT seconds per Job (1800), REPORTS where the
# results are copied (reports/k8s-portfolio), POLL seconds between checks (5), RUN_ID
# (the run's id; default: a new one, the time and 32 random bits).
# The repositories are a folder mounted into the node at /mnt/repolens-portfolio
# (`minikube mount <folder>:/mnt/repolens-portfolio`).
# Steps: load the image, put the run's id into the ConfigMap repolens-portfolio-run (both
# Jobs read REPOLENS_RUN_ID from it, so the merge takes only this run's rows and names
# what an earlier run left as stale), apply the Indexed Job, wait until it is Complete or
# Failed (an index that failed is reported, the others' results stand), print its logs
# and failed indexes, apply the merge Job, wait, print its logs, copy /output out of the
# volume through a helper pod, delete both Jobs and the run's ConfigMap.
# Exit status: 0 every repository analysed; 5 the table was fetched but repositories
# failed, are missing or are stale; 1 no table (the merge failed to run, or a Job timed
# out).
set -euo pipefail

OVERLAY=${OVERLAY:-k8s/overlays/portfolio}
MERGE_OVERLAY=${MERGE_OVERLAY:-k8s/overlays/portfolio-merge}
IMAGE=${IMAGE:-repolens:0.1.0}
NAMESPACE=${NAMESPACE:-default}
TIMEOUT=${TIMEOUT:-1800}
POLL=${POLL:-5}
REPORTS=${REPORTS:-reports/k8s-portfolio}
LOAD_IMAGE=${LOAD_IMAGE:-1}
RUN_ID=${RUN_ID:-$(date -u +%Y%m%dT%H%M%SZ)-$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')}
JOB=repolens-portfolio
MERGE=repolens-portfolio-merge
RUN_CONFIG=repolens-portfolio-run
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
"${KUBECTL[@]}" delete configmap "$RUN_CONFIG" --ignore-not-found --wait=true

log "run $RUN_ID"
"${KUBECTL[@]}" create configmap "$RUN_CONFIG" --from-literal=REPOLENS_RUN_ID="$RUN_ID"

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

log "deleting the Jobs and the run's id so that the next run starts clean"
"${KUBECTL[@]}" delete configmap "$RUN_CONFIG" --ignore-not-found --wait=false
"${KUBECTL[@]}" delete job "$JOB" "$MERGE" --ignore-not-found --wait=false

if [[ "$state" == Complete && "$merged" == Complete ]]; then
  exit 0
fi
if [[ -f "$REPORTS/output/portfolio.json" && "$merged" != TimedOut ]]; then
  exit 5
fi
exit 1

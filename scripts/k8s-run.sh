#!/usr/bin/env bash
# Run the repolens Job on a cluster and bring its reports home.
#
#   scripts/k8s-run.sh            (make k8s-run)
#
# Settings (environment): OVERLAY (k8s/overlays/minikube), IMAGE (repolens:0.1.0; loaded
# into minikube when LOAD_IMAGE=1), NAMESPACE (default), TIMEOUT seconds (900),
# REPORTS where the reports are copied (reports/k8s), POLL seconds between checks (5).
# Steps: load the image, apply the overlay, wait until the Job is complete or failed,
# print its logs, copy /output out of the PVC through a helper pod, delete the Job.
# Exit status: 0 when the Job completed, 1 when it failed or timed out.
set -euo pipefail

OVERLAY=${OVERLAY:-k8s/overlays/minikube}
IMAGE=${IMAGE:-repolens:0.1.0}
NAMESPACE=${NAMESPACE:-default}
TIMEOUT=${TIMEOUT:-900}
POLL=${POLL:-5}
REPORTS=${REPORTS:-reports/k8s}
LOAD_IMAGE=${LOAD_IMAGE:-1}
JOB=repolens
HELPER=repolens-fetch
KUBECTL=(kubectl --namespace "$NAMESPACE")

log() { printf 'k8s-run: %s\n' "$*" >&2; }
# shellcheck source=scripts/k8s-common.sh
source "$(dirname "$0")/k8s-common.sh"

if [[ "$LOAD_IMAGE" == 1 ]]; then
  log "loading $IMAGE into minikube"
  minikube image load "$IMAGE"
fi

log "removing an earlier run of job/$JOB, if any"
"${KUBECTL[@]}" delete job "$JOB" --ignore-not-found --wait=true
"${KUBECTL[@]}" delete pod "$HELPER" --ignore-not-found --wait=true

log "applying $OVERLAY"
kubectl kustomize "$OVERLAY" | "${KUBECTL[@]}" apply -f -

state=$(wait_for_job "$JOB" "$TIMEOUT")
log "job/$JOB: $state"

log "logs of job/$JOB"
"${KUBECTL[@]}" logs "job/$JOB" --all-containers=true --tail=-1 || true

log "copying the reports from the output volume into $REPORTS"
fetch_output repolens-output "$IMAGE" "$REPORTS"

log "deleting job/$JOB so that the next run starts clean"
"${KUBECTL[@]}" delete job "$JOB" --ignore-not-found --wait=false

[[ "$state" == Complete ]]

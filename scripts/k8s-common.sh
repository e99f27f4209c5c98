# shellcheck shell=bash
# Shared by scripts/k8s-run.sh and scripts/k8s-portfolio.sh (sourced, not run).
# Needs: KUBECTL (array), POLL, log().

# wait_for_job JOB TIMEOUT: prints Complete, Failed or TimedOut, whichever comes first
# (kubectl wait takes one condition).
wait_for_job() {
  local job=$1 timeout=$2 state="" conditions deadline
  deadline=$((SECONDS + timeout))
  while [[ -z "$state" ]]; do
    conditions=$("${KUBECTL[@]}" get job "$job" \
      -o jsonpath='{range .status.conditions[?(@.status=="True")]}{.type}{" "}{end}')
    case " $conditions " in
      *" Complete "*) state=Complete ;;
      *" Failed "*) state=Failed ;;
    esac
    if [[ -z "$state" ]]; then
      if ((SECONDS >= deadline)); then
        state=TimedOut
      else
        sleep "$POLL"
      fi
    fi
  done
  printf '%s\n' "$state"
}

# fetch_output CLAIM IMAGE DEST: copy /output of the claim into DEST through a helper pod.
fetch_output() {
  local claim=$1 image=$2 dest=$3 helper=repolens-fetch
  mkdir -p "$dest"
  sed -e "s|@IMAGE@|$image|" -e "s|@CLAIM@|$claim|" k8s/fetch-pod.yaml | "${KUBECTL[@]}" apply -f -
  if "${KUBECTL[@]}" wait --for=condition=Ready "pod/$helper" --timeout=120s; then
    "${KUBECTL[@]}" cp "$helper:/output" "$dest" || log "nothing to copy"
  fi
  "${KUBECTL[@]}" delete pod "$helper" --ignore-not-found --wait=false
}

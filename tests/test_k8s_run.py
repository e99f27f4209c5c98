"""scripts/k8s-run.sh against stand-in kubectl and minikube: the order of its steps and its exit.

The real cluster run happens only on GitHub; here the script's logic is checked with fakes
that record every call and answer as a cluster would.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from repolens.portfolio.rows import RUN_ID

from .conftest import REPO

FAKE_KUBECTL = r"""#!/usr/bin/env bash
echo "kubectl $*" >> "$CALLS"
args=("$@")
[[ "${args[0]}" == --namespace ]] && args=("${args[@]:2}")
case "${args[0]}" in
  kustomize) exec "$REAL_KUBECTL" "${args[@]}" ;;
  apply) cat > /dev/null ;;
  get)
    if [[ "$*" == *failedIndexes* ]]; then printf '%s' "${FAILED_INDEXES:-}"; exit 0; fi
    polls=$(( $(cat "$STATE_DIR/polls" 2>/dev/null || echo 0) + 1 ))
    echo "$polls" > "$STATE_DIR/polls"
    if (( polls >= 2 )); then printf '%s ' "$JOB_STATE"; fi ;;
  logs) echo "repolens: wrote /output/report.html" ;;
  cp) mkdir -p "${args[2]}/output" && echo '{}' > "${args[2]}/output/metrics.json" \
        && echo '{}' > "${args[2]}/output/portfolio.json" ;;
esac
exit 0
"""

FAKE_MINIKUBE = """#!/usr/bin/env bash
echo "minikube $*" >> "$CALLS"
"""


def run_script(
    tmp_path: Path,
    state: str,
    timeout: str = "30",
    script: str = "scripts/k8s-run.sh",
    **extra: str,
) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    real = shutil.which("kubectl")
    if real is None:
        pytest.skip("kubectl is not installed (needed to render the overlay)")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, text in (("kubectl", FAKE_KUBECTL), ("minikube", FAKE_MINIKUBE)):
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod(0o755)
    env = dict(os.environ)
    env.update(
        PATH=f"{bin_dir}:{env['PATH']}",
        CALLS=str(tmp_path / "calls"),
        REAL_KUBECTL=real,
        STATE_DIR=str(tmp_path),
        JOB_STATE=state,
        POLL="0.2",
        TIMEOUT=timeout,
        REPORTS=str(tmp_path / "reports"),
        **extra,
    )
    result = subprocess.run(
        ["bash", script],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return result, (tmp_path / "calls").read_text().splitlines()


def index(calls: list[str], fragment: str, last: bool = False) -> int:
    found = [i for i, call in enumerate(calls) if fragment in call]
    return found[-1] if last else found[0]


def test_a_completed_job_is_loaded_applied_awaited_logged_fetched_and_deleted(
    tmp_path: Path,
) -> None:
    result, calls = run_script(tmp_path, "Complete")
    assert result.returncode == 0, result.stderr
    order = [
        index(calls, "minikube image load repolens:0.1.0"),
        index(calls, "delete job repolens --ignore-not-found --wait=true"),
        index(calls, "apply -f -"),
        index(calls, "get job repolens"),
        index(calls, "logs job/repolens"),
        index(calls, "cp repolens-fetch:/output"),
        index(calls, "delete pod repolens-fetch", last=True),
    ]
    assert order == sorted(order)
    assert calls[-1].endswith("delete job repolens --ignore-not-found --wait=false")
    assert (tmp_path / "reports" / "output" / "metrics.json").is_file()
    assert "job/repolens: Complete" in result.stderr
    assert "repolens: wrote /output/report.html" in result.stdout


def test_a_failed_job_still_shows_logs_and_reports_and_exits_1(tmp_path: Path) -> None:
    result, calls = run_script(tmp_path, "Failed")
    assert result.returncode == 1
    assert "job/repolens: Failed" in result.stderr
    assert any("logs job/repolens" in call for call in calls)
    assert calls[-1].endswith("delete job repolens --ignore-not-found --wait=false")


def test_a_job_that_never_finishes_times_out(tmp_path: Path) -> None:
    result, _calls = run_script(tmp_path, "", timeout="2")
    assert result.returncode == 1
    assert "job/repolens: TimedOut" in result.stderr


PORTFOLIO = "scripts/k8s-portfolio.sh"


def test_the_portfolio_runs_the_indexed_job_then_the_merge_and_fetches(tmp_path: Path) -> None:
    result, calls = run_script(tmp_path, "Complete", script=PORTFOLIO)
    assert result.returncode == 0, result.stderr
    order = [
        index(calls, "minikube image load repolens:0.1.0"),
        index(calls, "delete job repolens-portfolio repolens-portfolio-merge --ignore-not-found"),
        index(calls, "delete configmap repolens-portfolio-run --ignore-not-found --wait=true"),
        index(calls, "create configmap repolens-portfolio-run --from-literal=REPOLENS_RUN_ID="),
        index(calls, "kustomize k8s/overlays/portfolio"),
        index(calls, "get job repolens-portfolio -o jsonpath={range"),
        index(calls, "logs job/repolens-portfolio "),
        index(calls, "kustomize k8s/overlays/portfolio-merge"),
        index(calls, "get job repolens-portfolio-merge"),
        index(calls, "logs job/repolens-portfolio-merge"),
        index(calls, "cp repolens-fetch:/output"),
        index(calls, "delete configmap repolens-portfolio-run --ignore-not-found --wait=false"),
    ]
    assert order == sorted(order)
    assert calls[-1].endswith(
        "delete job repolens-portfolio repolens-portfolio-merge --ignore-not-found --wait=false"
    )
    assert (tmp_path / "reports" / "output" / "portfolio.json").is_file()
    (created,) = [call for call in calls if "create configmap" in call]
    run_id = created.rsplit("REPOLENS_RUN_ID=", 1)[1]
    assert RUN_ID.fullmatch(run_id), run_id  # an id repolens accepts
    (tmp_path / "again").mkdir()
    again, calls = run_script(tmp_path / "again", "Complete", script=PORTFOLIO)
    assert again.returncode == 0, again.stderr
    (created,) = [call for call in calls if "create configmap" in call]
    assert created.rsplit("REPOLENS_RUN_ID=", 1)[1] != run_id  # a new id for each run


def test_failed_indexes_are_named_and_the_merge_still_runs(tmp_path: Path) -> None:
    result, calls = run_script(tmp_path, "Failed", script=PORTFOLIO, FAILED_INDEXES="1,3")
    assert result.returncode == 5  # the table came back, with failures in it
    assert "failed indexes: 1,3" in result.stderr
    assert any("kustomize k8s/overlays/portfolio-merge" in call for call in calls)


def test_a_portfolio_that_never_finishes_times_out(tmp_path: Path) -> None:
    result, _calls = run_script(tmp_path, "", timeout="1", script=PORTFOLIO)
    assert result.returncode == 1
    assert "job/repolens-portfolio: TimedOut" in result.stderr

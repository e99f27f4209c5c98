"""The portfolio's Kubernetes contracts: the Indexed Job and the merge Job as rendered by
kustomize, the environment they pass reaching `repolens portfolio`, and every index
writing folders of its own. The cluster run happens only on GitHub (Minikube)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from repolens import cli
from repolens.commands import errors
from repolens.commands.portfolio import PORTFOLIO_ENVIRONMENT as READ_BY_PORTFOLIO
from repolens.portfolio import read_list

from .conftest import REPO
from .test_deploy import render_overlay

DOCKERFILE = (REPO / "Dockerfile").read_text()
SCRIPT = (REPO / "scripts" / "k8s-portfolio.sh").read_text()
PORTFOLIO_ENVIRONMENT = {"REPOLENS_PORTFOLIO_LIST", "OUTPUT_DIR", "REPOLENS_SHARDS"}
RUN_CONFIG = "repolens-portfolio-run"  # made anew for each run by scripts/k8s-portfolio.sh


@pytest.fixture(scope="module")
def indexed() -> dict[str, list[dict]]:
    return render_overlay("portfolio")


@pytest.fixture(scope="module")
def merging() -> dict[str, list[dict]]:
    return render_overlay("portfolio-merge")


def _environment(kinds: dict[str, list[dict]]) -> dict[str, str]:
    (config,) = kinds["ConfigMap"]
    return dict(config["data"])


def test_the_indexed_job_shards_as_many_as_it_completes(indexed) -> None:
    (job,) = indexed["Job"]
    spec = job["spec"]
    assert spec["completionMode"] == "Indexed"
    environment = _environment(indexed)
    assert int(environment["REPOLENS_SHARDS"]) == spec["completions"]
    assert 1 <= spec["parallelism"] <= spec["completions"]
    assert spec["backoffLimitPerIndex"] >= 1
    assert 0 < spec["maxFailedIndexes"] < spec["completions"]
    assert spec["activeDeadlineSeconds"] > 0 and spec["ttlSecondsAfterFinished"] > 0
    assert "backoffLimit" not in spec  # per index instead
    rules = {rule["action"]: rule for rule in spec["podFailurePolicy"]["rules"]}
    assert rules["FailIndex"]["onExitCodes"]["values"] == [errors.EXIT_REPOSITORY_FAILED]
    assert rules["FailJob"]["onExitCodes"]["values"] == [errors.EXIT_USAGE]
    assert rules["Ignore"]["onPodConditions"][0]["type"] == "DisruptionTarget"
    (container,) = job["spec"]["template"]["spec"]["containers"]
    assert container["args"] == ["portfolio"]  # the entrypoint is repolens
    assert re.search(r'^ENTRYPOINT \["repolens"\]$', DOCKERFILE, re.M)


def test_the_merge_job_merges_and_the_index_job_is_not_applied_again(merging) -> None:
    (job,) = merging["Job"]
    assert job["metadata"]["name"] == "repolens-portfolio-merge"
    (container,) = job["spec"]["template"]["spec"]["containers"]
    assert container["args"] == ["portfolio", "--merge"]
    fail = next(r for r in job["spec"]["podFailurePolicy"]["rules"] if r["action"] == "FailJob")
    assert sorted(fail["onExitCodes"]["values"]) == [
        errors.EXIT_USAGE,
        errors.EXIT_REPOSITORY_FAILED,
    ]


@pytest.mark.parametrize("overlay", ["portfolio", "portfolio-merge"])
def test_pods_keep_to_the_restricted_profile_and_mounts_match(overlay: str) -> None:
    kinds = render_overlay(overlay)
    (job,) = kinds["Job"]
    pod = job["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault"
    assert pod["automountServiceAccountToken"] is False
    assert pod["restartPolicy"] == "Never"
    own = container["securityContext"]
    assert own["readOnlyRootFilesystem"] is True and own["allowPrivilegeEscalation"] is False
    assert own["capabilities"]["drop"] == ["ALL"]
    assert all("hostPath" not in volume for volume in pod["volumes"])
    mounts = {mount["mountPath"]: mount for mount in container["volumeMounts"]}
    environment = _environment(kinds)
    assert set(environment) == PORTFOLIO_ENVIRONMENT
    assert set(environment) <= set(READ_BY_PORTFOLIO) - {"JOB_COMPLETION_INDEX"}
    assert environment["REPOLENS_PORTFOLIO_LIST"].startswith("/data")
    assert mounts["/data"]["readOnly"] is True
    assert not mounts["/output"].get("readOnly", False)
    assert environment["OUTPUT_DIR"] == "/output" and "/tmp" in mounts
    claims = {claim["metadata"]["name"] for claim in kinds["PersistentVolumeClaim"]}
    used = {
        v["persistentVolumeClaim"]["claimName"]
        for v in pod["volumes"]
        if "persistentVolumeClaim" in v
    }
    assert used <= claims
    (config,) = kinds["ConfigMap"]
    assert container["envFrom"][0]["configMapRef"]["name"] == config["metadata"]["name"]
    assert len(yaml.safe_dump(job)) < 16_384  # the list is on the volume, never in the Job
    # The run's id: from the ConfigMap the script makes for each run, the same for both Jobs;
    # optional, so that a Job applied without it ends at once with exit 2 (FailJob), not
    # with pods that never start.
    (run_id,) = container["env"]
    assert run_id["name"] == "REPOLENS_RUN_ID" and run_id["name"] in READ_BY_PORTFOLIO
    reference = run_id["valueFrom"]["configMapKeyRef"]
    assert reference == {"name": RUN_CONFIG, "key": "REPOLENS_RUN_ID", "optional": True}
    assert f"RUN_CONFIG={RUN_CONFIG}" in SCRIPT
    assert 'create configmap "$RUN_CONFIG" --from-literal=REPOLENS_RUN_ID="$RUN_ID"' in SCRIPT


def test_each_index_writes_its_own_folders_and_the_merge_takes_them_all(
    indexed, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each index run with the rendered environment (paths moved under tmp_path)."""
    data = tmp_path / "data"
    for number in range(7):
        (data / f"project-{number}").mkdir(parents=True)
        (data / f"project-{number}" / "main.py").write_text(f"x = {number}\n")
    output = tmp_path / "output"
    environment = _environment(indexed)
    count = int(environment["REPOLENS_SHARDS"])
    for key, value in environment.items():
        value = value.replace("/data", str(data), 1) if value.startswith("/data") else value
        value = value.replace("/output", str(output), 1) if value.startswith("/output") else value
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("JOB_COMPLETION_INDEX", "0")
    assert cli.main(["portfolio", "-q"]) == errors.EXIT_USAGE  # no run id: FailJob, nothing run
    assert not output.exists() or not any(output.iterdir())
    monkeypatch.setenv("REPOLENS_RUN_ID", "20260101T000000Z-0a1b2c3d")  # as the script sets it
    written: list[set[str]] = []
    for index in range(count):
        monkeypatch.setenv("JOB_COMPLETION_INDEX", str(index))
        before = set(output.iterdir()) if output.exists() else set()
        assert cli.main(["portfolio", "-q"]) == 0
        written.append({path.name for path in set(output.iterdir()) - before})
    monkeypatch.delenv("JOB_COMPLETION_INDEX")
    names = {repo.name for repo in read_list(data)}
    assert set().union(*written) == names
    assert sum(len(folders) for folders in written) == len(names)  # disjoint
    assert all(written)  # 7 repositories over 4 indexes: every index has work
    assert cli.main(["portfolio", "--merge", "-q"]) == 0
    merged = yaml.safe_load((output / "portfolio.json").read_text())
    assert merged["shards"] == count and merged["counts"]["ok"] == 7
    assert merged["run_id"] == "20260101T000000Z-0a1b2c3d"
    assert [row["shard"] for row in merged["rows"]] == [i % count for i in range(7)]

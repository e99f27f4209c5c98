"""k8s/overlays/rerun: repolens rerun as a Job whose pod is the sandbox. Its contract: the
restricted profile, a NetworkPolicy that denies the pod every egress and ingress, a
deadline, limits on memory and scratch space, the command's own arguments and exit codes."""

from __future__ import annotations

import re

import pytest

from repolens.cli import build_parser
from repolens.commands import errors

from .conftest import REPO
from .test_deploy import DOCKERFILE, render_overlay


@pytest.fixture(scope="module")
def rendered() -> dict[str, list[dict]]:
    return render_overlay("rerun")


def test_the_job_runs_rerun_with_the_pod_as_its_sandbox(rendered) -> None:
    (job,) = rendered["Job"]
    (container,) = job["spec"]["template"]["spec"]["containers"]
    args = container["args"]
    assert args[0] == "rerun"
    parsed = build_parser().parse_args(args)  # the command accepts every argument
    assert (parsed.sandbox, parsed.environment, parsed.fail_on) == ("none", "current", "never")
    (config,) = rendered["ConfigMap"]
    assert config["data"]["ANALYSIS_PATH"] == "/data" and config["data"]["OUTPUT_DIR"] == "/output"


def test_the_pod_is_denied_every_connection(rendered) -> None:
    (job,) = rendered["Job"]
    labels = job["spec"]["template"]["metadata"]["labels"]
    (policy,) = rendered["NetworkPolicy"]
    spec = policy["spec"]
    assert set(spec["policyTypes"]) == {"Ingress", "Egress"}
    assert spec["egress"] == [] and spec["ingress"] == []
    selector = spec["podSelector"]["matchLabels"]
    assert selector and all(labels.get(key) == value for key, value in selector.items())


def test_the_pod_keeps_to_the_restricted_profile_with_limits_and_a_deadline(rendered) -> None:
    (job,) = rendered["Job"]
    pod = job["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    context = pod["securityContext"]
    assert context["runAsNonRoot"] is True and context["seccompProfile"]["type"] == "RuntimeDefault"
    assert str(context["runAsUser"]) == re.search(r"^USER (\d+):", DOCKERFILE, re.M).group(1)
    own = container["securityContext"]
    assert own["allowPrivilegeEscalation"] is False and own["capabilities"]["drop"] == ["ALL"]
    assert own["readOnlyRootFilesystem"] is True
    assert pod["automountServiceAccountToken"] is False
    assert 0 < job["spec"]["activeDeadlineSeconds"] <= 86400
    limits = container["resources"]["limits"]
    assert {"memory", "cpu", "ephemeral-storage"} <= set(limits)
    mounts = {mount["mountPath"]: mount for mount in container["volumeMounts"]}
    assert mounts["/data"]["readOnly"] is True
    volumes = {volume["name"]: volume for volume in pod["volumes"]}
    assert volumes["tmp"]["emptyDir"]["sizeLimit"]
    claims = {claim["metadata"]["name"] for claim in rendered["PersistentVolumeClaim"]}
    for volume in volumes.values():
        if "persistentVolumeClaim" in volume:
            assert volume["persistentVolumeClaim"]["claimName"] in claims


def test_bad_parameters_fail_the_job_and_findings_do_not(rendered) -> None:
    (job,) = rendered["Job"]
    rules = job["spec"]["podFailurePolicy"]["rules"]
    fail = [rule for rule in rules if rule["action"] == "FailJob"]
    assert fail[0]["onExitCodes"]["values"] == [errors.EXIT_USAGE]
    assert (REPO / "k8s" / "overlays" / "rerun" / "network-policy.yaml").is_file()

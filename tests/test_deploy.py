"""Contracts between the image, the Job, the notebook and the workflow: what schemas miss.

Rendered manifests come from `kubectl kustomize`; the Dockerfile and workflow are read as text.
"""

from __future__ import annotations

import ast
import re
import shutil
import subprocess

import nbformat
import pytest
import yaml

from repolens.commands import errors
from repolens.commands.report import REPORT_ENVIRONMENT

from .conftest import REPO

# The report Job's overlays; the portfolio's two have their own contracts (test_portfolio_k8s.py),
# and so has the rerun's (test_rerun_k8s.py).
PORTFOLIO_OVERLAYS = ("portfolio", "portfolio-merge", "rerun")
OVERLAYS = sorted(
    path.name
    for path in (REPO / "k8s" / "overlays").iterdir()
    if path.is_dir() and path.name not in PORTFOLIO_OVERLAYS
)
DOCKERFILE = (REPO / "Dockerfile").read_text()
WORKFLOW = yaml.safe_load((REPO / ".github" / "workflows" / "ci.yml").read_text())


def dockerfile_json(instruction: str) -> list[str]:
    found = re.search(rf"^{instruction} (\[.*\])$", DOCKERFILE, re.M)
    assert found, f"no exec-form {instruction} in the Dockerfile"
    return ast.literal_eval(found.group(1))


def dockerfile_env() -> dict[str, str]:
    block = re.search(r"^ENV (PATH=.*?)(?=^\S)", DOCKERFILE, re.M | re.S)
    assert block
    pairs = re.findall(r"(\w+)=(\S+)", block.group(1).replace("\\\n", " "))
    return dict(pairs)


def render_overlay(overlay: str) -> dict[str, list[dict]]:
    """An overlay as `kubectl kustomize` renders it: its documents by kind."""
    if shutil.which("kubectl") is None:
        pytest.skip("kubectl is not installed")
    text = subprocess.run(
        ["kubectl", "kustomize", str(REPO / "k8s" / "overlays" / overlay)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    kinds: dict[str, list[dict]] = {}
    for document in yaml.safe_load_all(text):
        kinds.setdefault(document["kind"], []).append(document)
    return kinds


@pytest.fixture(scope="module", params=OVERLAYS)
def rendered(request: pytest.FixtureRequest) -> dict[str, list[dict]]:
    kinds = render_overlay(request.param)
    kinds["overlay"] = [{"name": request.param}]
    return kinds


def job_parts(rendered: dict[str, list[dict]]) -> tuple[dict, dict, dict]:
    (job,) = rendered["Job"]
    pod = job["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    return job, pod, container


def test_the_job_runs_the_images_entrypoint_with_its_default_command(rendered) -> None:
    _job, _pod, container = job_parts(rendered)
    assert "command" not in container  # the image's ENTRYPOINT stays
    assert dockerfile_json("ENTRYPOINT") == ["repolens"]
    assert container["args"] == dockerfile_json("CMD") == ["report"]


def test_configmap_keys_are_what_repolens_report_reads(rendered) -> None:
    _job, _pod, container = job_parts(rendered)
    (config,) = rendered["ConfigMap"]
    assert set(config["data"]) <= set(REPORT_ENVIRONMENT)
    assert [ref["configMapRef"]["name"] for ref in container["envFrom"]] == [
        config["metadata"]["name"]
    ]


def test_paths_agree_between_configmap_mounts_and_image(rendered) -> None:
    _job, _pod, container = job_parts(rendered)
    (config,) = rendered["ConfigMap"]
    mounts = {mount["name"]: mount for mount in container["volumeMounts"]}
    assert mounts["data"]["mountPath"] == config["data"]["ANALYSIS_PATH"]
    assert mounts["data"]["readOnly"] is True
    assert mounts["output"]["mountPath"] == config["data"]["OUTPUT_DIR"]
    env = dockerfile_env()
    assert (env["ANALYSIS_PATH"], env["OUTPUT_DIR"]) == (
        config["data"]["ANALYSIS_PATH"],
        config["data"]["OUTPUT_DIR"],
    )
    writable = [
        value
        for key, value in env.items()
        if key
        in (
            "HOME",
            "MPLCONFIGDIR",
            "IPYTHONDIR",
            "JUPYTER_RUNTIME_DIR",
            "JUPYTER_CONFIG_DIR",
            "XDG_CACHE_HOME",
        )
    ]
    assert writable and all(value.startswith(mounts["tmp"]["mountPath"]) for value in writable)


def test_volumes_and_mounts_match_and_claims_exist(rendered) -> None:
    _job, pod, container = job_parts(rendered)
    volumes = {volume["name"]: volume for volume in pod["volumes"]}
    assert {mount["name"] for mount in container["volumeMounts"]} == set(volumes)
    claims = {claim["metadata"]["name"] for claim in rendered["PersistentVolumeClaim"]}
    used = {
        volume["persistentVolumeClaim"]["claimName"]
        for volume in volumes.values()
        if "persistentVolumeClaim" in volume
    }
    assert used <= claims
    assert "emptyDir" in volumes["tmp"]


def test_the_pod_keeps_to_the_restricted_profile(rendered) -> None:
    _job, pod, container = job_parts(rendered)
    context = pod["securityContext"]
    assert context["runAsNonRoot"] is True
    assert context["seccompProfile"]["type"] == "RuntimeDefault"
    assert str(context["runAsUser"]) == re.search(r"^USER (\d+):", DOCKERFILE, re.M).group(1)
    own = container["securityContext"]
    assert own["allowPrivilegeEscalation"] is False
    assert own["capabilities"]["drop"] == ["ALL"]
    assert own["readOnlyRootFilesystem"] is True
    assert not own.get("privileged", False)
    assert all("hostPath" not in volume for volume in pod["volumes"])
    assert pod["automountServiceAccountToken"] is False


def test_the_job_fails_fast_and_cleans_up(rendered) -> None:
    job, pod, container = job_parts(rendered)
    spec = job["spec"]
    assert pod["restartPolicy"] == "Never"
    assert spec["backoffLimit"] == 2
    assert spec["activeDeadlineSeconds"] > 0 and spec["ttlSecondsAfterFinished"] > 0
    fail = [rule for rule in spec["podFailurePolicy"]["rules"] if rule["action"] == "FailJob"]
    assert fail[0]["onExitCodes"]["containerName"] == container["name"]
    assert sorted(fail[0]["onExitCodes"]["values"]) == [errors.EXIT_USAGE, errors.EXIT_NOTEBOOK]
    assert container["resources"] == {
        "requests": {"memory": "256Mi", "cpu": "250m"},
        "limits": {"memory": "512Mi", "cpu": "500m"},
    }


def test_images_carry_a_real_tag(rendered) -> None:
    _job, _pod, container = job_parts(rendered)
    image = container["image"]
    name, _, tag = image.rpartition(":")
    assert name and tag and tag != "latest" and "/" not in tag
    assert container["imagePullPolicy"] == "IfNotPresent"
    overlay = rendered["overlay"][0]["name"]
    if overlay == "ghcr":
        assert image.startswith("ghcr.io/")
    if overlay == "minikube":
        (volume,) = rendered["PersistentVolume"]
        assert volume["spec"]["hostPath"]["path"] == "/mnt/repolens-data"


def test_the_notebook_takes_every_parameter_the_report_passes() -> None:
    notebook = nbformat.read(REPO / "lib" / "repolens" / "bundled" / "analyze.ipynb", 4)
    cell = next(cell for cell in notebook.cells if "parameters" in cell.metadata.get("tags", []))
    names = {node.targets[0].id for node in ast.parse(cell.source).body}
    source = (REPO / "lib" / "repolens" / "render" / "reporting.py").read_text()
    passed = set(
        re.findall(r'^\s+"(\w+)": ', source.split("parameters = {")[1].split("}")[0], re.M)
    )
    assert passed == names


def test_the_dockerfile_pins_and_drops_root() -> None:
    base = re.search(r"^ARG BASE_IMAGE=(\S+)$", DOCKERFILE, re.M).group(1)
    assert re.fullmatch(r"python:3\.11[\w.-]*@sha256:[0-9a-f]{64}", base)
    assert "--require-hashes" in DOCKERFILE and "requirements.lock" in DOCKERFILE
    assert re.search(r"^USER \d+:\d+$", DOCKERFILE, re.M)
    assert "latest" not in DOCKERFILE
    for label in ("source", "revision", "version"):
        assert f"org.opencontainers.image.{label}=" in DOCKERFILE
    ignored = (REPO / ".dockerignore").read_text().splitlines()
    assert ignored[ignored.index("*") + 1 :]  # everything out, then only what is needed back in
    assert "!requirements.lock" in ignored and "!lib/" in ignored


def test_everything_the_dockerfile_copies_passes_the_dockerignore() -> None:
    """A COPY of a file that .dockerignore leaves out fails the build only where an image is
    built; here it fails a test."""
    ignored = set((REPO / ".dockerignore").read_text().splitlines())
    copied = [
        source
        for line in DOCKERFILE.splitlines()
        if line.startswith("COPY ") and "--from=" not in line
        for source in line.split()[1:-1]
    ]
    assert "setup.py" in copied and "lib" in copied
    for source in copied:
        assert f"!{source}" in ignored or f"!{source}/" in ignored, source
        assert (REPO / source).exists(), source


def steps() -> list[tuple[str, dict]]:
    return [(name, step) for name, job in WORKFLOW["jobs"].items() for step in job["steps"]]


def test_actions_are_pinned_by_full_commit() -> None:
    for _job, step in steps():
        if "uses" in step and step["uses"] != "./":  # ./ is this repository's own Action
            assert re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", step["uses"]), step["uses"]


def test_permissions_are_least_privilege() -> None:
    assert WORKFLOW["permissions"] == {"contents": "read"}
    extra = {"image": {"packages": "write"}, "action": {"security-events": "write"}}
    for name, job in WORKFLOW["jobs"].items():
        expected = {"contents": "read", **extra.get(name, {})}
        assert job["permissions"] == expected, name
    pushes = [step for _job, step in steps() if step.get("with", {}).get("push") is True]
    logins = [step for _job, step in steps() if "login-action" in step.get("uses", "")]
    for step in pushes + logins:
        assert step["if"] == "github.event_name == 'push'"
    assert "concurrency" in WORKFLOW


def test_artifacts_upload_always_and_fail_when_empty() -> None:
    uploads = [step for _job, step in steps() if "upload-artifact" in step.get("uses", "")]
    names = {step["with"]["name"] for step in uploads}
    assert {"reports-k8s", "portfolio-k8s", "docs-site"} <= names
    assert len(names) == len(uploads) == 4
    for step in uploads:
        assert step["if"] == "always()"
        assert step["with"]["if-no-files-found"] == "error"
        assert step["with"]["retention-days"] > 0


def test_ci_runs_the_readme_test_command() -> None:
    readme = (REPO / "README.md").read_text()
    block = re.search(r"```sh\n(.*?)```", readme, re.S).group(1).splitlines()
    test_command = block[1].split("#")[0].strip()
    assert test_command == "python -m pytest"
    ci_script = (REPO / ".ci" / "run").read_text().splitlines()
    assert test_command in ci_script
    workflow_runs = [step.get("run", "") for _job, step in steps()]
    assert test_command in workflow_runs


def apt_packages() -> set[str]:
    """The packages .ci/run installs with apt-get (its continuation lines joined)."""
    script = (REPO / ".ci" / "run").read_text().replace("\\\n", " ")
    line = next(line for line in script.splitlines() if "apt-get install" in line)
    return {word for word in line.split() if re.fullmatch(r"[a-z0-9][a-z0-9.+-]+", word)}


def test_ci_installs_every_program_the_container_scripts_call() -> None:
    """A fresh machine has none of them; --no-install-recommends leaves catatonit out unless
    it is named (podman kube play needs it as its pause process)."""
    needed = {
        "podman": "podman",
        "buildah": "buildah",
        "catatonit": "catatonit",
        "debootstrap": "debootstrap",
        "setpriv": "util-linux",
        "prlimit": "util-linux",  # the rerun sandbox's limits
        "bwrap": "bubblewrap",  # the rerun sandbox
        "chromium": "chromium",
    }
    installed = apt_packages()
    for program, package in needed.items():
        assert package in installed, f"{program} ({package}) is not installed by .ci/run"
    scripts = " ".join(path.read_text() for path in (REPO / "scripts").glob("*.sh"))
    for program in ("podman", "debootstrap"):
        assert program in scripts  # still what the scripts call

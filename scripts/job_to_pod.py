"""Turn the rendered Job of a kustomize overlay into what `podman kube play` runs.

    python scripts/job_to_pod.py [--no-claims] [--run-id ID] OVERLAY IMAGE DATA [INDEX] >kube.yaml

With INDEX (an Indexed Job's), the pod gets JOB_COMPLETION_INDEX=INDEX as Kubernetes
sets it, and its name ends in -INDEX. --no-claims leaves the claims out: the pod then
mounts the podman volumes an earlier pod of the same run created (its output so far).

Keeps the Job's pod template as it is (command, args, env from the ConfigMap, security
context, mounts) and the ConfigMap and output PVC beside it. Only what a single machine
cannot have is replaced: the data volume becomes a read-only hostPath to DATA_DIR, and the
image the one just built. With --run-id, the ConfigMap repolens-portfolio-run holds ID as
REPOLENS_RUN_ID, as scripts/k8s-portfolio.sh creates it before a portfolio's Jobs.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

RUN_CONFIG = "repolens-portfolio-run"  # the ConfigMap the portfolio's Jobs read their run id from


def main(
    overlay: str,
    image: str,
    data: str,
    index: str | None = None,
    claims: bool = True,
    run_id: str | None = None,
) -> None:
    rendered = subprocess.run(
        ["kubectl", "kustomize", overlay], capture_output=True, text=True, check=True
    ).stdout
    documents = [doc for doc in yaml.safe_load_all(rendered) if doc]
    job = next(doc for doc in documents if doc["kind"] == "Job")
    template = job["spec"]["template"]
    spec = template["spec"]
    name = job["metadata"]["name"]
    for container in spec["containers"]:
        container["image"] = image
        if index is not None:
            container.setdefault("env", []).append(
                {"name": "JOB_COMPLETION_INDEX", "value": str(int(index))}
            )
    if index is not None:
        name = f"{name}-{int(index)}"
    data_claims = set()
    for volume in spec["volumes"]:
        if volume["name"] == "data":
            data_claims.add(volume["persistentVolumeClaim"]["claimName"])
            volume.clear()
            volume.update(
                {
                    "name": "data",
                    "hostPath": {"path": str(Path(data).resolve()), "type": "Directory"},
                }
            )
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": template["metadata"]["labels"]},
        "spec": spec,
    }
    keep = [
        doc
        for doc in documents
        if doc["kind"] == "ConfigMap"
        or (
            claims
            and doc["kind"] == "PersistentVolumeClaim"
            and doc["metadata"]["name"] not in data_claims
        )
    ]
    if run_id is not None:
        keep.append(
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": RUN_CONFIG},
                "data": {"REPOLENS_RUN_ID": run_id},
            }
        )
    yaml.safe_dump_all([*keep, pod], sys.stdout, sort_keys=False)


if __name__ == "__main__":
    arguments = sys.argv[1:]
    claims = "--no-claims" not in arguments
    arguments = [arg for arg in arguments if arg != "--no-claims"]
    run_id = None
    if "--run-id" in arguments:
        at = arguments.index("--run-id")
        if at + 1 >= len(arguments):
            sys.exit(__doc__)
        run_id = arguments[at + 1]
        del arguments[at : at + 2]
    if len(arguments) not in (3, 4):
        sys.exit(__doc__)
    main(*arguments, claims=claims, run_id=run_id)

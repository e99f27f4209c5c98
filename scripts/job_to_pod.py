"""Turn the rendered Job of a kustomize overlay into what `podman kube play` runs.

    python scripts/job_to_pod.py OVERLAY IMAGE DATA_DIR > kube.yaml

Keeps the Job's pod template as it is (command, args, env from the ConfigMap, security
context, mounts) and the ConfigMap and output PVC beside it. Only what a single machine
cannot have is replaced: the data volume becomes a read-only hostPath to DATA_DIR, and the
image the one just built.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml


def main(overlay: str, image: str, data: str) -> None:
    rendered = subprocess.run(
        ["kubectl", "kustomize", overlay], capture_output=True, text=True, check=True
    ).stdout
    documents = [doc for doc in yaml.safe_load_all(rendered) if doc]
    job = next(doc for doc in documents if doc["kind"] == "Job")
    template = job["spec"]["template"]
    spec = template["spec"]
    for container in spec["containers"]:
        container["image"] = image
    for volume in spec["volumes"]:
        if volume["name"] == "data":
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
        "metadata": {"name": job["metadata"]["name"], "labels": template["metadata"]["labels"]},
        "spec": spec,
    }
    keep = [
        doc
        for doc in documents
        if doc["kind"] == "ConfigMap"
        or (doc["kind"] == "PersistentVolumeClaim" and doc["metadata"]["name"] != "repolens-data")
    ]
    yaml.safe_dump_all([*keep, pod], sys.stdout, sort_keys=False)


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    main(*sys.argv[1:])

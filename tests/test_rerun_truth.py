"""Correctness of verdicts and causes on a repository whose truth is known: it is
generated here, one notebook per case, its saved outputs written to be what a fresh run
gives (or not, by a stated amount), and rerun with ``repolens rerun --twice`` in the
bubblewrap sandbox with the current interpreter (``--env current``).

The cases (``TRUTH``: 11 notebooks, 4 reproduced, 4 failed, 2 of them predicted): a
notebook that reproduces; numbers drifting within and beyond the tolerance; an image
changed by one pixel and a curve shifted; a missing module (EN002 predicts it); an
absolute path (PA001 predicts it); a relative data file that .gitignore keeps out of the
repository; a network call (the sandbox has no network: nothing leaves the machine); a
random draw with no seed (the two fresh runs differ); and noise that only the sanitisers
and the date rule remove.
"""

from __future__ import annotations

import base64
import io
import json
import subprocess
import sys
from typing import Any

import pytest

from repolens.rerun.sandbox import available

from .conftest import make_tree, python_env
from .test_hostile import git, git_init

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not available("bwrap"), reason="bubblewrap cannot run here"),
]

CURVE = """
from PIL import Image, ImageDraw
import io, math

def curve(phase=0.0):
    image = Image.new("RGB", (320, 200), "white")
    draw = ImageDraw.Draw(image)
    points = [(x, 100 + 80 * math.sin(x / 25 + phase)) for x in range(320)]
    draw.line(points, fill="navy", width=2)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()
"""


def curve_png(phase: float = 0.0, dot: tuple[int, int] | None = None) -> str:
    """The PNG the image notebooks draw (the same code, the same Pillow), base64."""
    scope: dict[str, Any] = {}
    exec(CURVE, scope)  # the notebook's own drawing code, run here to know its output
    data = scope["curve"](phase)
    if dot is not None:
        from PIL import Image

        image = Image.open(io.BytesIO(data)).convert("RGB")
        image.putpixel(dot, (255, 0, 0))
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        data = buffer.getvalue()
    return base64.b64encode(data).decode()


def code(source: str, *outputs: dict[str, Any], count: int = 1) -> dict[str, Any]:
    return {
        "cell_type": "code",
        "execution_count": count,
        "metadata": {},
        "outputs": list(outputs),
        "source": source,
    }


def printed(text: str) -> dict[str, Any]:
    return {"output_type": "stream", "name": "stdout", "text": text}


def shown(data: dict[str, Any]) -> dict[str, Any]:
    return {"output_type": "display_data", "data": data, "metadata": {}}


def notebook(*cells: dict[str, Any]) -> str:
    return json.dumps(
        {
            "cells": list(cells),
            "metadata": {"kernelspec": {"name": "python3", "language": "python"}},
            "nbformat": 4,
            "nbformat_minor": 5,
        }
    )


IMAGE_CELL = CURVE + "\nfrom IPython.display import Image as Shown\ndisplay(Shown(data=curve()))"

NOTEBOOKS = {
    "reproduces.ipynb": notebook(
        code("total = sum(range(10))\nprint(total)", printed("45\n")),
        code(
            "{'a': 1.5, 'b': [1, 2]}",
            {
                "output_type": "execute_result",
                "execution_count": 2,
                "data": {"text/plain": "{'a': 1.5, 'b': [1, 2]}"},
                "metadata": {},
            },
            count=2,
        ),
    ),
    "drift_within.ipynb": notebook(code("print(f'{1/3:.10f}')", printed("0.3333333334\n"))),
    "drift_beyond.ipynb": notebook(code("print(f'{1/3:.10f}')", printed("0.3334000000\n"))),
    "one_pixel.ipynb": notebook(
        code(IMAGE_CELL, shown({"image/png": curve_png(dot=(5, 5)), "text/plain": "<Image>"}))
    ),
    "shifted_curve.ipynb": notebook(
        code(IMAGE_CELL, shown({"image/png": curve_png(phase=0.4), "text/plain": "<Image>"}))
    ),
    "missing_module.ipynb": notebook(
        code("import pyfakemodule_for_truth\nprint('ok')", printed("ok\n"))
    ),
    "absolute_path.ipynb": notebook(
        code("print(open('/home/ana/data/frames.csv').read()[:5])", printed("a,b,c\n"))
    ),
    "missing_data.ipynb": notebook(
        code("print(open('data/frames.csv').read()[:5])", printed("a,b,c\n"))
    ),
    "network.ipynb": notebook(
        code(
            "import urllib.request\n"
            "print(urllib.request.urlopen('http://192.0.2.1/frames.csv', timeout=5).read()[:5])",
            printed("b'a,b,c'\n"),
        )
    ),
    "unseeded.ipynb": notebook(
        code("import random\nprint(random.random())", printed("0.8444218515250481\n"))
    ),
    "noise.ipynb": notebook(
        code(
            "import datetime, tempfile\n"
            "class Model: pass\n"
            "print(Model())\n"
            "print('run at', datetime.datetime.now())\n"
            "print('scratch', tempfile.mkdtemp())\n"
            "print('mean', 0.1 + 0.2)",
            printed(
                "<__main__.Model object at 0x7f3a2b1c4d50>\n"
                "run at 2019-05-01 10:00:03.123456\n"
                "scratch /tmp/tmpab12cd34\n"
                "mean 0.30000000000000004\n"
            ),
        )
    ),
}

# notebook -> (verdict, cause kind or None, predicted by a static finding, words of the detail)
TRUTH: dict[str, tuple[str, str | None, bool, str]] = {
    "reproduces.ipynb": ("reproduced", None, False, ""),
    "drift_within.ipynb": ("reproduced", None, False, ""),
    "drift_beyond.ipynb": ("ran, results differ", None, False, ""),
    "one_pixel.ipynb": ("reproduced", None, False, ""),
    "shifted_curve.ipynb": ("ran, results differ", None, False, ""),
    "missing_module.ipynb": ("failed", "missing module", True, "EN002 predicted it"),
    "absolute_path.ipynb": ("failed", "missing file", True, "PA001 predicted it"),
    "missing_data.ipynb": ("failed", "missing file", False, "git-ignored"),
    "network.ipynb": ("failed", "needs network", False, "network"),
    "unseeded.ipynb": ("ran, results differ", "nondeterministic", False, "two fresh runs"),
    "noise.ipynb": ("reproduced", None, False, ""),
}


@pytest.fixture(scope="module")
def rerun_json(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = git_init(tmp_path_factory.mktemp("truth") / "lab")
    make_tree(
        root,
        {
            "requirements.txt": "pillow\n",  # declares a spec, so EN002 can speak
            ".gitignore": "data/\n",
            **{f"notebooks/{name}": text for name, text in NOTEBOOKS.items()},
        },
    )
    git(root, "add", "-A")
    git(root, "commit", "-qm", "the lab's notebooks")
    out = root.parent / "out"
    done = subprocess.run(
        [sys.executable, "-m", "repolens", "rerun", str(root), "-o", str(out), "-q",
         "--env", "current", "--sandbox", "bwrap", "--twice", "--jobs", "2",
         "--timeout-cell", "60", "--fail-on", "never"],
        capture_output=True, text=True, env=python_env(), timeout=900, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return json.loads((out / "rerun.json").read_text("utf-8"))


def test_every_verdict_and_cause_is_the_truth(rerun_json: dict[str, Any]) -> None:
    found = {
        item["path"].removeprefix("notebooks/"): (
            item["verdict"],
            item["cause"]["kind"] if item["cause"] else None,
            bool(item["cause"] and item["cause"]["predicted"]),
            item["cause"]["detail"] if item["cause"] else "",
        )
        for item in rerun_json["notebooks"]
    }
    assert set(found) == set(TRUTH)
    for name, (verdict, cause, predicted, words) in TRUTH.items():
        got = found[name]
        assert got[:3] == (verdict, cause, predicted), (name, got)
        assert words in got[3], (name, got[3])
    assert rerun_json["summary"]["reproduced"] == 4
    assert rerun_json["summary"]["failures"] == 4
    assert rerun_json["summary"]["failures_predicted"] == 2


def test_what_differs_is_named_by_kind(rerun_json: dict[str, Any]) -> None:
    differences = {
        item["path"].removeprefix("notebooks/"): [
            difference
            for comparison in item["comparisons"]
            for difference in comparison["differences"]
        ]
        for item in rerun_json["notebooks"]
    }
    (beyond,) = differences["drift_beyond.ipynb"]
    assert beyond["kind"] == "number" and beyond["detail"].startswith("1 of 1 numbers beyond 1e-06")
    (curve,) = differences["shifted_curve.ipynb"]
    assert curve["kind"] == "image" and "pixels changed" in curve["detail"]
    assert differences["one_pixel.ipynb"] == differences["noise.ipynb"] == []


def test_noise_counts_as_sanitised_and_the_one_pixel_as_within_tolerance(
    rerun_json: dict[str, Any],
) -> None:
    by_path = {item["path"].removeprefix("notebooks/"): item for item in rerun_json["notebooks"]}
    assert by_path["noise.ipynb"]["comparisons"][0]["sanitised"] == 1
    assert by_path["one_pixel.ipynb"]["comparisons"][0]["sanitised"] == 1
    assert by_path["unseeded.ipynb"]["nondeterministic_cells"] == [0]

"""EN001-EN004 on the failure classes real repositories showed (issue 20): imports mapped to
distributions from their metadata, declarations read from every file a builder reads,
local modules judged from the importing file, and fixes that are literally right."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from repolens.checks import CheckSettings, check
from repolens.checks.distributions import installed_version, tables

from .conftest import make_tree, notebook_json

ENV = CheckSettings(select=("EN",))


def cell(source: str, count: int = 1) -> dict:
    return {"cell_type": "code", "execution_count": count, "metadata": {}, "source": source,
            "outputs": []}  # fmt: skip


def run(tmp_path: Path, files: dict[str, str]) -> list:  # type: ignore[type-arg]
    return list(check(make_tree(tmp_path / "tree", files), settings=ENV).findings)


def undeclared(tmp_path: Path, files: dict[str, str]) -> list[tuple[str, str]]:
    """``(path, module)`` of every EN002."""
    return sorted(
        (item.path, item.message.split()[1].rstrip(","))
        for item in run(tmp_path, files)
        if item.check == "EN002"
    )


# Each case: files, then the (path, module) EN002 must report: nothing else.
CASES = {
    "pylab with matplotlib declared": (
        {"requirements.txt": "matplotlib==3.8.0\n", "plot.py": "import pylab\n"},
        [],
    ),
    "setup.cfg declares ax-platform, scikit-optimize and paho-mqtt (one in an extra)": (
        {
            "setup.cfg": "[metadata]\nname = lab\n[options]\ninstall_requires =\n"
            "    ax-platform < 1\n    scikit-optimize\n    gpytorch # a comment\n"
            "[options.extras_require]\nmqtt =\n    paho-mqtt\n",
            "src/lab/run.py": "import ax\nimport skopt\nimport gpytorch\n"
            "import paho.mqtt.client as mqtt\n",
        },
        [],
    ),
    "MicroPython firmware modules are its standard library": (
        {
            "requirements.txt": "numpy==1.26.4\n",
            "pico/boot.py": "import machine\n",
            "pico/main.py": "import utime\nimport network\nfrom machine import Pin\nimport wifi\n",
        },
        [],
    ),
    "a module a test writes at run time, and one a notebook writes with %%file": (
        {
            "requirements.txt": "numpy==1.26.4\n",
            "tests/test_plugins.py": "def test_load(tmp_path):\n"
            "    (tmp_path / 'plug.py').write_text('X = 1')\n    import plug\n",
            "n.ipynb": notebook_json(
                [cell("%%file mprun_demo.py\ndef f():\n    pass", 1), cell("import mprun_demo", 2)]
            ),
        },
        [],
    ),
    "a folder of that name elsewhere does not make an import local": (
        {
            "requirements.txt": "numpy==1.26.4\n",
            "vendor/tools/prefect/__init__.py": "",
            "app/flow.py": "import prefect\n",
            "app/pkg/__init__.py": "",
            "app/uses_sibling.py": "import pkg\n",
        },
        [("app/flow.py", "prefect")],
    ),
    "a guard exempts the import it guards, in its file only": (
        {
            "requirements.txt": "numpy==1.26.4\n",
            "a.py": "try:\n    import ujson as json\nexcept ImportError:\n    import json\n",
            "b.py": "import ujson\n",
        },
        [("b.py", "ujson")],
    ),
    "IPython in a notebook comes with the kernel; jupyter brings ipykernel": (
        {
            "requirements.txt": "jupyter\n",
            "n.ipynb": notebook_json([cell("from IPython.display import display\nimport numpy")]),
            "tools/nav.py": "import ipykernel\n",
        },
        [("n.ipynb", "numpy")],
    ),
    "-r includes are read, relative and inside the tree": (
        {
            "requirements.txt": "-r requirements/base.in\n-c ../outside.txt\n",
            "requirements/base.in": "-r common.in\n",
            "requirements/common.in": "scikit-learn==1.4.0\n",
            "fit.py": "import sklearn\nimport pandas\n",
        },
        [("fit.py", "pandas")],
    ),
    "test and development groups of pyproject.toml declare what tests import": (
        {
            "pyproject.toml": '[project]\nname = "x"\ndependencies = ["numpy"]\n'
            '[dependency-groups]\ntest = ["pytest"]\n'
            '[tool.pdm.dev-dependencies]\nlint = ["ruff"]\n'
            '[tool.hatch.envs.default]\ndependencies = ["hypothesis"]\n'
            '[tool.poetry.group.docs.dependencies]\nsphinx = "*"\n',
            "tests/test_x.py": "import pytest\nimport hypothesis\nimport sphinx\nimport numpy\n",
            "lint.py": "import ruff\n",
        },
        [],
    ),
    "setup.py read with ast, through a module-level name": (
        {
            "setup.py": "from setuptools import setup\nREQUIRED = ['regex', 'numpy>=1.20']\n"
            "setup(name='m', install_requires=REQUIRED, extras_require={'t': ['torch']})\n",
            "m/bpe.py": "import regex\nimport numpy\nimport torch\n",
        },
        [],
    ),
    "CircuitPython's own modules (usb_cdc in boot.py, bitbangio) are no packages": (
        {
            "environment.yml": "dependencies:\n  - numpy=1.26\n",
            "cam/boot.py": "import usb_cdc\nusb_cdc.enable(data=True)\n",
            "cam/camera.py": "import board\nimport bitbangio\nimport keypad\n",
        },
        [],
    ),
    "conda names map to PyPI's (pytorch is torch, pytables is tables)": (
        {
            "environment.yml": "dependencies:\n  - pytorch=2.1\n  - pytables=3.9\n  - pip\n"
            "  - pip:\n    - opencv-python==4.9.0.80\n",
            "t.py": "import torch\nimport tables\nimport cv2\n",
        },
        [],
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_imports_are_judged_against_what_is_declared(tmp_path: Path, case: str) -> None:
    files, expected = CASES[case]
    assert undeclared(tmp_path, files) == expected


def test_a_notebooks_own_install_declares_for_it_and_is_a_note(tmp_path: Path) -> None:
    files = {
        "requirements.txt": "numpy==1.26.4\n",
        "colab.ipynb": notebook_json(
            [cell("%pip install -q gym pyvirtualdisplay", 1), cell("import gym", 2)]
        ),
        "other.ipynb": notebook_json([cell("import gym", 1)]),
    }
    found = run(tmp_path, files)
    assert [(item.check, item.path) for item in found] == [
        ("EN002", "other.ipynb"),
        ("EN004", "colab.ipynb"),
    ]
    note = found[1]
    assert "gym, pyvirtualdisplay" in note.message and note.cell == 0


@pytest.mark.parametrize(
    ("files", "fix"),
    [
        # the Dockerfile only installs requirements.txt: the environment is built from it
        (
            {
                "Dockerfile": "FROM python:3.11\nRUN pip install -r requirements.txt\n",
                "requirements.txt": "numpy==1.26.4\n",
                "a.py": "import cv2\n",
            },
            "Add the line `opencv-python` to requirements.txt.",
        ),
        (
            {
                "Dockerfile": "FROM python:3.11\nRUN pip install --no-cache-dir numpy\n",
                "requirements.txt": "numpy==1.26.4\n",
                "a.py": "import yaml\n",
            },
            "Add the line `RUN pip install pyyaml` to Dockerfile.",
        ),
        (
            {
                "setup.py": "from setuptools import setup\nsetup(install_requires=['numpy'])\n",
                "a.py": "import sklearn\n",
            },
            'Add "scikit-learn" to install_requires in setup.py.',
        ),
        (
            {"environment.yml": "dependencies:\n  - numpy=1.26\n", "a.py": "import torch\n"},
            "Add the line `- pytorch` to the dependencies of environment.yml.",
        ),
        (
            {"requirements.txt": "numpy==1.26.4\n", "a.py": "import qzxv_helpers\n"},
            "If qzxv_helpers is this repository's own module, add the missing file; if it is "
            "a distribution, add its name to requirements.txt.",
        ),
    ],
)
def test_en002_names_the_file_the_environment_is_built_from(
    tmp_path: Path, files: dict[str, str], fix: str
) -> None:
    found = [item for item in run(tmp_path, files) if item.check == "EN002"]
    assert [item.fix for item in found] == [fix]
    if "qzxv" in fix:
        assert "no known distribution provides `qzxv_helpers`" in found[0].message


def test_a_library_of_board_code_goes_onto_the_board_not_into_the_hosts_environment(
    tmp_path: Path,
) -> None:
    """Code that runs on a microcontroller (it imports MicroPython's or CircuitPython's own
    modules; a board's lib/ folder) gets its libraries on the board, finds its own modules
    in lib/, and has CircuitPython's built-ins; the host code beside it, a notebook that
    imports ``board`` (Blinka on a Raspberry Pi) and a ``code.py`` that is no board's are
    told to declare what they import, CircuitPython's names included."""
    files = {
        "environment.yml": "dependencies:\n  - numpy=1.26\n",
        "cp/boot.py": "import usb_cdc\nusb_cdc.enable(data=True)\n",
        "cp/code.py": "import board\nimport adafruit_minimqtt\nimport netman\n",
        "cp/lib/netman.py": "import wifi\nimport helpers_on_board\n",
        "cp/lib/helpers_on_board.py": "import watchdog\nimport usb\nimport requests\n",
        "cp/scripts/log.py": "import netman\nimport helpers_on_board\nimport my_secrets\n",
        "scripts/sensor.py": "import board\nimport adafruit_as7341\n",  # Blinka on a Pi
        "scripts/optimise.py": "import httpx\n",
        "pico/main.py": "import machine\nimport microdot\n",
        "host/watch.py": "import watchdog\nimport jpegio\nimport netman\n",
        "research/code.py": "import pandas\nimport requests\n",
        "host.ipynb": notebook_json([cell("import board\nimport blinkt\n")]),
    }
    found = {
        (item.path, item.message.split()[1].rstrip(",")): item
        for item in run(tmp_path, files)
        if item.check == "EN002"
    }
    assert sorted(found) == [
        ("cp/code.py", "adafruit_minimqtt"),
        ("cp/lib/helpers_on_board.py", "requests"),  # the board's, and the host's below
        ("cp/scripts/log.py", "my_secrets"),  # below the board: board code
        ("host.ipynb", "blinkt"),
        ("host/watch.py", "jpegio"),
        ("host/watch.py", "netman"),  # a board's lib/ is no module of the host's
        ("host/watch.py", "watchdog"),
        ("pico/main.py", "microdot"),
        ("research/code.py", "pandas"),
        ("research/code.py", "requests"),
        ("scripts/optimise.py", "httpx"),
        ("scripts/sensor.py", "adafruit_as7341"),
    ]
    for key in (("cp/code.py", "adafruit_minimqtt"), ("pico/main.py", "microdot")):
        fix = found[key].fix
        assert "on the board" in fix and "mip install" in fix and "circup" in fix
        assert "environment.yml is the host's environment" in fix
    for key in (
        ("host.ipynb", "blinkt"),
        ("research/code.py", "pandas"),
        ("scripts/optimise.py", "httpx"),
    ):
        assert "board" not in found[key].fix and "environment.yml" in found[key].fix


def test_en003_writes_the_pinned_line_in_the_files_own_syntax(tmp_path: Path) -> None:
    files = {
        "requirements.txt": "-e .\n-r more.txt\n--index-url https://x\n"
        'importlib-metadata; python_version<"3.8"\n'
        "git+https://github.com/lab/tool.git#egg=tool\nrequests[socks]\n",
        "more.txt": "",
        "Pipfile": '[packages]\nflask = "*"\n',
        "environment.yml": "dependencies:\n  - numpy\n",
    }
    found = {
        (item.path, item.line): item.fix for item in run(tmp_path, files) if item.check == "EN003"
    }
    version = installed_version("requests") or "<version>"
    assert set(found) == {
        ("requirements.txt", 4),
        ("requirements.txt", 5),
        ("requirements.txt", 6),
        ("Pipfile", 2),
        ("environment.yml", 2),
    }
    assert "`importlib-metadata==" in found[("requirements.txt", 4)]
    assert '; python_version<"3.8"`' in found[("requirements.txt", 4)]
    assert found[("requirements.txt", 5)].startswith(
        "Pin a commit: write `git+https://github.com/lab/tool.git@<commit>#egg=tool`"
    )
    assert f"`requests[socks]=={version}` on line 6" in found[("requirements.txt", 6)]
    assert '`flask = "==' in found[("Pipfile", 2)]
    assert "`- numpy=" in found[("environment.yml", 2)]
    assert not any("-==" in fix or ";==" in fix for fix in found.values())


def test_the_import_map_is_read_from_metadata_and_covers_the_named_cases() -> None:
    table = tables()
    for module, distribution in [
        ("pylab", "matplotlib"),
        ("ax", "ax-platform"),
        ("skopt", "scikit-optimize"),
        ("paho", "paho-mqtt"),
    ]:
        assert distribution in table.distributions(module)
    assert {"opencv-python", "opencv-python-headless", "opencv-contrib-python"} <= set(
        table.distributions("cv2")
    )
    assert len(table.known) > 10_000
    header = (Path(__file__).parent.parent / "lib/repolens/checks/import_map.tsv").read_text()
    assert "top_level.txt" in header.split("\n", 3)[1]
    assert json.dumps(sorted(table.kernel)) == '["IPython", "ipykernel"]'

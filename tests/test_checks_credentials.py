"""SE001 beyond fixed formats (issue 20): credentials found by their context, each class a
minimal reproduction; placeholders, look-ups and hashes never."""

from __future__ import annotations

from pathlib import Path

import pytest

from repolens.checks import CheckSettings, check
from repolens.checks.credentials import credential_hits

from .conftest import make_tree

SECRETS = CheckSettings(select=("SE001",))
VALUES = ("Xr7#kq2Pz9", "Qm4vT8zLw2", "D.Pq5gYtejYbU#L", "dQ3vKp9Zr7XwY2mT8bLs")

# Each row: a file and the lines SE001 reports in it (counts stated by the rows).
CASES = {
    "a broker password in an MQTT URI": (
        "logger.py",
        'BROKER = "mqtt://lab:Xr7#kq2Pz9@broker.hivemq.com:1883"\n',
        [1],
    ),
    "a database password in a mongodb+srv URI": (
        "db.py",
        'uri = "mongodb+srv://sgbaird:Qm4vT8zLw2@cluster0.abcde.mongodb.net/test"\n',
        [1],
    ),
    "a chosen literal assigned to a name ending in PASSWORD": (
        "secrets.py",
        'SSID = "lab"\nHIVEMQ_PASSWORD = "D.Pq5gYtejYbU#L"\n',
        [2],
    ),
    "an IFTTT webhook key in a URL": (
        "notify.py",
        'requests.post("https://maker.ifttt.com/trigger/alarm/with/key/dQ3vKp9Zr7XwY2mT8bLs")\n',
        [1],
    ),
    "placeholders, look-ups and local defaults are none": (
        "settings.py",
        'password = "changeme"\n'
        'token = "<your token>"\n'
        'api_key = "${API_KEY}"\n'
        'secret = os.environ["SECRET"]\n'
        'TOKEN = "GITHUB_TOKEN"\n'
        'uri = "postgres://postgres:postgres@db.lab.org/x"\n'
        'local = "redis://u:Xr7kq2Pz9w@localhost:6379"\n',
        [],
    ),
    "user:pass in documentation is a stand-in, not a credential": (
        "advanced.rst",
        "proxies = {'http': 'http://user:pass@10.10.1.10:3128/'}\n"
        "'http://user:pass%20pass@complex.url.com/path'\n",
        [],
    ),
    "a Jupyter password hash is what a server stores, not the password": (
        "Dockerfile",
        "# echo 'c.NotebookApp.password = u\"sha1:c6bbcba2d04b:f969e403db876dcfbe26f47affe4\"'\n",
        [],
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_credentials_are_found_by_their_context(tmp_path: Path, case: str) -> None:
    name, text, lines = CASES[case]
    outcome = check(make_tree(tmp_path / "tree", {name: text}), settings=SECRETS)
    assert sorted(item.line for item in outcome.findings) == lines
    for item in outcome.findings:  # the value itself is never shown
        assert not any(value in item.evidence + item.message for value in VALUES)


def test_a_base64_image_payload_is_never_a_credential() -> None:
    payload = "data:image/png;base64," + "iVBORw0KGgoAAAANSUhEUgAAA" * 200
    assert list(credential_hits(f'token = "{payload}"\n')) == []

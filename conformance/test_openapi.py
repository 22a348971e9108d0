"""The OpenAPI document is the contract: schemathesis (pinned in requirements.txt) generates
requests from `/openapi.json` and checks every answer against it, with all of its checks —
including that data the document allows is accepted and data it forbids is refused — on a
fresh server per storage backend.

The run is seeded, so a failure is reproducible; re-run it alone with
`conformance/run.sh test_openapi.py` (add `-s` to watch schemathesis). How it is configured,
and why, is in `openapi/schemathesis.toml`.
"""

import os
import pathlib
import re
import subprocess
import sys

import pytest
import requests

from conftest import _psql, _start, fresh_database
from openapi.receiver import Receiver

HERE = pathlib.Path(__file__).resolve().parent / "openapi"
# Fixed so that CI is reproducible; another seed explores other inputs
# (`SWITCHBOARD_OPENAPI_SEED=7 conformance/run.sh test_openapi.py`).
SEED = int(os.environ.get("SWITCHBOARD_OPENAPI_SEED", "20261207"))
# Examples per operation and phase: enough to reach every parameter's bounds and formats,
# few enough that both backends take a few minutes.
MAX_EXAMPLES = 40


@pytest.fixture(params=["sqlite", "postgres"])
def fresh_server(request):
    """A server of its own on an empty database: what schemathesis creates stays there."""
    workdir, database_url, drop = fresh_database(request.param, "switchboard-openapi-")
    # No job runs: deliveries and syncs would call the URLs schemathesis registers. Webhook
    # targets on this machine (the receiver) are allowed.
    srv = _start(
        database_url,
        workdir,
        extra_env={"SWITCHBOARD_JOBS__WORKERS": "0"},
    )
    yield srv
    srv.process.terminate()
    srv.process.wait(timeout=60)
    if drop:
        _psql(drop[0], f"DROP DATABASE IF EXISTS {drop[1]} WITH (FORCE)")


def test_every_answer_of_every_operation_is_what_the_openapi_document_says(fresh_server, tmp_path):
    source = requests.post(
        f"{fresh_server.url}/v1/sources",
        headers=fresh_server.headers(),
        json={"name": "Webhook filter", "kind": "sdk"},
        timeout=30,
    )
    assert source.status_code == 201, source.text
    queue = requests.post(
        f"{fresh_server.url}/v1/queues",
        headers=fresh_server.headers(),
        json={"name": "Overflow target"},
        timeout=30,
    )
    assert queue.status_code == 201, queue.text
    agents = requests.get(f"{fresh_server.url}/v1/agents", headers=fresh_server.headers(), timeout=30)
    assert agents.status_code == 200, agents.text
    with Receiver() as receiver:
        env = {
            **os.environ,
            "SWITCHBOARD_API_KEY": fresh_server.api_key,
            "SWITCHBOARD_CONFORMANCE_RECEIVER": receiver.url,
            "SWITCHBOARD_CONFORMANCE_SOURCE_ID": source.json()["id"],
            "SWITCHBOARD_CONFORMANCE_QUEUE_ID": queue.json()["id"],
            "SWITCHBOARD_CONFORMANCE_USER_ID": agents.json()[0]["user_id"],
        }
        command = [
            str(pathlib.Path(sys.executable).with_name("st")),
            "--config-file", str(HERE / "schemathesis.toml"),
            "run", f"{fresh_server.url}/openapi.json",
            "--checks", "all",
            "--seed", str(SEED),
            "--max-examples", str(MAX_EXAMPLES),
            "--generation-database", "none",
            "--report-dir", str(tmp_path),
            "--no-color",
        ]
        run = subprocess.run(command, cwd=HERE, env=env, capture_output=True, text=True, timeout=900)
    print(run.stdout[-20000:], run.stderr[-5000:])
    assert run.returncode == 0, f"schemathesis found failures:\n{run.stdout[-20000:]}\n{run.stderr[-5000:]}"
    # Every operation of the document was exercised, not skipped.
    selected = re.search(r"Selected: (\d+)/(\d+)", run.stdout)
    tested = re.search(r"Tested: (\d+)", run.stdout)
    assert selected and tested, run.stdout[-5000:]
    assert selected.group(1) == selected.group(2) == tested.group(1), run.stdout[-5000:]

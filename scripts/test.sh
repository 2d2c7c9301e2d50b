#!/usr/bin/env bash
# Runs every test of detente — Rust and Python — on a fresh machine. It installs what it needs
# into .venv (Python packages from requirements-dev.txt), builds the workspace once (debug) and the
# Python module into the same target directory, and says what each step is doing and how long it
# took. Tests run with cargo-nextest when it is installed (one line per failure, a summary), else
# with cargo test.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
venv=${DETENTE_VENV:-$root/.venv}
begin=$SECONDS
current=""
started=$SECONDS
step() {
  if [ -n "$current" ]; then printf '   (%ss)\n' $((SECONDS - started)); fi
  current=$*
  started=$SECONDS
  printf '\n== %s\n' "$*"
}

step "python environment ($venv)"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --progress-bar off -r requirements-dev.txt
export VIRTUAL_ENV=$venv
export PATH="$venv/bin:$PATH"

step "proto: buf lint, format and breaking (@bufbuild/buf from npm, into .tools)"
tools=$root/.tools
if [ ! -x "$tools/node_modules/.bin/buf" ]; then
  npm install --silent --no-audit --no-fund --prefix "$tools" @bufbuild/buf@1.75.0
fi
"$tools/node_modules/.bin/buf" lint
"$tools/node_modules/.bin/buf" format --diff --exit-code
# The contract as released (proto/detente-v1.binpb, `buf build -o` of it): changes must not break
# what clients generated from it.
"$tools/node_modules/.bin/buf" breaking --against proto/detente-v1.binpb

step "rust: format, and the core's layers (no module uses a layer above its own)"
cargo fmt --all --check
python3 scripts/check_layers.py

step "rust: clippy, every crate and target, warnings are errors"
cargo clippy --locked --workspace --all-targets --quiet -- -D warnings

step "rust: build the workspace and its tests (debug)"
cargo test --locked --no-run --quiet --message-format json-render-diagnostics | python scripts/cargo_progress.py

step "rust: tests (core, server, cross-component)"
if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --locked --no-fail-fast --status-level fail --final-status-level slow --hide-progress-bar
else
  # Test binaries with nothing in them say so in four lines each: left out.
  cargo test --locked --quiet 2>&1 | awk '
    /^running 0 tests$/ { skip = 3; next }
    skip > 0 { skip--; next }
    /^ *Running / || /^ *Doc-tests / { next }
    { print }'
fi

step "python: build the module (maturin develop, in the same target directory)"
# The extension shares every dependency the workspace build compiled. pip's notes on the extras
# it does not install are left out.
log=$(mktemp)
if ! (cd pybind && maturin develop --locked --quiet) >"$log" 2>&1; then
  cat "$log"
  exit 1
fi
grep -v "^Ignoring .*: markers .* match your environment$" "$log" || true
rm -f "$log"

step "python: tests (module; ruptures and networkx references; grpcio interop; the README; the container)"
DETENTE_BIN="$root/target/debug/detente" python -m pytest -q pybind/tests tests/python

printf '   (%ss)\n' $((SECONDS - started))
echo
echo "all tests passed in $(( (SECONDS - begin) / 60 ))m$(( (SECONDS - begin) % 60 ))s"

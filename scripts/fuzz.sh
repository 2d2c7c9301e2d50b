#!/usr/bin/env bash
# Runs the fuzz targets (fuzz/: the three importers, the event record reader, the coder's text
# input, the syntax model's text, negotiation scenarios) for a bounded time each with cargo fuzz
# on the nightly toolchain. Not part of the test
# command. Usage: scripts/fuzz.sh [seconds per target, default 60] [target ...]
# New inputs go to fuzz/corpus/<target>/ (kept between runs, not committed); a crash is saved in
# fuzz/artifacts/<target>/ and stops the run with libFuzzer's report.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
seconds=${1:-60}
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(import_gdelt import_icews import_polecat event_records coder_text syntax_text negotiation_input)
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
  cargo install cargo-fuzz --locked
fi
for t in "${targets[@]}"; do
  mkdir -p "corpus/$t"
  echo "== $t: ${seconds}s"
  cargo +nightly fuzz run "$t" "corpus/$t" "seeds/$t" -- \
    -max_total_time="$seconds" -timeout=20 -rss_limit_mb=4096 -print_final_stats=1
done

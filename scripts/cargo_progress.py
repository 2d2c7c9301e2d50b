"""Shows the progress of a cargo build from its JSON messages (stdin): a line now and then with
the crates compiled so far, out of about how many, and the last one; compiler messages pass
through (cargo renders them on stderr). Used by scripts/test.sh so that a cold build is not
minutes of silence, and a warm one is one line."""

import json
import pathlib
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
# About one unit per locked package (build scripts and test targets add some, unused platform
# crates take some away): an estimate, said as one.
TOTAL = (ROOT / "Cargo.lock").read_text().count("[[package]]")

done, fresh, last, shown = 0, 0, "", 0.0
start = time.time()
tty = sys.stdout.isatty()
for line in sys.stdin:
    try:
        msg = json.loads(line)
    except ValueError:
        continue
    if msg.get("reason") != "compiler-artifact":
        continue
    done += 1
    fresh += bool(msg.get("fresh"))
    last = msg.get("target", {}).get("name", "?")
    now = time.time()
    if tty:
        print(f"\r   {done}/~{TOTAL} crates ({last})".ljust(60), end="", flush=True)
    elif now - shown >= 20:
        print(f"   {done}/~{TOTAL} crates, {now - start:.0f}s ({last})", flush=True)
        shown = now
if tty:
    print()
built = done - fresh
print(f"   {done} crates ready, {built} compiled now, in {time.time() - start:.0f}s", flush=True)

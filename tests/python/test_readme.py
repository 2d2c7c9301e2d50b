"""The README's quickstart, run as a newcomer pastes it: every ```console block, in order, in one
shell, in a scratch copy of the repository's examples. Each `$ command` must succeed and print
(on stdout) exactly the lines the README shows under it; a shown line ending in `…` matches a
line that starts with what comes before. A command shown without output is only run.

The README shows what a terminal shows, so the commands run with DETENTE_FORMAT=table; the
`detente` on the PATH is the one under test (DETENTE_BIN), and `cargo build` is not run again.

After changing the quickstart, `python tests/python/test_readme.py --update` rewrites the shown
outputs from a run (a command whose output should be shown gets a line `<output>` under it first);
read the diff before committing it.
"""

import os
import pathlib
import re
import shutil
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
MARK = "@@detente-readme-step@@"


def blocks(text):
    """The ```console blocks: (start line index, end line index, lines)."""
    lines = text.split("\n")
    out, i = [], 0
    while i < len(lines):
        if lines[i].strip() == "```console":
            j = i + 1
            while j < len(lines) and lines[j].strip() != "```":
                j += 1
            out.append((i + 1, j, lines[i + 1:j]))
            i = j
        i += 1
    return out


def steps(block_lines):
    """The commands of a block, each with the output lines shown under it."""
    out = []
    i = 0
    while i < len(block_lines):
        line = block_lines[i]
        if not line.startswith("$ "):
            i += 1
            continue
        command = [line[2:]]
        heredoc = re.search(r"<<'?(\w+)'?", line)
        i += 1
        if heredoc:
            while i < len(block_lines):
                command.append(block_lines[i])
                i += 1
                if block_lines[i - 1] == heredoc.group(1):
                    break
        shown = []
        while i < len(block_lines) and not block_lines[i].startswith("$ "):
            shown.append(block_lines[i])
            i += 1
        while shown and shown[-1] == "":
            shown.pop()
        out.append(("\n".join(command), shown))
    return out


def run_all(detente_bin, workdir):
    """Runs every step in one shell; returns [(command, shown, printed, status)]."""
    text = README.read_text()
    all_steps = [s for _, _, b in blocks(text) for s in steps(b)]
    script = []
    for k, (command, _) in enumerate(all_steps):
        if command.startswith("cargo "):
            command = "true"  # the binary under test is already built
        script.append(command)
        script.append(f"echo '{MARK}' $?")
    env = dict(os.environ, DETENTE_FORMAT="table", COLUMNS="200")
    env["PATH"] = f"{pathlib.Path(detente_bin).parent}:{env['PATH']}"
    env.pop("DETENTE_DATA", None)
    p = subprocess.run(["bash", "-c", "\n".join(script)], cwd=workdir, env=env, capture_output=True, text=True,
                       timeout=600)
    parts = p.stdout.split(MARK)
    results = []
    for k, (command, shown) in enumerate(all_steps):
        printed = parts[k] if k < len(parts) else ""
        # Each part after the first starts with the status of the step before it.
        if k > 0:
            printed = printed.split("\n", 1)[1] if "\n" in printed else ""
        status = parts[k + 1].split("\n", 1)[0].strip() if k + 1 < len(parts) else "missing"
        results.append((command, shown, printed.rstrip("\n").split("\n") if printed.strip() else [], status))
    return results, p.stderr


def matches(shown, printed):
    if len(shown) != len(printed):
        return False
    for want, got in zip(shown, printed):
        if want.endswith("…"):
            if not got.startswith(want[:-1]):
                return False
        elif want.rstrip() != got.rstrip():
            return False
    return True


def workdir(tmp):
    """A scratch copy of what the quickstart reads: the examples."""
    shutil.copytree(ROOT / "examples", tmp / "examples")
    return tmp


def test_the_quickstart_does_what_the_readme_shows(detente_bin, tmp_path):
    results, stderr = run_all(detente_bin, workdir(tmp_path))
    assert results, "the README has console blocks"
    for command, shown, printed, status in results:
        assert status == "0", f"`{command}` failed ({status}):\n{stderr[-2000:]}"
        if shown:
            assert matches(shown, printed), f"`{command}` printed:\n" + "\n".join(printed) + "\nthe README shows:\n" + "\n".join(shown)
    # What the quickstart writes stays in its scratch folder.
    assert (tmp_path / "scratch" / "detente-data").is_dir()
    assert {p.name for p in tmp_path.iterdir()} == {"examples", "scratch"}


def test_the_python_session_prints_what_the_readme_shows(monkeypatch):
    """The README's ```pycon session, run by doctest from the repository's root."""
    import doctest

    text = README.read_text()
    start = text.index("```pycon\n") + len("```pycon\n")
    session = text[start:text.index("```", start)]
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    test = doctest.DocTestParser().get_doctest(session, {}, "README", str(README), 0)
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    out = []
    runner.run(test, out=out.append)
    assert runner.failures == 0, "".join(out)


def test_every_output_column_is_explained_in_the_readme():
    from detente._detente import columns

    text = README.read_text()
    section = text[text.index("## Reading the numbers"):text.index("## Python, for notebooks")]
    for kind in ("series", "shifts", "mediators", "nodes", "edges"):
        for name, what in columns(kind):
            assert f"| `{name}` | {what} |" in section, f"{kind}.{name}"


def update(detente_bin):
    """Rewrites the shown outputs of the README's console blocks from a run."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        results, stderr = run_all(detente_bin, workdir(pathlib.Path(tmp)))
    by_step = iter(results)
    lines = README.read_text().split("\n")
    out, i = [], 0
    for start, end, block in blocks("\n".join(lines)):
        out.extend(lines[i:start])
        for command, shown in steps(block):
            _, _, printed, status = next(by_step)
            if status != "0":
                sys.exit(f"`{command}` failed:\n{stderr[-2000:]}")
            out.extend(f"$ {c}" if n == 0 else c for n, c in enumerate(command.split("\n")))
            # Only the outputs the README shows (or marks with `<output>`) are written.
            if shown:
                out.extend(printed)
        i = end
    out.extend(lines[i:])
    README.write_text("\n".join(out))


if __name__ == "__main__":
    if sys.argv[1:] == ["--update"]:
        update(os.environ.get("DETENTE_BIN", ROOT / "target" / "debug" / "detente"))
    else:
        sys.exit(__doc__)

import os
import pathlib
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def detente_bin():
    path = pathlib.Path(os.environ.get("DETENTE_BIN", ROOT / "target" / "debug" / "detente"))
    if not path.exists():
        pytest.fail(f"the detente binary is missing at {path} (run cargo build first, or set DETENTE_BIN)")
    return path


@pytest.fixture
def run(detente_bin, tmp_path):
    """Runs `detente --data <tmp store> ARGS…`, returning stdout; fails with stderr on error."""

    def _run(*args, stdin=None):
        p = subprocess.run(
            [str(detente_bin), "--data", str(tmp_path / "store"), *args],
            input=stdin,
            capture_output=True,
            text=True,
        )
        assert p.returncode == 0, p.stderr
        return p.stdout

    return _run

"""The container without a container engine: the Dockerfile lints clean, its build step runs as
written in a copy of the build context (what .dockerignore lets in), and the image's
configuration — its ENV, ENTRYPOINT, CMD and HEALTHCHECK — starts, probes and stops the service."""

import fnmatch
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time

import pytest
import yaml

from conftest import ROOT

DOCKERFILE = ROOT / "Dockerfile"


def stages():
    """The Dockerfile's stages: name → list of (instruction, argument) with continuations joined."""
    text = DOCKERFILE.read_text()
    text = re.sub(r"\\\n", " ", text)
    out, current = {}, None
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        instr, _, arg = line.partition(" ")
        instr = instr.upper()
        if instr == "FROM":
            current = arg.split(" AS ")[-1].strip() if " AS " in arg else arg
            out[current] = []
        elif current is not None:
            out[current].append((instr, arg.strip()))
    return out


def test_the_dockerfile_lints_clean():
    hadolint = shutil.which("hadolint") or os.path.join(os.path.dirname(sys.executable), "hadolint")
    p = subprocess.run([hadolint, str(DOCKERFILE)], capture_output=True, text=True)
    assert p.returncode == 0, p.stdout + p.stderr
    assert p.stdout.strip() == ""


def test_compose_runs_the_image_with_a_volume():
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    svc = compose["services"]["detente"]
    assert svc["build"] == "."
    assert any(v.endswith(":/data") for v in svc["volumes"])
    assert "50051:50051" in svc["ports"]
    # The replicas profile: two read-only servers of the writer's volume, on ports of their own.
    replicas = [v for k, v in compose["services"].items() if "replicas" in v.get("profiles", [])]
    assert len(replicas) == 2
    assert all(r["command"][:2] == ["serve", "--read-only"] for r in replicas)
    assert all(r["volumes"] == svc["volumes"] for r in replicas)
    assert len({p for r in replicas for p in r["ports"]} | set(svc["ports"])) == 3
    runtime = dict(stages()["runtime"])
    assert runtime["USER"] == "65532:65532", "non-root"
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert "target/" in ignored and ".venv/" in ignored


def context_copy(dest):
    """Copies the files git tracks, minus what .dockerignore excludes: the build context."""
    patterns = [p for p in (ROOT / ".dockerignore").read_text().split() if not p.startswith("#")]
    files = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, text=True, check=True)
    for rel in filter(None, files.stdout.split("\0")):
        if any(fnmatch.fnmatch(rel, p) or rel.startswith(p.rstrip("/") + "/") for p in patterns):
            continue
        src = ROOT / rel
        if src.is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / rel)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def build_step():
    """The builder's one RUN command, minus BuildKit's cache mounts, and the profile it builds."""
    runs = [arg for instr, arg in stages()["builder"] if instr == "RUN"]
    assert len(runs) == 1
    command = re.sub(r"--mount=\S+\s*", "", runs[0])
    profile = re.search(r"cargo build --profile (\S+) --locked -p detente-server", command)
    assert profile, command
    return command, profile.group(1)


def test_the_build_step_has_what_it_needs():
    """The build step's profile exists and its binary is installed from that profile's folder;
    the build context (what .dockerignore lets in) holds every file of the crates it builds. The
    build itself runs as written when DETENTE_CONTAINER_BUILD=1 (a release build with LTO: slow)."""
    import tomllib

    command, profile = build_step()
    assert f"target/{profile}/detente" in command
    cargo = tomllib.loads((ROOT / "Cargo.toml").read_text())
    assert profile in cargo["profile"], f"Cargo.toml has no [profile.{profile}]"
    needed = subprocess.run(["git", "ls-files", "Cargo.toml", "Cargo.lock", "core", "server", "proto"], cwd=ROOT,
                            capture_output=True, text=True, check=True).stdout.split()
    assert needed
    patterns = [p for p in (ROOT / ".dockerignore").read_text().split() if not p.startswith("#")]
    left_out = [rel for rel in needed
                if any(fnmatch.fnmatch(rel, p) or rel.startswith(p.rstrip("/") + "/") for p in patterns)]
    assert not left_out, f".dockerignore leaves out files the build needs: {left_out[:5]}"


@pytest.mark.skipif(not os.environ.get("DETENTE_CONTAINER_BUILD") or shutil.which("cargo") is None,
                    reason="the full release build runs with DETENTE_CONTAINER_BUILD=1")
def test_the_build_step_runs_as_written(tmp_path):
    command, _ = build_step()
    command = command.replace("/out", str(tmp_path / "out"))
    if os.geteuid() != 0:
        command = command.replace("-o 65532 -g 65532 ", "")
    context = tmp_path / "src"
    context_copy(context)
    # Keep the (slow, release) build incremental across runs.
    target = ROOT / "target" / "container"
    target.mkdir(parents=True, exist_ok=True)
    (context / "target").symlink_to(target)
    p = subprocess.run(["sh", "-c", command], cwd=context, capture_output=True, text=True)
    assert p.returncode == 0, p.stderr[-4000:]
    assert (tmp_path / "out" / "detente").exists() and (tmp_path / "out" / "data").is_dir()


def test_the_runtime_configuration_serves_probes_and_stops(detente_bin, tmp_path):
    """The runtime stage's ENV, ENTRYPOINT, CMD and HEALTHCHECK, run on the binary built for the
    tests (the image runs the same code, built with the dist profile)."""
    binary = detente_bin
    runtime = stages()["runtime"]
    (tmp_path / "out" / "data").mkdir(parents=True)

    # The runtime stage's configuration, with the volume and port moved under our control.
    env = dict(os.environ)
    for instr, arg in runtime:
        if instr == "ENV":
            env.update(dict(kv.split("=", 1) for kv in arg.split()))
    port = free_port()
    env["DETENTE_ADDR"] = env["DETENTE_ADDR"].replace("50051", str(port))
    env["DETENTE_DATA"] = str(tmp_path / "out" / "data")
    entrypoint = json.loads(dict(runtime)["ENTRYPOINT"])
    cmd = json.loads(dict(runtime)["CMD"])
    health = json.loads(re.search(r"CMD (\[.*\])", dict(runtime)["HEALTHCHECK"]).group(1))
    run = lambda argv: [str(binary) if a == "/usr/local/bin/detente" else a for a in argv]  # noqa: E731

    server = subprocess.Popen(run(entrypoint + cmd), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.time() + 30
        while True:
            probe = subprocess.run(run(health), env=env, capture_output=True, text=True)
            if probe.returncode == 0 or time.time() > deadline:
                break
            time.sleep(0.2)
        assert probe.returncode == 0, probe.stderr
    finally:
        server.send_signal(signal.SIGTERM)
        out, err = server.communicate(timeout=60)
    assert server.returncode == 0, err
    # Logs are JSON lines in the container.
    lines = [json.loads(l) for l in err.splitlines() if l.strip()]
    assert any(l.get("fields", {}).get("message") == "serving" for l in lines), err
    probe = subprocess.run(run(health), env=env, capture_output=True, text=True)
    assert probe.returncode == 1, "nothing serves after the stop"

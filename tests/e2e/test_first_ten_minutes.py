"""A newcomer's first ten minutes, as a person would do them: run the demo and paste every command
it suggests; make an adapter with ``new-adapter`` and follow the steps it prints to a passing kit.

Every command runs as a real subprocess in a fresh directory, with this venv's ``bin`` first on
``PATH`` (as after ``. .venv/bin/activate``).
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import shlex
import subprocess
import sys
import threading
from pathlib import Path

import requests

BIN = Path(sys.executable).parent


def _env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env.pop("RIS_DB", None)
    env.pop("RIS_CONFIG", None)
    env.update(extra)
    return env


def _paste(command: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run a pasted line in bash (with pipefail, so a failing command before ``| head`` counts)."""
    return subprocess.run(
        ["bash", "-o", "pipefail", "-c", command],
        cwd=cwd,
        env=env or _env(),
        capture_output=True,
        text=True,
        timeout=300,
    )


def _suggested(output: str, after: str) -> list[str]:
    """The commands printed after the line ``after`` (indented lines that are not comments)."""
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(after)) + 1
    commands = []
    for line in lines[start:]:
        text = line.strip()
        if not line.startswith("  "):
            break
        if text and not text.startswith("#"):
            commands.append(text.split("  #", 1)[0].strip())
    return commands


def _serve_and_get(command: str, cwd: Path) -> dict[str, object]:
    """Start a pasted ``serve`` command, read the endpoint it announces, GET the System and a list."""
    proc = subprocess.Popen(
        ["bash", "-c", f"exec {command}"],
        cwd=cwd,
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    timer = threading.Timer(60, proc.kill)  # a hang fails the test instead of blocking it
    timer.start()
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()
        assert "OParl 1.1 endpoint: " in line, line
        system_url = line.split("OParl 1.1 endpoint: ", 1)[1].split()[0]
        system = requests.get(system_url, timeout=30).json()
        body = requests.get(system["body"], timeout=30).json()["data"][0]
        meetings = requests.get(body["meeting"], timeout=30).json()
        return {"system": system, "meetings": meetings}
    finally:
        timer.cancel()
        proc.terminate()
        proc.wait(timeout=30)


def test_the_demo_tour_every_suggested_command_works_when_pasted(tmp_path: Path) -> None:
    demo = _paste("ris-connector demo --port 0", tmp_path)
    assert demo.returncode == 0, demo.stderr
    out = demo.stdout
    assert "1. The initial load (a full sync):" in out and "demo: complete (full)" in out
    assert "demo: complete (incremental)" in out  # the council's changes, read by the second sync
    for kind in ("meeting.cancelled", "meeting.moved", "meeting.relocated", "paper.created"):
        assert kind in out, f"{kind} missing from the tour's notifications:\n{out}"
    commands = _suggested(out, "Next, try")
    assert [c.split()[1] for c in commands] == [
        "status",
        "export",
        "changes",
        "reminders",
        "smartvillage",
        "serve",
    ], commands

    results: dict[str, str] = {}
    for command in commands:
        name = command.split()[1]
        assert "--db ris-connector-demo.db" in command, command  # the file the demo wrote
        if name == "serve":
            served = _serve_and_get(command, tmp_path)
            assert str(served["system"]["type"]).endswith("/System")  # type: ignore[index]
            assert served["meetings"]["data"], "the served meeting list is empty"  # type: ignore[index]
            continue
        done = _paste(command, tmp_path)
        assert done.returncode == 0, f"{command}\n{done.stderr}"
        assert done.stdout.strip(), f"{command} printed nothing"
        results[name] = done.stdout

    assert "demo" in results["status"] and " ok " in results["status"]
    assert len(results["export"].splitlines()) == 3
    changes = [json.loads(line) for line in results["changes"].splitlines()]
    assert {c["kind"] for c in changes} == {"created", "updated"}
    assert any("cancelled" in c["fields"] for c in changes)
    assert "morgen" in results["reminders"]  # tomorrow's meeting, in German
    assert "createEventRecord" in results["smartvillage"]

    # A newcomer who types plain `status` in the same folder is pointed at the demo's store,
    # and is not told both "no store" and "no sync runs recorded".
    plain = _paste("ris-connector status", tmp_path)
    assert plain.returncode == 3
    assert "no store at ris-connector.db" in plain.stderr
    assert "the demo's store is here: --db ris-connector-demo.db" in plain.stderr
    assert "no sync runs recorded" not in plain.stdout


def test_the_demo_data_lies_around_the_given_day(tmp_path: Path) -> None:
    """``--date`` anchors the program: the next meeting is the day after (reminder wording aside)."""
    done = _paste("ris-connector demo --port 0 --date 2026-03-10 --json", tmp_path)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["date"] == "2026-03-10"
    assert report["load"]["status"] == "complete" and report["update"]["status"] == "complete"
    assert {n["kind"] for n in report["notifications"]} == {
        "meeting.cancelled",
        "meeting.moved",
        "meeting.relocated",
        "paper.created",
    }
    export = _paste("ris-connector export --db ris-connector-demo.db --type Meeting", tmp_path)
    starts = sorted(json.loads(line)["start"][:10] for line in export.stdout.splitlines())
    assert "2026-03-11" in starts  # tomorrow
    assert starts[0] < "2026-03-10" < starts[-1]  # history before, the program after


def test_new_adapter_next_steps_lead_to_a_passing_kit(tmp_path: Path) -> None:
    made = _paste("ris-connector new-adapter tourev", tmp_path)
    assert made.returncode == 0, made.stderr
    steps = _suggested(made.stdout, "next:")
    assert len(steps) == 3, made.stdout
    install, listing, kit = steps

    # 1. The install step names the test extra, and that extra brings the kit's packages (vcrpy):
    #    without it the kit test failed with ModuleNotFoundError: vcr.
    assert shlex.split(install) == ["pip", "install", "-e", "adapters/tourev[test]"]
    pyproject = (tmp_path / "adapters" / "tourev" / "pyproject.toml").read_text(encoding="utf-8")
    assert 'test = ["ris-connector[kit]"]' in pyproject
    kit_requires = [r for r in importlib.metadata.requires("ris-connector") or [] if 'extra == "kit"' in r]
    assert any(r.startswith("vcrpy") for r in kit_requires), kit_requires
    # Installed here without touching this venv: into a directory on PYTHONPATH, no dependencies
    # (they are this venv's), no build isolation (no download of setuptools).
    target = tmp_path / "site"
    pip = _paste(
        f"{shlex.quote(sys.executable)} -m pip install --quiet --no-deps --no-build-isolation "
        f"--target {target} adapters/tourev",
        tmp_path,
    )
    assert pip.returncode == 0, pip.stderr
    env = _env(PYTHONPATH=str(target))

    # 2. The adapter is registered.
    listed = _paste(listing, tmp_path, env)
    assert listed.returncode == 0 and "tourev" in listed.stdout, listed.stdout + listed.stderr

    # 3. The kit test passes, offline against the recorded cassette.
    tested = _paste(f"{kit} -q -p no:cacheprovider", tmp_path, env)
    assert tested.returncode == 0, tested.stdout[-3000:] + tested.stderr[-2000:]
    assert " passed" in tested.stdout and " failed" not in tested.stdout

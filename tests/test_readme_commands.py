"""The README's CLI commands work as shown in a plain clone: a copy of the repository's files with no ../shared
beside it (only the "Evaluation" section may use the shared data). The curl examples are checked against real
servers by tests/test_api_server.py; `make serve` / `make test` are what CI itself runs."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.paths import ROOT

pytestmark = pytest.mark.server


def readme_cli_commands(readme: Path = ROOT / "README.md") -> list[str]:
    """The ``qa ...`` lines of the bash blocks outside the "Evaluation" section, without their comments."""
    text = readme.read_text()
    outside = re.sub(r"\n## Evaluation\n.*?(?=\n## )", "\n", text, flags=re.S)
    commands = []
    for block in re.findall(r"```bash\n(.*?)```", outside, re.S):
        for line in block.splitlines():
            if line.startswith("qa "):
                commands.append(re.sub(r"\s+#.*$", "", line))
    return commands


def plain_clone(into: Path) -> Path:
    """The files git tracks (what a clone has), copied without ../shared beside them."""
    files = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    clone = into / "newsqa"
    for name in filter(None, files.decode().split("\0")):
        source = ROOT / name
        if source.is_file():
            (clone / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, clone / name)
    return clone


def test_readme_cli_commands_work_in_a_plain_clone(tmp_path: Path) -> None:
    commands = readme_cli_commands()
    assert len(commands) >= 10 and not any("../shared" in c for c in commands), commands
    clone = plain_clone(tmp_path)
    assert not (clone.parent / "shared").exists()
    # `qa` as the README means it: the console script of the installed package, found on PATH.
    env = {k: v for k, v in os.environ.items() if not k.startswith("QA_")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    for command in commands:
        done = subprocess.run(["bash", "-c", command], cwd=clone, env=env, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, f"README command failed in a plain clone: {command}\n{done.stderr[-2000:]}"
        assert done.stdout.strip(), command
    listed = subprocess.run(["bash", "-c", "qa articles list"], cwd=clone, env=env, capture_output=True, text=True)
    assert "9 articles" in listed.stdout

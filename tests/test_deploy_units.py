"""The systemd units of docs/deploy.md: systemd-analyze accepts them, and every directory a
unit may write to is made by the page's own steps (a unit whose ReadWritePaths is missing
does not start)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

DEPLOY = Path(__file__).resolve().parents[1] / "docs" / "deploy.md"
APP = "/srv/nashra/app"


def _blocks(kind: str) -> list[str]:
    return re.findall(rf"```{kind}\n(.*?)```", DEPLOY.read_text(encoding="utf-8"), re.S)


def _units() -> list[str]:
    return [block for block in _blocks("ini") if "[Service]" in block]


def test_the_page_has_the_single_unit_and_the_role_template() -> None:
    units = _units()
    assert len(units) == 2
    assert any("--role %i" in unit for unit in units)


def test_every_writable_path_of_a_unit_is_made_by_the_steps() -> None:
    steps = "\n".join(_blocks("sh"))
    for unit in _units():
        for paths in re.findall(r"^ReadWritePaths=(.+)$", unit, re.M):
            for path in paths.split():
                assert re.search(rf"mkdir -p [^\n]*{re.escape(path)}", steps), path


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is absent")
def test_systemd_analyze_verifies_the_units(tmp_path: Path) -> None:
    app = tmp_path / "app"
    (app / ".venv" / "bin").mkdir(parents=True)
    (app / "data").mkdir()
    executable = app / ".venv" / "bin" / "nashra"
    executable.write_text("#!/bin/sh\nexit 0\n")
    executable.chmod(0o755)
    single, template = sorted(_units(), key=lambda unit: "--role %i" in unit)
    (tmp_path / "nashra.service").write_text(single.replace(APP, str(app)))
    (tmp_path / "nashra@.service").write_text(template.replace(APP, str(app)))
    for name in ("nashra.service", "nashra@poller.service"):
        result = subprocess.run(
            ["systemd-analyze", "verify", f"./{name}"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        assert result.stderr.strip() == "", result.stderr

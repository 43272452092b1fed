"""The package is typed (py.typed): mypy --strict finds nothing in it."""

from __future__ import annotations

import pathlib
import subprocess
import sys


def test_mypy_strict_is_clean():
    src = pathlib.Path(__file__).parents[1] / "src" / "flagmeter"
    run = subprocess.run([sys.executable, "-m", "mypy", "--strict", "--no-incremental", str(src)], capture_output=True, text=True, timeout=240)
    assert run.returncode == 0, run.stdout + run.stderr

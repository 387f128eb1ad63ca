"""Every benchmark `make bench` runs starts, explains itself (--help, with the options
its own description names) and is listed in the README's table, so none rots
unnoticed between the runs that print figures."""

import ast
import re
import subprocess
import sys

import pytest

from shared.config import ROOT

MAKEFILE = (ROOT / "Makefile").read_text(encoding="utf-8")
BENCHMARKS = sorted(re.findall(r"-m bench\.(\w+)", MAKEFILE))


def test_make_bench_runs_every_benchmark_module():
    helpers = {"__init__", "common", "intake_common", "profile", "processing_noop"}
    modules = {p.stem for p in (ROOT / "bench").glob("*.py")} - helpers
    assert set(BENCHMARKS) == modules


@pytest.mark.parametrize("name", BENCHMARKS)
def test_benchmark_has_help_and_is_in_the_readme(name):
    done = subprocess.run(
        [sys.executable, "-m", f"bench.{name}", "--help"], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    described = ast.get_docstring(ast.parse((ROOT / "bench" / f"{name}.py").read_text(encoding="utf-8")))
    assert described.splitlines()[0] in done.stdout
    usage = next(line for line in described.splitlines() if f"python -m bench.{name}" in line)
    options = done.stdout.rpartition("options:")[2]  # argparse's list, after the description
    for option in re.findall(r"--[a-z-]+", usage):
        assert option in options, f"{option}, named in the description, is not an option"
    assert f"python -m bench.{name}" in (ROOT / "README.md").read_text(encoding="utf-8")

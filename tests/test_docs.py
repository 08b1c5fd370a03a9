"""Every setting is documented in the README, and the README's commands are the real ones."""

from __future__ import annotations

from pathlib import Path

from monitor.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_every_setting_has_its_environment_variable_in_the_readme():
    for name in Settings.model_fields:
        assert f"QINGLANG_{name.upper()}" in README, f"QINGLANG_{name.upper()} is not documented"


def test_ci_runs_exactly_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "make test" in README
    assert [
        line for line in ci.splitlines() if line and not line.startswith(("#", "set ", "cd "))
    ] == ["make test"]


def test_the_documented_size_limit_is_the_default():
    assert str(Settings().max_text_bytes) in README

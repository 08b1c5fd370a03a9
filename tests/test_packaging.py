"""`pip install .` works outside the repository: the lexicons travel inside the wheel."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_wheel_carries_the_lexicons_and_checks_outside_the_repo(tmp_path):
    build = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert build.returncode == 0, build.stderr[-2000:]
    wheel = next(tmp_path.glob("qinglang-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "monitor/_data/lexicons/absolute_terms.yaml" in names
    assert "monitor/_data/models/README.md" in names
    assert "monitor/demo/script.txt" in names
    assert "monitor/demo/audio/funasr_asr_example.mp3" in names  # serve --demo plays it
    assert "monitor/_data/models/asr.yaml" in names
    assert "monitor/store/migrations/001_initial.sql" in names
    assert {"monitor/policies/credit.yaml", "monitor/policies/fact_claims.yaml"} <= set(names)
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
        timeout=300,
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    script = (
        "import json, monitor; from monitor.store.db import open_db; "
        "from monitor.speech.transcriber import AsrPolicy; r = monitor.check('全网最低价'); "
        "db = open_db('store.db'); p = monitor.load_policy(); AsrPolicy.load(); "
        "print(json.dumps({'file': monitor.__file__, 'hits': len(r.hits), "
        "'tables': len(db.table_names()), 'start': p.start_score}))"
    )
    run = subprocess.run(
        [sys.executable, "-c", script],
        cwd=elsewhere,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(target)},
    )
    assert run.returncode == 0, run.stderr[-2000:]
    result = json.loads(run.stdout)
    assert result["file"].startswith(str(target))
    assert result["hits"] >= 1
    assert result["tables"] >= 17 and result["start"] > 0  # migrations and policies travel too

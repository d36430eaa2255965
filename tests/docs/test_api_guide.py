"""The examples of docs/api.md run against a real server (uvicorn on a free loopback port): every curl
block through bash (`set -euo pipefail`: a failing command fails the test), every Python block in a fresh
namespace. A guide whose examples stop working fails the suite."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from tests.support.paths import REPO
from tests.support.people import People

GUIDE = REPO / "docs" / "api.md"
DOC_BASE = "http://127.0.0.1:8000"
BLOCK = re.compile(r"^```(sh|python)\n(.*?)^```", re.MULTILINE | re.DOTALL)


def blocks(language: str) -> list[str]:
    return [code for lang, code in BLOCK.findall(GUIDE.read_text(encoding="utf-8")) if lang == language]


def test_the_guide_has_curl_and_python_examples() -> None:
    assert len(blocks("sh")) >= 5 and len(blocks("python")) >= 3


@pytest.fixture
def api_key(people: People, monkeypatch: pytest.MonkeyPatch) -> None:
    """The examples that need a key (webhooks, writes with an Idempotency-Key) read a member's key from
    RETEX_API_KEY (any key may register webhooks)."""
    monkeypatch.setenv("RETEX_API_KEY", people.member.api_key)


@pytest.mark.parametrize("index", range(len(blocks("sh"))))
@pytest.mark.usefixtures("api_key")
def test_curl_example_runs(index: int, live_server: str, tmp_path: Path) -> None:
    script = blocks("sh")[index].replace(DOC_BASE, live_server)
    result = subprocess.run(
        ["bash", "-c", "set -euo pipefail\n" + script],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, f"{script}\n--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"


@pytest.mark.parametrize("index", range(len(blocks("python"))))
@pytest.mark.usefixtures("api_key")
def test_python_example_runs(index: int, live_server: str) -> None:
    code = blocks("python")[index].replace(DOC_BASE, live_server)
    exec(compile(code, f"docs/api.md python block {index}", "exec"), {"__name__": "guide"})

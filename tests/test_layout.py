"""The test layout that keeps CI inside its budget (docs/testing.md): real servers are started
once per session, in tests/conftest.py, and shared; the deployment's checks run inside the
one bring-up of each compose profile (tests/test_compose_e2e.py). A test module that starts
a vLLM, an adapter or a router of its own pays a start (~40 s on 2 cores) every run."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).parent
STARTERS = {
    "vllm_server",
    "adapter_server",
    "ManagedServer",
    "build_tiny_model",
    "recording_tap",
}
# Modules that may call a starter, and why.
ALLOWED = {
    "conftest.py": "the session's shared servers",
    "test_deploy.py": "builds the commands only, to compare them with the entry points",
}


def starters_called(path: Path) -> set[str]:
    called = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
            if name in STARTERS:
                called.add(name)
    return called


def test_no_test_module_starts_a_server_of_its_own() -> None:
    offenders = {
        path.name: sorted(called)
        for path in sorted(TESTS.glob("*.py"))
        if path.name not in ALLOWED and (called := starters_called(path))
    }
    assert offenders == {}, (
        "start real servers in tests/conftest.py (session scope) and share them; "
        "deployment checks go into tests/test_compose_e2e.py's check_profile"
    )


def test_the_guard_sees_a_server_started_in_a_test(tmp_path: Path) -> None:
    module = tmp_path / "test_x.py"
    module.write_text("def test_x():\n    s = harness.servers.vllm_server('x', d, 'p', {})\n")
    assert starters_called(module) == {"vllm_server"}

"""The core imports only the standard library (relative imports stay inside it)."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import discord_core

CORE = Path(discord_core.__file__).parent


def imported_top_level_modules(source: str) -> set[str]:
    """Top-level names of absolute imports anywhere in the module (functions included)."""
    tree = ast.parse(source)
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


def test_the_core_has_modules_to_check() -> None:
    files = list(CORE.rglob("*.py"))
    assert CORE / "usecases" / "messages.py" in files
    assert len(files) > 10


def test_the_core_imports_only_the_standard_library() -> None:
    allowed = set(sys.stdlib_module_names) | {"__future__"}
    offenders = {
        str(path.relative_to(CORE)): sorted(
            imported_top_level_modules(path.read_text(encoding="utf-8")) - allowed
        )
        for path in sorted(CORE.rglob("*.py"))
    }
    assert {path: mods for path, mods in offenders.items() if mods} == {}


def test_the_checker_sees_absolute_imports_only() -> None:
    source = (
        "import os.path, json\n"
        "from litestar import Litestar\n"
        "from . import sibling\n"
        "from .model import User\n"
        "def f():\n    import redis.asyncio\n"
    )
    assert imported_top_level_modules(source) == {"os", "json", "litestar", "redis"}

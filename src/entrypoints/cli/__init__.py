"""The operator's command line, `concord`: run the service, migrate, administer users and
servers, back up, restore and export. `concord COMMAND --help` describes each command."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version

from . import admin, data, db, serve

__all__ = ["main"]


def package_version() -> str:
    try:
        return version("concord")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "unknown"


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(
        prog="concord",
        description="Self-hostable Discord-style chat service. Settings come from CHAT_* "
        "environment variables or a .env file in the working directory (see .env.example); "
        "flags win over both.",
    )
    root.add_argument("--version", action="version", version=f"concord {package_version()}")
    sub = root.add_subparsers(dest="command", required=True, metavar="COMMAND")
    serve.add_commands(sub)
    db.add_commands(sub)
    admin.add_commands(sub)
    data.add_commands(sub)
    return root


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    code: int = args.run(args)
    return code


if __name__ == "__main__":
    sys.exit(main())

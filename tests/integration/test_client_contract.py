"""The Godot client and the server cannot drift apart: every REST path and method the client
names exists in the server's OpenAPI schema, and the client's gateway opcodes, events, close
codes and limits are the server's."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from entrypoints.app import create_app
from entrypoints.gateway import protocol
from entrypoints.settings import Settings

CLIENT = Path(__file__).resolve().parents[2] / "client"
API_FILE = CLIENT / "scripts" / "net" / "api.gd"
PROTOCOL_FILE = CLIENT / "scripts" / "net" / "gateway_protocol.gd"

PATH_CONST = re.compile(r'^const (GET|POST|PATCH|DELETE|PUT)_\w+ := "(/api/v1/[^"]*)"', re.M)
INT_CONST = re.compile(r"^const (OP|CLOSE)_(\w+) := (\d+)", re.M)
EVENT_CONST = re.compile(r'^const EVENT_\w+ := "([A-Z_]+)"', re.M)


@pytest.fixture(scope="module")
def openapi(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, object]]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("contract"), secret_key="s" * 48)
    schema = create_app(settings).openapi_schema.to_schema()
    paths: dict[str, dict[str, object]] = schema["paths"]
    return paths


def client_paths() -> list[tuple[str, str]]:
    found = PATH_CONST.findall(API_FILE.read_text())
    assert len(found) >= 20, "the client's path table was not found or is too small"
    return [(method.lower(), path) for method, path in found]


@pytest.mark.parametrize(("method", "path"), client_paths(), ids=lambda v: str(v))
def test_every_client_path_exists_on_the_server(
    openapi: dict[str, dict[str, object]], method: str, path: str
) -> None:
    assert path in openapi, f"{path} is not in the server's OpenAPI schema"
    assert method in openapi[path], f"{method.upper()} {path} is not served"


def test_client_opcodes_are_the_servers() -> None:
    ops = {
        name: int(value)
        for kind, name, value in INT_CONST.findall(PROTOCOL_FILE.read_text())
        if kind == "OP"
    }
    assert ops == {op.name: op.value for op in protocol.Op}


def test_client_close_codes_are_the_servers() -> None:
    codes = {
        int(value)
        for kind, _, value in INT_CONST.findall(PROTOCOL_FILE.read_text())
        if kind == "CLOSE"
    }
    server = {code.value for code in protocol.Close} | {1000, 1001}
    assert codes <= server, (
        f"the client expects close codes the server never sends: {codes - server}"
    )
    assert {c.value for c in protocol.Close} <= codes, "the client ignores some close codes"


def test_client_handles_every_event_the_server_dispatches() -> None:
    events = set(EVENT_CONST.findall(PROTOCOL_FILE.read_text()))
    assert events <= protocol.DISPATCH_EVENTS, (
        f"unknown to the server: {events - protocol.DISPATCH_EVENTS}"
    )
    assert events >= protocol.DISPATCH_EVENTS, (
        f"the client does not handle: {protocol.DISPATCH_EVENTS - events}"
    )


def test_client_frame_limit_is_the_servers() -> None:
    match = re.search(r"^const MAX_CLIENT_FRAME_BYTES := (\d+)", PROTOCOL_FILE.read_text(), re.M)
    assert match and int(match.group(1)) == protocol.MAX_FRAME_BYTES


def test_gateway_path_is_served(tmp_path: Path) -> None:
    match = re.search(r'^const GATEWAY_PATH := "([^"]+)"', API_FILE.read_text(), re.M)
    assert match and match.group(1) == "/api/v1/gateway"
    app = create_app(Settings(data_dir=tmp_path, secret_key="s" * 48))
    assert any(r.path == "/api/v1/gateway" for r in app.routes)

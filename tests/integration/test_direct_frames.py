"""The gateway writes dispatch frames itself on uvicorn's sans-I/O protocol
(entrypoints/gateway/direct.py): its frames are byte for byte websockets' own, and a client
gets every dispatch whole and in order, of every frame-length class, whether the frame went
the direct way or (behind a full socket buffer or a busy writer) through uvicorn's send."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from websockets.frames import Frame, Opcode

from entrypoints.gateway.direct import text_frame

from .api.harness import Api, GatewayClient, live_server, make_settings


@pytest.mark.parametrize("size", [0, 1, 125, 126, 127, 65_535, 65_536, 200_000])
def test_a_frame_is_what_websockets_would_write(size: int) -> None:
    data = bytes(range(256)) * (size // 256) + bytes(range(size % 256))
    expected = Frame(Opcode.TEXT, data, fin=True).serialize(mask=False, extensions=[])
    assert text_frame(data) == expected


async def test_dispatches_of_every_length_arrive_whole_and_in_order(tmp_path: Path) -> None:
    with live_server(make_settings(tmp_path), ws="websockets-sansio") as server:
        async with httpx.AsyncClient(base_url=server.url, timeout=15) as http:
            api = Api(http, server)
            alice = await api.register("alice")
            cid = (await api.create_server(alice))["channels"][0]["id"]
            gw = await GatewayClient.identify(server.ws_url, alice.token)
            connections = list(server.container.connections)
            assert connections and all(c._direct is not None for c in connections)
            # short (< 126 bytes in all), 16-bit lengths, and 2,000 four-byte characters
            contents = ["a", "b" * 500, "\U0001f600" * 2000, "c", "d" * 1999]
            sent = [await api.send(alice, cid, content) for content in contents]
            got = [await gw.wait_for("MESSAGE_CREATE", id=m["id"]) for m in sent]
            assert [m["content"] for m in got] == contents
            seqs = [f["s"] for f in gw.seen if f.get("t") == "MESSAGE_CREATE"]
            assert seqs == sorted(seqs) and len(set(seqs)) == len(contents)
            await gw.close()

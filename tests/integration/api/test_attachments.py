"""Files in messages over real HTTP, on SQLite and PostgreSQL: multipart posts, what is
stored and served, signed URLs, ranges, deletes, and every kind of bad input (a clear 4xx and
nothing stored)."""

from __future__ import annotations

import asyncio
import io
import socket
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from PIL import Image

from adapters.files.s3 import S3FileStorage
from entrypoints.settings import Settings

from .files_helpers import (
    data_url,
    file,
    gif,
    jpeg,
    multipart,
    payload,
    png,
    png_bomb,
    settle,
    stored,
    upload,
    webp,
)
from .harness import Account, Api, GatewayClient, LiveServer, live_server, make_settings

MIB = 1024 * 1024


async def channel_of(api: Api, owner: Account) -> str:
    return str((await api.create_server(owner))["channels"][0]["id"])


async def fetch(api: Api, url: str, **headers: str) -> httpx.Response:
    """A plain GET of a file URL, without a token (as an image loader does)."""
    return await api.http.get(url, headers=headers)


# --- posting and serving ---------------------------------------------------------------------


async def test_files_are_stored_typed_and_served(api: Api) -> None:
    owner = await api.register("owner")
    cid = await channel_of(api, owner)
    picture, notes = png(800, 600), b"line one\nline two\n"
    r = await upload(
        api,
        owner,
        cid,
        [
            payload("look", nonce="up-1"),
            file(0, "holiday.png", picture, "image/png"),
            file(1, "notes.txt", notes, "text/plain"),
            file(2, "data.bin", b"\x00\x01\x02\x03" * 10, "application/octet-stream"),
        ],
    )
    assert r.status_code == 201, r.text
    message = r.json()
    assert message["content"] == "look" and message["nonce"] == "up-1"
    image, text, blob = message["attachments"]
    assert {k: image[k] for k in ("filename", "content_type", "size", "width", "height")} == {
        "filename": "holiday.png",
        "content_type": "image/png",
        "size": len(picture),
        "width": 800,
        "height": 600,
    }
    assert text["content_type"] == "text/plain" and "width" not in text
    assert "thumbnail_url" not in text and "thumbnail_url" not in blob
    assert blob["content_type"] == "application/octet-stream"

    got = await fetch(api, image["url"])
    assert got.status_code == 200 and got.content == picture
    assert got.headers["content-type"] == "image/png"
    assert got.headers["content-disposition"].startswith("inline;")
    assert got.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in got.headers["content-security-policy"]
    thumb = await fetch(api, image["thumbnail_url"])
    assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/webp"
    assert Image.open(io.BytesIO(thumb.content)).size == (400, 300)

    got = await fetch(api, text["url"])
    assert got.content == notes and got.headers["content-type"].startswith("text/plain")
    assert got.headers["content-disposition"].startswith("attachment;")
    assert "filename*=UTF-8''notes.txt" in got.headers["content-disposition"]

    history = (await api.get(f"/channels/{cid}/messages", owner)).json()
    assert [a["id"] for a in history[0]["attachments"]] == [image["id"], text["id"], blob["id"]]


@pytest.mark.parametrize(
    ("name", "data", "mime", "size"),
    [
        ("photo.jpg", jpeg(640, 480), "image/jpeg", (400, 300)),
        ("anim.gif", gif(40, 30), "image/gif", (40, 30)),
        ("alpha.webp", webp(50, 50), "image/webp", (50, 50)),
        ("no-extension", png(30, 90), "image/png", (30, 90)),
    ],
)
async def test_every_image_kind_gets_a_size_and_a_thumbnail(
    api: Api, name: str, data: bytes, mime: str, size: tuple[int, int]
) -> None:
    owner = await api.register("owner")
    cid = await channel_of(api, owner)
    r = await upload(api, owner, cid, [payload(), file(0, name, data, None)])
    assert r.status_code == 201, r.text
    (attachment,) = r.json()["attachments"]
    assert attachment["content_type"] == mime
    thumb = await fetch(api, attachment["thumbnail_url"])
    assert Image.open(io.BytesIO(thumb.content)).size == size  # at most 400 px, never enlarged


async def test_a_message_may_have_no_text_when_it_has_files(api: Api) -> None:
    owner = await api.register("owner")
    cid = await channel_of(api, owner)
    r = await upload(api, owner, cid, [payload(""), file(0, "a.txt", b"hi")])
    assert r.status_code == 201 and r.json()["content"] == ""
    r = await upload(api, owner, cid, [payload("   ")])  # no files: text is required
    assert r.status_code == 400 and r.json()["field"] == "content"
    # An edit may empty the text of a message with files, not of one without.
    mid = r.json() and (await api.send(owner, cid, "text"))["id"]
    r2 = await api.patch(f"/channels/{cid}/messages/{mid}", owner, json={"content": ""})
    assert r2.status_code == 400 and r2.json()["field"] == "content"


async def test_ranges(api: Api) -> None:
    owner = await api.register("owner")
    cid = await channel_of(api, owner)
    data = bytes(range(256)) * 40
    r = await upload(api, owner, cid, [payload(), file(0, "r.bin", data)])
    url = r.json()["attachments"][0]["url"]
    part = await fetch(api, url, Range="bytes=10-19")
    assert part.status_code == 206 and part.content == data[10:20]
    assert part.headers["content-range"] == f"bytes 10-19/{len(data)}"
    tail = await fetch(api, url, Range="bytes=-5")
    assert tail.status_code == 206 and tail.content == data[-5:]
    rest = await fetch(api, url, Range=f"bytes={len(data) - 3}-")
    assert rest.content == data[-3:]
    bad = await fetch(api, url, Range=f"bytes={len(data)}-")
    assert bad.status_code == 416 and bad.headers["content-range"] == f"bytes */{len(data)}"
    whole = await fetch(api, url, Range="bytes=0-1,5-6")  # several ranges: the whole file
    assert whole.status_code == 200 and whole.content == data
    etag = whole.headers["etag"]
    assert (await fetch(api, url, **{"If-None-Match": etag})).status_code == 304


async def test_links_are_signed_and_expire(api: Api, live: LiveServer) -> None:
    owner = await api.register("owner")
    cid = await channel_of(api, owner)
    other = await channel_of(api, owner)
    r = await upload(api, owner, cid, [payload(), file(0, "pic.png", png(), "image/png")])
    attachment = r.json()["attachments"][0]
    url = attachment["url"]
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    expires, signature = int(query["ex"][0]), query["sig"][0]
    flipped = signature[:-1] + ("0" if signature[-1] != "0" else "1")
    for wrong in (
        parts.path,  # no signature at all
        f"{parts.path}?ex={expires}&sig={flipped}",
        f"{parts.path}?ex={expires + 3600}&sig={signature}",  # a later expiry, same signature
        url.replace(f"/attachments/{cid}/", f"/attachments/{other}/"),  # another channel
        attachment["thumbnail_url"].replace("sig=", "sig=0"),
        f"/api/v1/thumbnails/{cid}/{attachment['id']}.webp?ex={expires}&sig={signature}",
    ):
        got = await fetch(api, wrong)
        assert got.status_code == 404, wrong
        assert got.json()["code"] in ("unknown_file", "not_found"), wrong
    # A correctly signed link whose time is up: 404 too.
    past = 1_000_000
    message = f"attachment:original:{cid}:{attachment['id']}:{past}"
    expired = live.container.deps.signer.sign(message)
    got = await fetch(api, f"{parts.path}?ex={past}&sig={expired}")
    assert got.status_code == 404 and got.json()["code"] == "unknown_file"
    assert (await fetch(api, url)).status_code == 200


async def test_only_members_get_links_or_can_upload(api: Api, live: LiveServer) -> None:
    owner = await api.register("owner")
    outsider = await api.register("outsider")
    cid = await channel_of(api, owner)
    before = stored(live)
    r = await upload(api, outsider, cid, [payload("x"), file(0, "a.txt", b"hello")])
    assert r.status_code == 404 and r.json()["code"] == "unknown_channel"
    assert await settle(live, before) == set()
    await upload(api, owner, cid, [payload(), file(0, "a.txt", b"hello")])
    assert (await api.get(f"/channels/{cid}/messages", outsider)).status_code == 404


async def test_an_outsider_is_refused_before_the_body_is_read(live: LiveServer) -> None:
    """A 404 for a channel you cannot see comes at once, even for a 40 MiB body never sent."""
    async with httpx.AsyncClient(base_url=live.url, timeout=10) as http:
        api = Api(http, live)
        owner, outsider = await api.register("owner"), await api.register("outsider")
        cid = await channel_of(api, owner)
    head = (
        f"POST /api/v1/channels/{cid}/messages HTTP/1.1\r\nHost: x\r\n"
        f"Authorization: Bearer {outsider.token}\r\n"
        "Content-Type: multipart/form-data; boundary=zzz\r\n"
        f"Content-Length: {40 * MIB}\r\n\r\n"
    )
    answer = await asyncio.to_thread(_raw_request, live.port, head.encode())
    assert answer.startswith(b"HTTP/1.1 404"), answer[:100]


def _raw_request(port: int, data: bytes, close_after: bool = False, timeout: float = 10) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(data)
        if close_after:
            return b""
        chunks = []
        try:
            while chunk := sock.recv(65536):
                chunks.append(chunk)
                if b"\r\n\r\n" in b"".join(chunks):
                    break
        except TimeoutError:
            pass
        return b"".join(chunks)


async def test_files_over_the_gateway(api: Api, live: LiveServer) -> None:
    owner = await api.register("owner")
    cid = await channel_of(api, owner)
    gateway = await GatewayClient.identify(live.ws_url, owner.token)
    try:
        r = await upload(api, owner, cid, [payload("live"), file(0, "p.png", png(), "image/png")])
        created = await gateway.wait_for("MESSAGE_CREATE", id=r.json()["id"])
        (attachment,) = created["attachments"]
        assert attachment["width"] == 64 and attachment["thumbnail_url"]
        assert (await fetch(api, attachment["url"])).content == png()
    finally:
        await gateway.close()


async def test_a_nonce_retry_with_files_stores_one_copy(api: Api, live: LiveServer) -> None:
    owner = await api.register("owner")
    cid = await channel_of(api, owner)
    parts = [payload("once", nonce="files-1"), file(0, "a.txt", b"only once")]
    first = await upload(api, owner, cid, parts)
    before = stored(live)
    again = await upload(api, owner, cid, parts)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["attachments"][0]["id"] == first.json()["attachments"][0]["id"]
    assert await settle(live, before) == set()


# --- deleting --------------------------------------------------------------------------------


async def test_deleting_a_message_channel_or_server_deletes_its_files(
    api: Api, live: LiveServer
) -> None:
    owner = await api.register("owner")
    server = await api.create_server(owner)
    sid, general = server["id"], server["channels"][0]["id"]
    extra = (await api.post(f"/servers/{sid}/channels", owner, json={"name": "x"})).json()["id"]
    before = stored(live)

    async def post(cid: str) -> dict[str, str]:
        r = await upload(api, owner, cid, [payload(), file(0, "p.png", png(), "image/png")])
        assert r.status_code == 201, r.text
        return r.json()  # type: ignore[no-any-return]

    first, second, third = await post(general), await post(general), await post(extra)
    assert len(stored(live) - before) == 6  # three files, three thumbnails
    url = first["attachments"][0]["url"]

    assert (
        await api.delete(f"/channels/{general}/messages/{first['id']}", owner)
    ).status_code == 204
    assert (await fetch(api, url)).status_code == 404
    assert len(stored(live) - before) == 4
    assert (await api.delete(f"/channels/{extra}", owner)).status_code == 204
    assert (await fetch(api, third["attachments"][0]["url"])).status_code == 404
    assert len(stored(live) - before) == 2
    assert (await api.delete(f"/servers/{sid}", owner)).status_code == 204
    assert (await fetch(api, second["attachments"][0]["url"])).status_code == 404
    assert stored(live) - before == set()


# --- bad input: a clear 4xx, nothing stored ---------------------------------------------------


BAD_UPLOADS = {
    "fake png": (
        [payload(), file(0, "cat.png", b"this is not a png at all", "image/png")],
        400,
        "invalid_image",
    ),
    "fake png by type": (
        [payload(), file(0, "cat", b"plain words", "image/png")],
        400,
        "invalid_image",
    ),
    "broken png": (
        [payload(), file(0, "x.png", png()[:40] + b"\x00" * 60, "image/png")],
        400,
        "invalid_image",
    ),
    "decompression bomb": (
        [payload(), file(0, "bomb.png", png_bomb(), "image/png")],
        400,
        "image_too_large",
    ),
    "path in filename": ([payload(), file(0, "../../etc/passwd", b"x")], 400, "invalid_filename"),
    "control characters": ([payload(), file(0, "a\x01b.txt", b"x")], 400, "invalid_filename"),
    "empty filename": ([payload(), file(0, " . ", b"x")], 400, "invalid_filename"),
    "zero bytes": ([payload(), file(0, "empty.txt", b"")], 400, "empty_file"),
    "no payload_json": ([file(0, "a.txt", b"x")], 400, "validation_failed"),
    "payload not json": (
        [("payload_json", None, b"{nope", None), file(0, "a.txt", b"x")],
        400,
        "bad_request",
    ),
    "unknown payload field": ([payload(evil=1), file(0, "a.txt", b"x")], 400, "validation_failed"),
    "11 files": (
        [payload(), *(file(n, f"{n}.txt", b"x") for n in range(11))],
        413,
        "payload_too_large",
    ),
    "unknown field": ([payload(), ("file", "a.txt", b"x", None)], 400, "validation_failed"),
    "the same field twice": (
        [payload(), file(0, "a.txt", b"x"), file(0, "b.txt", b"y")],
        400,
        "validation_failed",
    ),
    "no filename": ([payload(), ("files[0]", None, b"x", None)], 400, "invalid_filename"),
}


@pytest.mark.parametrize("case", list(BAD_UPLOADS), ids=list(BAD_UPLOADS))
async def test_bad_uploads_are_refused_and_leave_nothing(
    api: Api, live: LiveServer, case: str
) -> None:
    parts, status, code = BAD_UPLOADS[case]
    owner = await api.register("owner")
    cid = await channel_of(api, owner)
    before = stored(live)
    r = await upload(api, owner, cid, parts)
    assert r.status_code == status, r.text
    assert r.json()["code"] == code, r.text
    assert await settle(live, before) == set()
    assert (await api.get(f"/channels/{cid}/messages", owner)).json() == []


async def test_malformed_multipart_bodies(api: Api, live: LiveServer) -> None:
    owner = await api.register("owner")
    cid = await channel_of(api, owner)
    before = stored(live)
    body, content_type = multipart([payload(), file(0, "a.txt", b"x" * 1000)])
    for content, ctype in (
        (body[: len(body) // 2], content_type),  # cut short
        (body, "multipart/form-data"),  # no boundary
        (body, "multipart/form-data; boundary=other"),
        (b"garbage", content_type),
    ):
        r = await api.post(
            f"/channels/{cid}/messages", owner, content=content, headers={"Content-Type": ctype}
        )
        assert r.status_code == 400, (ctype, r.text)
    r = await api.post(
        f"/channels/{cid}/messages", owner, content=b"x=1", headers={"Content-Type": "text/csv"}
    )
    assert r.status_code == 415
    assert await settle(live, before) == set()


# --- limits (a server with small ones) and lying clients -------------------------------------


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def small(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    database_url = None
    if request.param == "postgresql":
        database_url = request.getfixturevalue("fresh_postgres_database")()
    settings = make_settings(
        tmp_path_factory.mktemp("small"),
        database_url,
        upload_max_file_bytes=MIB,
        upload_max_files=3,
        upload_max_request_bytes=2 * MIB,
    )
    with live_server(settings) as server:
        yield server


async def test_limits_are_413_and_nothing_is_stored(small: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=small.url, timeout=30) as http:
        api = Api(http, small)
        owner = await api.register("owner")
        cid = await channel_of(api, owner)
        before = stored(small)
        cases = {
            "file over 1 MiB": [payload(), file(0, "big.bin", b"x" * (MIB + 1))],
            "4 files": [payload(), *(file(n, f"{n}.txt", b"x") for n in range(4))],
            "over 2 MiB together": [
                payload(),
                *(file(n, f"{n}.bin", b"x" * (MIB - 10)) for n in range(3)),
            ],
        }
        for name, parts in cases.items():
            r = await upload(api, owner, cid, parts)
            assert r.status_code == 413, (name, r.text)
            assert r.json()["code"] == "payload_too_large", name
        r = await upload(api, owner, cid, [payload(), file(0, "ok.bin", b"x" * MIB)])
        assert r.status_code == 201, r.text
        assert len(await settle(small, before)) == 1


async def test_a_lying_content_length(small: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=small.url, timeout=30) as http:
        api = Api(http, small)
        owner = await api.register("owner")
        cid = await channel_of(api, owner)
    before = stored(small)
    body, content_type = multipart([payload("lies"), file(0, "a.bin", b"y" * 200_000)])
    head = (
        f"POST /api/v1/channels/{cid}/messages HTTP/1.1\r\nHost: x\r\n"
        f"Authorization: Bearer {owner.token}\r\nContent-Type: {content_type}\r\n"
    )
    # Says more than the limit: refused from the headers alone.
    answer = await asyncio.to_thread(
        _raw_request, small.port, (head + f"Content-Length: {10 * MIB}\r\n\r\n").encode()
    )
    assert answer.startswith(b"HTTP/1.1 413"), answer[:80]
    # Says less than it sends: the form ends too soon (400); the rest is never read as a file.
    answer = await asyncio.to_thread(
        _raw_request, small.port, (head + "Content-Length: 1000\r\n\r\n").encode() + body
    )
    assert answer.startswith(b"HTTP/1.1 400"), answer[:80]
    # Says more than it sends, then hangs up half-way: nothing is kept.
    await asyncio.to_thread(
        _raw_request,
        small.port,
        (head + f"Content-Length: {len(body) + 5000}\r\n\r\n").encode() + body[: len(body) // 2],
        True,
    )
    assert await settle(small, before) == set()
    async with httpx.AsyncClient(base_url=small.url, timeout=30) as http:
        api = Api(http, small)
        assert (await api.get(f"/channels/{cid}/messages", owner)).json() == []


# --- S3-compatible storage, end to end, and two instances sharing it ------------------------


@pytest.mark.postgres
async def test_two_instances_over_s3_serve_each_others_files(
    tmp_path: Path, postgres_database_factory: object, s3_server: object, s3_bucket: str
) -> None:
    from ..s3_server import ACCESS_KEY, REGION, SECRET_KEY, S3Server

    assert isinstance(s3_server, S3Server)
    database_url = postgres_database_factory()  # type: ignore[operator]

    def settings(name: str) -> Settings:
        return make_settings(
            tmp_path / name,
            database_url,
            storage="s3",
            s3_bucket=s3_bucket,
            s3_endpoint_url=s3_server.endpoint_url,
            s3_region=REGION,
            s3_access_key_id=ACCESS_KEY,
            s3_secret_access_key=SECRET_KEY,
        )

    with live_server(settings("a")) as a, live_server(settings("b")) as b:
        async with httpx.AsyncClient(base_url=a.url, timeout=30) as ha:
            api_a = Api(ha, a)
            owner = await api_a.register("owner")
            cid = await channel_of(api_a, owner)
            data = png(300, 200)
            r = await upload(api_a, owner, cid, [payload(), file(0, "s3.png", data, "image/png")])
            assert r.status_code == 201, r.text
            message = r.json()
        assert not (tmp_path / "a" / "files").exists()  # nothing in the data folder
        async with httpx.AsyncClient(base_url=b.url, timeout=30) as hb:
            api_b = Api(hb, b)
            attachment = message["attachments"][0]
            got = await fetch(api_b, attachment["url"])
            assert got.status_code == 200 and got.content == data
            part = await fetch(api_b, attachment["url"], Range="bytes=1-3")
            assert part.status_code == 206 and part.content == data[1:4]
            assert (await fetch(api_b, attachment["thumbnail_url"])).status_code == 200
            r = await api_b.delete(f"/channels/{cid}/messages/{message['id']}", owner)
            assert r.status_code == 204
            assert (await fetch(api_b, attachment["url"])).status_code == 404
        storage = S3FileStorage(
            s3_bucket,
            endpoint_url=s3_server.endpoint_url,
            region=REGION,
            access_key_id=ACCESS_KEY,
            secret_access_key=SECRET_KEY,
        )
        keys = [f"attachments/{attachment['id']}", f"thumbnails/{attachment['id']}"]
        assert [await storage.size(key) for key in keys] == [None, None]
        await storage.close()


# --- races (the point of running on PostgreSQL) ----------------------------------------------


async def test_uploads_racing_a_channel_delete_leave_no_files(api: Api, live: LiveServer) -> None:
    """Uploads into a channel while it is deleted: every answer is 201 or 404 (never a 5xx),
    and afterwards none of the files is left in storage or named by a row."""
    for _ in range(3):
        owner = await api.register("owner")
        server = await api.create_server(owner)
        made = await api.post(f"/servers/{server['id']}/channels", owner, json={"name": "x"})
        cid = made.json()["id"]
        before = stored(live)
        *answers, deleted = await asyncio.gather(
            *(_upload_one(api, owner, cid, n) for n in range(8)), _delete_soon(api, owner, cid)
        )
        assert deleted == 204
        assert set(answers) <= {201, 404}, answers
        assert await settle(live, before) == set()


async def _upload_one(api: Api, owner: Account, cid: str, n: int) -> int:
    parts = [payload(f"file {n}"), file(0, f"{n}.png", png(32, 32), "image/png")]
    return (await upload(api, owner, cid, parts)).status_code


async def _delete_soon(api: Api, owner: Account, cid: str) -> int:
    await asyncio.sleep(0.01)
    return (await api.delete(f"/channels/{cid}", owner)).status_code


# --- avatars and server icons ---------------------------------------------------------------


async def test_avatars_are_served_replaced_kept_and_removed(api: Api, live: LiveServer) -> None:
    alice = await api.register("alice")
    bob = await api.register("bob")
    server = await api.create_server(alice)
    await api.join(bob, server["id"], alice)
    gateway = await GatewayClient.identify(live.ws_url, bob.token)
    try:
        before = stored(live)
        r = await api.patch(
            "/users/@me", alice, json={"avatar": data_url(jpeg(300, 200), "image/jpeg")}
        )
        assert r.status_code == 200, r.text
        url = r.json()["avatar_url"]
        member = await gateway.wait_for("MEMBER_UPDATE", server_id=server["id"])
        assert member["user"]["avatar_url"] == url
        small, large = await fetch(api, url), await fetch(api, url + "?size=512")
        assert small.headers["content-type"] == "image/png"
        assert Image.open(io.BytesIO(small.content)).size == (128, 128)
        assert Image.open(io.BytesIO(large.content)).size == (512, 512)
        assert len(stored(live) - before) == 2
        # Other changes keep the avatar (the profile row is written back whole).
        r = await api.patch("/users/@me", alice, json={"status": "away"})
        assert r.json()["avatar_url"] == url
        message = await api.send(alice, server["channels"][0]["id"], "with a face")
        assert message["author"]["avatar_url"] == url
        members = (await api.get(f"/servers/{server['id']}/members", bob)).json()
        assert {m["user"]["id"]: m["user"]["avatar_url"] for m in members}[alice.id] == url
        # A new one replaces the old files; null removes it.
        r = await api.patch("/users/@me", alice, json={"avatar": data_url(png(64, 64))})
        assert r.json()["avatar_url"] != url
        assert (await fetch(api, url)).status_code == 404
        assert len(stored(live) - before) == 2
        r = await api.patch("/users/@me", alice, json={"avatar": None})
        assert r.status_code == 200 and r.json()["avatar_url"] is None
        assert stored(live) - before == set()
    finally:
        await gateway.close()


async def test_server_icons(api: Api, live: LiveServer) -> None:
    owner = await api.register("owner")
    member = await api.register("member")
    server = await api.create_server(owner)
    sid = server["id"]
    await api.join(member, sid, owner)
    before = stored(live)
    r = await api.patch(f"/servers/{sid}", member, json={"icon": data_url(png())})
    assert r.status_code == 403 and r.json()["code"] == "missing_permission"
    assert await settle(live, before) == set()
    gateway = await GatewayClient.identify(live.ws_url, member.token)
    try:
        r = await api.patch(
            f"/servers/{sid}", owner, json={"icon": data_url(webp(80, 40), "image/webp")}
        )
        assert r.status_code == 200, r.text
        icon = r.json()["icon_url"]
        update = await gateway.wait_for("SERVER_UPDATE", id=sid)
        assert update["icon_url"] == icon
    finally:
        await gateway.close()
    assert Image.open(io.BytesIO((await fetch(api, icon)).content)).size == (128, 128)
    r = await api.patch(f"/servers/{sid}", owner, json={"name": "renamed"})
    assert r.json()["icon_url"] == icon  # kept
    mine = (await api.get("/users/@me/servers", member)).json()
    assert [s["icon_url"] for s in mine if s["id"] == sid] == [icon]
    assert (await api.delete(f"/servers/{sid}", owner)).status_code == 204
    assert (await fetch(api, icon)).status_code == 404
    assert stored(live) - before == set()


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"avatar": "data:image/png;base64,not base64!"}, 400, "validation_failed"),
        ({"avatar": "https://example.com/a.png"}, 400, "validation_failed"),
        ({"avatar": data_url(b"plain text")}, 400, "invalid_image"),
        ({"avatar": data_url(png_bomb())}, 400, "image_too_large"),
        ({"avatar": data_url(b"\x89PNG" + b"\x00" * (5 * MIB))}, 413, "payload_too_large"),
        ({"avatar": data_url(b"")}, 400, "empty_file"),
    ],
)
async def test_bad_avatars_change_nothing(
    api: Api, live: LiveServer, body: dict[str, str], status: int, code: str
) -> None:
    alice = await api.register("alice")
    before = stored(live)
    r = await api.patch("/users/@me", alice, json=body)
    assert r.status_code == status, r.text
    assert r.json()["code"] == code, r.text
    assert (await api.get("/users/@me", alice)).json()["avatar_url"] is None
    assert await settle(live, before) == set()

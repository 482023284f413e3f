"""Files in the core: uploads become attachments, crash-safe storage, signed links, deletes,
avatars and icons. Against the fakes (FakeMedia's made-up image format, FakeFileStorage)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from discord_core import files
from discord_core.errors import Forbidden, NotFound, PayloadTooLarge, ValidationFailed
from discord_core.events import MemberUpdated, MessageCreated, UserUpdated
from discord_core.files import FileKind, FileRef
from discord_core.model import Upload
from discord_core.usecases import FileGrant, Variant
from discord_core.usecases.files import UPLOAD_GRACE

from .conftest import Crew, World, fails
from .fakes import FakeMedia

IMAGE = FakeMedia.image("png", 800, 600)


@pytest.fixture
def make_upload(tmp_path: Path):  # type: ignore[no-untyped-def]
    counter = iter(range(1000))

    def make(
        filename: str = "a.txt", data: bytes = b"hello", declared: str | None = None
    ) -> Upload:
        n = next(counter)
        path = tmp_path / f"upload-{n}"
        path.write_bytes(data)
        return Upload(f"files[{n}]", filename, declared, str(path), len(data), f"sha{n}")

    return make


def pending(world: World) -> dict[FileRef, object]:
    return dict(world.db.tables.file_deletions)


# --- posting ----------------------------------------------------------------------------------


async def test_a_post_with_files_stores_them_and_commits_attachments(
    crew: Crew, make_upload
) -> None:
    w = crew.world
    uploads = [make_upload("pic.png", IMAGE, "image/png"), make_upload("notes.txt", b"text")]
    posted = await w.messages.post(crew.member, crew.general_id, "", uploads=uploads)
    image, text = posted.message.attachments
    assert (image.content_type, image.width, image.height, image.has_thumbnail) == (
        "image/png",
        800,
        600,
        True,
    )
    assert (text.content_type, text.has_thumbnail, text.filename) == (
        "text/plain",
        False,
        "notes.txt",
    )
    assert {image.message_id, text.message_id} == {posted.message.message.id}
    assert w.storage.stored_keys() == {
        files.attachment_key(image.id),
        files.thumbnail_key(image.id),
        files.attachment_key(text.id),
    }
    assert pending(w) == {}  # the upload's grace records were cancelled with the commit
    (event,) = w.events.events
    assert isinstance(event, MessageCreated) and event.message.attachments == [image, text]
    page = await w.messages.history(crew.owner, crew.general_id)
    assert page[0].attachments == [image, text]


async def test_files_are_checked_before_anything_is_stored(crew: Crew, make_upload) -> None:
    w = crew.world
    cases = [
        ([make_upload("x.png", b"not an image", None)], ValidationFailed, "invalid_image"),
        ([make_upload("x", b"plain", "image/png")], ValidationFailed, "invalid_image"),
        ([make_upload("x.png", b"BAD:header")], ValidationFailed, "invalid_image"),
        (
            [make_upload("x.png", FakeMedia.image("png", 10_000, 10_000))],
            ValidationFailed,
            "image_too_large",
        ),
        ([make_upload("x.png", IMAGE + b":corrupt")], ValidationFailed, "invalid_image"),
        ([make_upload("../x.txt")], ValidationFailed, "invalid_filename"),
        ([make_upload("empty.txt", b"")], ValidationFailed, "empty_file"),
        ([make_upload(f"{n}.txt") for n in range(11)], PayloadTooLarge, "payload_too_large"),
    ]
    for uploads, error, code in cases:
        await fails(w.messages.post(crew.member, crew.general_id, "", uploads=uploads), error, code)
    assert w.storage.puts == [] and pending(w) == {} and w.events.events == []
    assert await w.messages.history(crew.owner, crew.general_id) == []


async def test_too_big_files_are_refused(world: World, make_upload) -> None:
    from discord_core.limits import FileLimits

    world.deps.file_limits = FileLimits(max_file_bytes=10, max_request_bytes=15)
    owner = await world.register("owner")
    _, general = await world.server(owner)
    big = make_upload("big.bin", b"x" * 11)
    await fails(
        world.messages.post(owner, general, "", uploads=[big]), PayloadTooLarge, "payload_too_large"
    )
    two = [make_upload("a", b"x" * 8), make_upload("b", b"y" * 8)]
    await fails(
        world.messages.post(owner, general, "", uploads=two), PayloadTooLarge, "payload_too_large"
    )


async def test_an_outsider_is_refused_before_any_file_work(crew: Crew, make_upload) -> None:
    w = crew.world
    upload = make_upload("pic.png", IMAGE)
    await fails(
        w.messages.post(crew.outsider, crew.general_id, "", uploads=[upload]),
        NotFound,
        "unknown_channel",
    )
    assert w.media.calls == [] and w.storage.puts == []


async def test_a_storage_failure_leaves_nothing(crew: Crew, make_upload) -> None:
    w = crew.world
    w.storage.fail_puts = 1
    upload = make_upload("pic.png", IMAGE)
    with pytest.raises(OSError, match="storage is down"):
        await w.messages.post(crew.member, crew.general_id, "", uploads=[upload])
    assert w.storage.stored_keys() == set() and pending(w) == {}
    assert await w.messages.history(crew.owner, crew.general_id) == []


async def test_a_failed_commit_deletes_the_stored_files(crew: Crew, make_upload) -> None:
    w = crew.world
    w.db.inject("attachments.add_many", RuntimeError("database went away"))
    with pytest.raises(RuntimeError):
        await w.messages.post(crew.member, crew.general_id, "", uploads=[make_upload()])
    assert w.storage.stored_keys() == set() and pending(w) == {}


async def test_a_crash_between_storing_and_committing_is_swept(crew: Crew, make_upload) -> None:
    """The process dies after the bytes are stored: the grace record commits first, so the
    sweep deletes them once the grace period is over (and not before)."""
    w = crew.world
    w.db.inject("attachments.add_many", SystemExit())  # not caught as an error: a "crash"
    w.storage.fail_deletes = 1  # ... and the clean-up on the way out does not get through
    with pytest.raises(SystemExit):
        await w.messages.post(crew.member, crew.general_id, "", uploads=[make_upload()])
    (ref,) = pending(w)
    assert w.storage.stored_keys() != set()
    assert await w.files.purge_due() == 0  # not due yet
    w.clock.advance(UPLOAD_GRACE + timedelta(seconds=1))
    assert await w.files.purge_due() == 1
    assert w.storage.stored_keys() == set() and pending(w) == {}
    assert ref.kind is FileKind.ATTACHMENT


async def test_a_channel_deleted_mid_upload(crew: Crew, make_upload) -> None:
    w = crew.world

    async def delete_channel(key: str) -> None:
        w.storage.put_hook = None
        await w.channels.delete(crew.owner, crew.general_id)

    w.storage.put_hook = delete_channel
    await fails(
        w.messages.post(crew.member, crew.general_id, "", uploads=[make_upload()]),
        NotFound,
        "unknown_channel",
    )
    assert w.storage.stored_keys() == set() and pending(w) == {}


async def test_a_nonce_replay_with_files_keeps_one_copy(crew: Crew, make_upload) -> None:
    w = crew.world
    first = await w.messages.post(crew.member, crew.general_id, "x", "n1", uploads=[make_upload()])
    keys = w.storage.stored_keys()
    again = await w.messages.post(crew.member, crew.general_id, "x", "n1", uploads=[make_upload()])
    assert not again.created and again.message.attachments == first.message.attachments
    assert w.storage.stored_keys() == keys and pending(w) == {}


async def test_edits_may_empty_the_text_only_of_messages_with_files(
    crew: Crew, make_upload
) -> None:
    w = crew.world
    with_files = await w.messages.post(crew.member, crew.general_id, "x", uploads=[make_upload()])
    text_only = await w.messages.post(crew.member, crew.general_id, "y")
    edited = await w.messages.edit(crew.member, crew.general_id, with_files.message.message.id, " ")
    assert edited.message.content == "" and len(edited.attachments) == 1
    await fails(
        w.messages.edit(crew.member, crew.general_id, text_only.message.message.id, ""),
        ValidationFailed,
        "validation_failed",
        field="content",
    )


# --- deleting ---------------------------------------------------------------------------------


async def test_deleting_a_message_deletes_its_files_after_the_commit(
    crew: Crew, make_upload
) -> None:
    w = crew.world
    posted = await w.messages.post(
        crew.member, crew.general_id, "", uploads=[make_upload("p.png", IMAGE)]
    )
    message_id = posted.message.message.id
    w.storage.fail_deletes = 1  # storage is down at the moment of the delete
    await w.messages.delete(crew.member, crew.general_id, message_id)
    assert len(w.storage.stored_keys()) == 2 and len(pending(w)) == 1  # scheduled, due now
    assert await w.files.purge_due() == 1
    assert w.storage.stored_keys() == set() and pending(w) == {}


async def test_deleting_a_channel_or_server_deletes_their_files(crew: Crew, make_upload) -> None:
    w = crew.world
    other = await w.channels.create(crew.owner, crew.server_id, "other")
    await w.messages.post(crew.member, crew.general_id, "", uploads=[make_upload()])
    await w.messages.post(crew.member, other.id, "", uploads=[make_upload()])
    await w.servers.update(crew.owner, crew.server_id, icon=IMAGE)
    assert len(w.storage.stored_keys()) == 4
    await w.channels.delete(crew.owner, other.id)
    assert len(w.storage.stored_keys()) == 3
    await w.servers.delete(crew.owner, crew.server_id)
    assert w.storage.stored_keys() == set() and pending(w) == {}


async def test_the_sweep_never_deletes_a_file_a_row_names(crew: Crew, make_upload) -> None:
    w = crew.world
    posted = await w.messages.post(crew.member, crew.general_id, "", uploads=[make_upload()])
    ref = FileRef(FileKind.ATTACHMENT, posted.message.attachments[0].id)
    async with w.deps.uow() as uow:  # a stray record (a bug, a restore...) for a live file
        await uow.file_deletions.schedule([ref], w.clock.now())
        await uow.commit()
    assert await w.files.purge_due() == 1
    assert files.attachment_key(ref.ref) in w.storage.stored_keys() and pending(w) == {}


# --- links ------------------------------------------------------------------------------------


async def test_links_are_signed_for_one_file_and_expire(crew: Crew, make_upload) -> None:
    w = crew.world
    posted = await w.messages.post(
        crew.member, crew.general_id, "", uploads=[make_upload("p.png", IMAGE)]
    )
    attachment = posted.message.attachments[0]
    link = w.files.linker.link(attachment)
    assert link.expires % 3600 == 0
    assert link.expires - w.clock.now().timestamp() >= timedelta(days=1).total_seconds()
    assert w.files.linker.link(attachment) == link  # stable within the hour: cacheable
    good = FileGrant(crew.general_id, attachment.id, Variant.ORIGINAL, link.expires, link.signature)
    opened = await w.files.open_attachment(good)
    assert (opened.key, opened.content_type, opened.inline) == (
        files.attachment_key(attachment.id),
        "image/png",
        True,
    )
    wrong = [
        FileGrant(crew.general_id, attachment.id, Variant.THUMBNAIL, link.expires, link.signature),
        FileGrant(
            crew.general_id + 1, attachment.id, Variant.ORIGINAL, link.expires, link.signature
        ),
        FileGrant(
            crew.general_id, attachment.id, Variant.ORIGINAL, link.expires + 1, link.signature
        ),
        FileGrant(crew.general_id, attachment.id, Variant.ORIGINAL, link.expires, "0" * 32),
    ]
    for grant in wrong:
        await fails(w.files.open_attachment(grant), NotFound, "unknown_file")
    w.clock.advance(days=1, hours=1)
    await fails(w.files.open_attachment(good), NotFound, "unknown_file")


# --- avatars and icons ------------------------------------------------------------------------


async def test_avatars_are_stored_announced_and_replaced(crew: Crew) -> None:
    w = crew.world
    user = await w.users.update_me(crew.member, avatar=IMAGE)
    assert user.avatar is not None and files.is_version(user.avatar)
    keys = FileRef(FileKind.AVATAR, user.id, user.avatar).storage_keys()
    assert w.storage.stored_keys() == set(keys)
    names = [type(e) for e in w.events.events]
    assert names.count(UserUpdated) == 1 and names.count(MemberUpdated) == 1
    member = next(e for e in w.events.events if isinstance(e, MemberUpdated))
    assert member.member.avatar == user.avatar
    message = await w.messages.post(crew.member, crew.general_id, "hi")
    assert message.message.author_avatar == user.avatar

    again = await w.users.update_me(crew.member, avatar=FakeMedia.image("png", 10, 10))
    assert again.avatar != user.avatar
    assert w.storage.stored_keys() == set(
        FileRef(FileKind.AVATAR, user.id, again.avatar).storage_keys()
    )
    removed = await w.users.update_me(crew.member, remove_avatar=True)
    assert removed.avatar is None and w.storage.stored_keys() == set() and pending(w) == {}


async def test_bad_avatars_change_nothing(crew: Crew) -> None:
    w = crew.world
    first = await w.users.update_me(crew.member, avatar=IMAGE)
    keys = w.storage.stored_keys()
    for data, error, code in (
        (b"not an image", ValidationFailed, "invalid_image"),
        (FakeMedia.image("png", 10_000, 10_000), ValidationFailed, "image_too_large"),
        (b"", ValidationFailed, "empty_file"),
        (b"IMG:png:1x1:" + b"x" * (5 * 1024 * 1024), PayloadTooLarge, "payload_too_large"),
    ):
        await fails(w.users.update_me(crew.member, avatar=data), error, code, field="avatar")
    assert (
        w.storage.stored_keys() == keys and (await w.users.me(crew.member)).avatar == first.avatar
    )


async def test_icons_need_the_admin_role_before_any_work(crew: Crew) -> None:
    w = crew.world
    await fails(
        w.servers.update(crew.member, crew.server_id, icon=IMAGE), Forbidden, "missing_permission"
    )
    assert w.media.calls == [] and w.storage.puts == []
    server = await w.servers.update(crew.admin, crew.server_id, icon=IMAGE)
    assert server.icon is not None
    assert w.storage.stored_keys() == set(
        FileRef(FileKind.ICON, server.id, server.icon).storage_keys()
    )
    server = await w.servers.update(crew.admin, crew.server_id, remove_icon=True)
    assert server.icon is None and w.storage.stored_keys() == set()

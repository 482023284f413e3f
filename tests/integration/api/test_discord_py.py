"""An unmodified discord.py bot (pinned in the dev extras) against a live Concord, on SQLite
and PostgreSQL. The bot is written as discord.py's documentation shows; the only changes are
the three address overrides docs/bots.md names (REST base, gateway URL, CDN base), set before
it starts."""

from __future__ import annotations

import asyncio
import contextlib
import io
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import discord
import pytest
import yarl
from discord.ext import commands

from .harness import Account, Api, GatewayClient


@dataclass
class Seen:
    messages: list[discord.Message] = field(default_factory=list)
    events: asyncio.Queue[tuple[str, Any]] = field(default_factory=asyncio.Queue)


async def next_event(seen: Seen, name: str, timeout: float = 10.0) -> Any:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        left = deadline - asyncio.get_running_loop().time()
        if left <= 0:
            raise TimeoutError(f"the bot never saw {name}")
        kind, value = await asyncio.wait_for(seen.events.get(), left)
        if kind == name:
            return value


def point_discord_py_at(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    """The three documented overrides (docs/bots.md), nothing else."""
    monkeypatch.setattr(discord.http.Route, "BASE", f"{url}/api/v10")
    ws = yarl.URL(url.replace("http://", "ws://") + "/api/v10/gateway")
    monkeypatch.setattr(discord.gateway.DiscordWebSocket, "DEFAULT_GATEWAY", ws)
    monkeypatch.setattr(discord.asset.Asset, "BASE", f"{url}/api/v1")


def make_bot(seen: Seen) -> commands.Bot:
    # As discord.py's documentation writes a bot: intents, a prefix command, a listener.
    intents = discord.Intents.default()
    intents.message_content = True
    bot = commands.Bot(command_prefix="!", intents=intents)

    @bot.event
    async def on_ready() -> None:
        await seen.events.put(("ready", bot.user))

    @bot.event
    async def on_resumed() -> None:
        await seen.events.put(("resumed", None))

    @bot.listen("on_message")
    async def watch(message: discord.Message) -> None:
        seen.messages.append(message)
        await seen.events.put(("message", message))
        if message.content == "hello bot":
            await message.reply("hello, human")
            await message.add_reaction("\N{WAVING HAND SIGN}")

    @bot.command()
    async def ping(ctx: commands.Context[commands.Bot]) -> None:
        await ctx.send("pong")

    @bot.command()
    async def whisper(ctx: commands.Context[commands.Bot]) -> None:
        await ctx.author.send("a secret, just for you")  # opens the DM (Create DM), posts

    @bot.command()
    async def notes(ctx: commands.Context[commands.Bot]) -> None:
        await ctx.send("here", file=discord.File(io.BytesIO(b"some notes\n"), "notes.txt"))

    return bot


@contextlib.asynccontextmanager
async def running(bot: commands.Bot, token: str) -> AsyncIterator[asyncio.Task[None]]:
    task = asyncio.create_task(bot.start(token))
    try:
        yield task
    finally:
        await bot.close()
        with contextlib.suppress(Exception, asyncio.CancelledError):
            await asyncio.wait_for(task, 10)


async def setup_world(api: Api) -> tuple[Account, dict[str, Any], str, str]:
    owner = await api.register("own")
    server = await api.create_server(owner, "Bot lab")
    r = await api.post("/users/@me/bots", owner, json={"username": f"pybot{owner.id[-6:]}"})
    assert r.status_code == 201, r.text
    bot = r.json()
    r = await api.post(
        f"/servers/{server['id']}/members", owner, json={"user_id": bot["user"]["id"]}
    )
    assert r.status_code == 201, r.text
    return owner, server, bot["user"]["id"], bot["token"]


async def test_discord_py_bot_runs_unmodified(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    owner, server, bot_id, token = await setup_world(api)
    channel_id = server["channels"][0]["id"]
    point_discord_py_at(monkeypatch, api.server.url)
    seen = Seen()
    bot = make_bot(seen)
    watcher = await GatewayClient.identify(api.server.ws_url, owner.token)
    try:
        async with running(bot, token) as task:
            me = await next_event(seen, "ready", timeout=20)
            assert str(me.id) == bot_id and me.bot
            guild = bot.get_guild(int(server["id"]))
            assert guild is not None and guild.name == "Bot lab"
            assert [c.name for c in guild.text_channels] == ["general"]
            assert guild.owner_id == int(owner.id)

            # A person posts over our own API: the bot's on_message sees it, content included,
            # and answers with message.reply() and a reaction; our own gateway sees both.
            hello = await api.send(owner, channel_id, "hello bot")
            message = await next_event(seen, "message")
            assert message.content == "hello bot"
            assert str(message.author.id) == owner.id and not message.author.bot
            assert message.guild is not None and message.guild.id == int(server["id"])
            reply = await watcher.wait_for("MESSAGE_CREATE", timeout=10, content="hello, human")
            assert reply["author"]["id"] == bot_id
            assert reply["message_reference"]["message_id"] == hello["id"]
            assert reply["referenced_message"]["content"] == "hello bot"
            reaction = await watcher.wait_for("MESSAGE_REACTION_ADD", timeout=10)
            assert reaction["message_id"] == hello["id"] and reaction["user_id"] == bot_id
            assert reaction["emoji"] == "\N{WAVING HAND SIGN}"
            # and the bot's own cache sees them as discord.py's objects
            answered = await next_event(seen, "message")
            assert answered.content == "hello, human" and answered.reference is not None
            assert answered.reference.message_id == int(hello["id"])

            # A prefix command: !ping -> pong, posted by the bot; our own gateway sees it.
            await api.send(owner, channel_id, "!ping")
            pong = await watcher.wait_for("MESSAGE_CREATE", timeout=10, content="pong")
            assert pong["author"]["id"] == bot_id and pong["author"]["bot"] is True

            # A file, as discord.py sends one (multipart: payload_json + files[0]).
            await api.send(owner, channel_id, "!notes")
            notes = await watcher.wait_for("MESSAGE_CREATE", timeout=10, content="here")
            assert [a["filename"] for a in notes["attachments"]] == ["notes.txt"]
            assert notes["attachments"][0]["size"] == len(b"some notes\n")

            # user.send(): discord.py opens the DM and posts in it; the person hears it there.
            await api.send(owner, channel_id, "!whisper")
            secret = await watcher.wait_for(
                "MESSAGE_CREATE", timeout=10, content="a secret, just for you"
            )
            assert secret["server_id"] is None and secret["author"]["id"] == bot_id
            dms = (await api.get("/users/@me/channels", owner)).json()
            assert [d["id"] for d in dms] == [secret["channel_id"]]
            # and the person's answer in the DM reaches the bot as a DM message
            await api.send(owner, secret["channel_id"], "thanks, bot")
            answer = await next_event(seen, "message")
            while answer.content != "thanks, bot":
                answer = await next_event(seen, "message")
            assert answer.guild is None and isinstance(answer.channel, discord.DMChannel)

            # The bot's socket drops: discord.py resumes; nothing is lost.
            await bot.ws.socket.close(code=4000)
            await next_event(seen, "resumed", timeout=20)
            await api.send(owner, channel_id, "after the resume")
            while (await next_event(seen, "message")).content != "after the resume":
                pass
            assert not task.done()
    finally:
        await watcher.close()

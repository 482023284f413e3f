"""A Discord v10-compatible facade: a second driving adapter over the same core, so bots
written for Discord's API (discord.py, discord.js) run against Concord unmodified.

It translates shapes and names only: every request calls the same use case as /api/v1, and
every gateway dispatch is a v1 event re-shaped for the bot (docs/bots.md says what maps to
what and what is not supported).
"""

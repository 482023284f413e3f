"""Entrypoints: settings, the composition root, the Litestar app (REST + gateway) and the CLI."""

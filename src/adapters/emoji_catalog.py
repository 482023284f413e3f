"""Unicode's emoji data through the `emoji` package (it tracks each Unicode emoji release):
the core's `EmojiCatalog`."""

from __future__ import annotations

import emoji


class UnicodeEmojiCatalog:
    """Accepts exactly one emoji of Unicode's list (flags, keycaps, skin tones, ZWJ
    sequences included) and answers its fully-qualified form, so "❤" and "❤️" are one
    reaction. A skin-tone or hair component alone is not a reaction."""

    def __init__(self) -> None:
        data = emoji.EMOJI_DATA
        fully = emoji.STATUS["fully_qualified"]
        by_name = {
            entry["en"]: text for text, entry in data.items() if entry.get("status") == fully
        }
        self._canonical: dict[str, str] = {}
        for text, entry in data.items():
            status = entry.get("status")
            if status == fully:
                self._canonical[text] = text
            elif status != emoji.STATUS["component"] and entry.get("en") in by_name:
                self._canonical[text] = by_name[entry["en"]]

    def canonical(self, text: str) -> str | None:
        return self._canonical.get(text)

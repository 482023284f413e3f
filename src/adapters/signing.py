"""HMAC signatures keyed by the server secret (the core's `Signer` port: signed file URLs)."""

from __future__ import annotations

import hashlib
import hmac
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from discord_core.ports import Signer

SIGNATURE_BYTES: Final = 16
"""128 bits of HMAC-SHA256: far beyond guessing, and short enough for a URL."""


class HmacSigner:
    def __init__(self, secret: str, purpose: str = "concord file urls") -> None:
        # A key of its own for this purpose, so a signature here is never a valid token MAC.
        self._key = hmac.new(secret.encode(), purpose.encode(), hashlib.sha256).digest()

    def sign(self, message: str) -> str:
        digest = hmac.new(self._key, message.encode(), hashlib.sha256).digest()
        return digest[:SIGNATURE_BYTES].hex()

    def verify(self, message: str, signature: str) -> bool:
        if not signature.isascii():  # compare_digest takes ASCII text only
            return False
        return hmac.compare_digest(self.sign(message), signature)


if TYPE_CHECKING:
    _check: type[Signer] = HmacSigner

"""URL paths the REST API, the gateway and the file links share."""

from __future__ import annotations

from typing import Final

API_PREFIX: Final = "/api/v1"

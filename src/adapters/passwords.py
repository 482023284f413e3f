"""The CommonPasswords port over zxcvbn's list of the 30,000 most common passwords.

zxcvbn (Dropbox's password strength estimator, maintained on PyPI as `zxcvbn`) ships the list,
ranked by frequency, from leaked password sets. Only the list is used, not the estimator. The
first instance imports it (about 30 ms); each instance holds it as a set (about 2 MB).
"""

from __future__ import annotations

from collections.abc import Iterable


def zxcvbn_passwords() -> list[str]:
    """zxcvbn's list, most common first (all lower case)."""
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return list(FREQUENCY_LISTS["passwords"])


def _fold(password: str) -> str:
    """Case-insensitive, and surrounding white space does not make a password new."""
    return password.strip().casefold()


class CommonPasswordList:
    def __init__(self, passwords: Iterable[str] | None = None) -> None:
        """`passwords` replaces zxcvbn's list; None means zxcvbn's."""
        source = zxcvbn_passwords() if passwords is None else passwords
        self._words = frozenset(_fold(p) for p in source)

    def __len__(self) -> int:
        return len(self._words)

    def is_common(self, password: str) -> bool:
        return _fold(password) in self._words

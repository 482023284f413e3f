"""Domain limits (Discord's where they apply) and the validators that enforce them.

Every validator returns the normalised value or raises ValidationFailed naming the field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from .errors import ValidationFailed

USERNAME_MIN: Final = 2
USERNAME_MAX: Final = 32
PASSWORD_MIN: Final = 8
PASSWORD_MAX: Final = 128
EMAIL_MAX: Final = 254
SERVER_NAME_MAX: Final = 100
SERVER_DESCRIPTION_MAX: Final = 1000
CHANNEL_NAME_MAX: Final = 100
CHANNEL_TOPIC_MAX: Final = 1024
MESSAGE_MAX: Final = 2000
NONCE_MAX: Final = 25
PAGE_LIMIT_DEFAULT: Final = 50
PAGE_LIMIT_MAX: Final = 100
MEMBER_PAGE_DEFAULT: Final = 100
MEMBER_PAGE_MAX: Final = 1000
LARGE_SERVER_MEMBERS: Final = 100
"""A server with at least this many members is large: its members' presence reaches only the
sessions that subscribed to the part of its member list they show (gateway op 14), and READY
leaves it out (Discord's `large_threshold`)."""
MEMBER_LIST_DEFAULT: Final = 100
MEMBER_LIST_MAX: Final = 200
"""Members one member-list subscription (gateway op 14) may cover."""
SERVERS_PER_USER_MAX: Final = 100
BOTS_PER_USER_MAX: Final = 25
CHANNELS_PER_SERVER_MAX: Final = 500
INVITE_MAX_AGE_MAX: Final = 7 * 24 * 3600
INVITE_MAX_USES_MAX: Final = 100
INVITES_PER_SERVER_MAX: Final = 1000
SNOWFLAKE_MAX: Final = 2**63 - 1
AUDIT_REASON_MAX: Final = 512
BAN_DELETE_SECONDS_MAX: Final = 7 * 24 * 3600
TIMEOUT_MAX_SECONDS: Final = 28 * 24 * 3600
BAN_PAGE_DEFAULT: Final = 1000
BAN_PAGE_MAX: Final = 1000
AUDIT_PAGE_DEFAULT: Final = 50
AUDIT_PAGE_MAX: Final = 100
MIB: Final = 1024 * 1024
FILENAME_MAX_BYTES: Final = 255
REACTIONS_PER_MESSAGE_MAX: Final = 20
GROUP_DM_MAX_RECIPIENTS: Final = 10
"""A group DM's people, its creator included (Discord's limit)."""
GROUP_DM_NAME_MAX: Final = 100
BLOCKS_PER_USER_MAX: Final = 1000
"""Distinct emoji on one message (Discord's limit)."""
PINS_PER_CHANNEL_MAX: Final = 50
EMOJI_MAX: Final = 32
"""Characters of one emoji as sent (the longest RGI sequences, families and flags with tags,
are under 16 code points)."""
REACTORS_PAGE_DEFAULT: Final = 25
REACTORS_PAGE_MAX: Final = 100
"""A sanitised attachment filename's length in UTF-8 bytes (what file systems allow)."""


@dataclass(frozen=True, slots=True)
class FileLimits:
    """Upload limits. The defaults are Discord's; operators change them in the settings."""

    max_file_bytes: int = 25 * MIB
    max_files: int = 10
    """Files per message."""
    max_request_bytes: int = 50 * MIB
    """All files of one message together."""
    image_max_pixels: int = 40_000_000
    """Width x height beyond which an image is refused before it is decoded (a decompression
    bomb: a few KiB of PNG can claim 100,000 x 100,000 pixels)."""
    avatar_max_bytes: int = 4 * MIB
    """An avatar or server icon image, before it is resized (at most AVATAR_MAX_BYTES_CAP)."""


AVATAR_MAX_BYTES_CAP: Final = 8 * MIB
"""The largest avatar_max_bytes an operator may set: the JSON body carrying the image as a
data URL (4/3 of its size) must stay within a fixed per-route cap."""
PICTURE_BODY_MAX: Final = AVATAR_MAX_BYTES_CAP * 4 // 3 + 64 * 1024
"""The body cap of the routes that take an avatar or icon (PATCH /users/@me, /servers/{id})."""


_USERNAME_RE: Final = re.compile(r"^[a-z0-9_.]+$")
_EMAIL_RE: Final = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


# Unicode categories Cc (C0, DEL, C1 controls) and Cs (surrogates) as ranges: one regex
# scan instead of a unicodedata lookup per character (a 2,000-character message).
_CONTROLS: Final = "\x00-\x08\x0b-\x1f\x7f-\x9f"
_LINE_CONTROLS: Final = "\n\t"
_SURROGATES: Final = "\ud800-\udfff"
_FORBIDDEN_SINGLE_LINE: Final = re.compile(f"[{_CONTROLS}{_LINE_CONTROLS}{_SURROGATES}]")
_FORBIDDEN_MULTILINE: Final = re.compile(f"[{_CONTROLS}{_SURROGATES}]")
_LONE_SURROGATE: Final = re.compile(f"[{_SURROGATES}]")


SPACES: Final = (
    " \t\n\r\x0b\x0c\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008"
    "\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
"""What stripping removes: Unicode white space, but not the control characters Python's
str.strip() also counts as space (U+001C-U+001F, U+0085): those stay and are refused."""


def strip(value: str) -> str:
    """Strings are stripped of surrounding white space first, then checked."""
    return value.strip(SPACES)


def _has_control_chars(text: str, *, allow_newlines: bool) -> bool:
    """Control characters (NUL included) and lone surrogates, which no database stores."""
    forbidden = _FORBIDDEN_MULTILINE if allow_newlines else _FORBIDDEN_SINGLE_LINE
    return forbidden.search(text) is not None


def has_control_chars(text: str) -> bool:
    """True for text no username, email or name can hold (controls, lone surrogates)."""
    return _has_control_chars(text, allow_newlines=False)


def has_lone_surrogates(text: str) -> bool:
    """True for text that cannot be encoded as UTF-8 (so no hasher or database takes it)."""
    return _LONE_SURROGATE.search(text) is not None


def _text(value: str, field: str, *, min_len: int, max_len: int, multiline: bool = False) -> str:
    """Strip, then check length and reject control characters (NUL included)."""
    value = strip(value)
    if len(value) < min_len:
        if min_len == 1:
            raise ValidationFailed(f"{field} must not be empty.", field=field)
        raise ValidationFailed(f"{field} must be at least {min_len} characters.", field=field)
    if len(value) > max_len:
        raise ValidationFailed(f"{field} must be at most {max_len} characters.", field=field)
    if _has_control_chars(value, allow_newlines=multiline):
        raise ValidationFailed(f"{field} must not contain control characters.", field=field)
    return value


def username(value: str) -> str:
    """2-32 of a-z, 0-9, '_' and '.'; upper case is folded to lower case."""
    value = strip(value).lower()
    _text(value, "username", min_len=USERNAME_MIN, max_len=USERNAME_MAX)
    if not _USERNAME_RE.match(value):
        raise ValidationFailed(
            "username may contain only letters, digits, '_' and '.'.", field="username"
        )
    if ".." in value:
        raise ValidationFailed("username must not contain '..'.", field="username")
    if value.startswith("deleted_"):  # model.DELETED_USERNAME_PREFIX: deleted accounts' names
        raise ValidationFailed("usernames starting with 'deleted_' are reserved.", field="username")
    return value


def email(value: str) -> str:
    value = strip(value).lower()
    if len(value) > EMAIL_MAX or not _EMAIL_RE.match(value):
        raise ValidationFailed("email is not a valid address.", field="email")
    if _has_control_chars(value, allow_newlines=False):
        raise ValidationFailed("email is not a valid address.", field="email")
    return value


def password(value: str) -> str:
    """Not stripped: spaces are part of a password, but not the whole of it."""
    if len(value) < PASSWORD_MIN:
        raise ValidationFailed(
            f"password must be at least {PASSWORD_MIN} characters.", field="password"
        )
    if len(value) > PASSWORD_MAX:
        raise ValidationFailed(
            f"password must be at most {PASSWORD_MAX} characters.", field="password"
        )
    if "\x00" in value:
        raise ValidationFailed("password must not contain NUL characters.", field="password")
    if not strip(value):
        raise ValidationFailed("password must not be only white space.", field="password")
    if has_lone_surrogates(value):
        raise ValidationFailed("password must not contain lone surrogates.", field="password")
    return value


def server_name(value: str) -> str:
    return _text(value, "name", min_len=1, max_len=SERVER_NAME_MAX)


def server_description(value: str) -> str:
    return _text(value, "description", min_len=0, max_len=SERVER_DESCRIPTION_MAX, multiline=True)


def channel_name(value: str) -> str:
    return _text(value, "name", min_len=1, max_len=CHANNEL_NAME_MAX)


def group_dm_name(value: str) -> str:
    """A group DM's name: 0-100 characters ("" lets clients name it by its people)."""
    return _text(value, "name", min_len=0, max_len=GROUP_DM_NAME_MAX)


def channel_topic(value: str) -> str:
    return _text(value, "topic", min_len=0, max_len=CHANNEL_TOPIC_MAX, multiline=True)


def message_content(value: str, *, allow_empty: bool = False) -> str:
    """1-2000 characters after stripping; newlines and tabs allowed, other controls not.
    Empty is allowed for a message that carries files (`allow_empty`)."""
    min_len = 0 if allow_empty else 1
    return _text(value, "content", min_len=min_len, max_len=MESSAGE_MAX, multiline=True)


# Characters no file system or Content-Disposition header should see in a name, and the
# bidirectional overrides that make "gpj.exe" display as "exe.jpg".
_FILENAME_RESERVED: Final = re.compile(r'[<>:"|?*]')
_FILENAME_BIDI: Final = re.compile("[\u202a-\u202e\u2066-\u2069\u200e\u200f]")
_WHITESPACE: Final = re.compile(r"\s+")


def attachment_filename(value: str, field: str = "filename") -> str:
    """A client's filename made safe to store, show and serve.

    Refused (400): control characters (NUL included), a `..` path segment, nothing left.
    Sanitised: directories are dropped ("C:\\pics\\a.png" -> "a.png"), reserved characters
    become "_", white space runs become one space, leading and trailing dots and spaces go, and
    the name is cut to 255 UTF-8 bytes keeping its extension.
    """
    if _has_control_chars(value, allow_newlines=False):
        raise ValidationFailed(
            "The filename must not contain control characters.",
            code="invalid_filename",
            field=field,
        )
    segments = value.replace("\\", "/").split("/")
    if any(segment.strip() == ".." for segment in segments):
        raise ValidationFailed(
            "The filename must be a plain name, not a path.", code="invalid_filename", field=field
        )
    name = _FILENAME_BIDI.sub("", segments[-1])
    name = _FILENAME_RESERVED.sub("_", name)
    name = _WHITESPACE.sub(" ", name).strip(" .")
    if not name:
        raise ValidationFailed("The filename is empty.", code="invalid_filename", field=field)
    return _cut_filename(name)


def _cut_filename(name: str) -> str:
    if len(name.encode()) <= FILENAME_MAX_BYTES:
        return name
    stem, dot, extension = name.rpartition(".")
    if not dot or len(extension.encode()) > 16:
        stem, extension = name, ""
    suffix = f".{extension}" if extension else ""
    budget = FILENAME_MAX_BYTES - len(suffix.encode())
    cut = stem.encode()[:budget].decode(errors="ignore").rstrip(" .")
    return (cut or "file") + suffix


def nonce(value: str | None) -> str | None:
    """1-25 characters after stripping (" e1 " is the nonce "e1")."""
    if value is None:
        return None
    value = strip(value)
    if not value or len(value) > NONCE_MAX:
        raise ValidationFailed(f"nonce must be 1-{NONCE_MAX} characters.", field="nonce")
    if _has_control_chars(value, allow_newlines=False):
        raise ValidationFailed("nonce must not contain control characters.", field="nonce")
    return value


def emoji_text(value: str) -> str:
    """The checks an emoji needs before the catalog is asked: 1-32 characters, no control
    characters or white space (the catalog decides whether it is one emoji)."""
    if not value or len(value) > EMOJI_MAX or value != value.strip(SPACES):
        raise ValidationFailed(
            "emoji must be one Unicode emoji.", code="unknown_emoji", field="emoji"
        )
    if _has_control_chars(value, allow_newlines=False) or has_lone_surrogates(value):
        raise ValidationFailed(
            "emoji must be one Unicode emoji.", code="unknown_emoji", field="emoji"
        )
    return value


def page_limit(value: int | None, *, default: int, maximum: int, field: str = "limit") -> int:
    if value is None:
        return default
    if not 1 <= value <= maximum:
        raise ValidationFailed(f"{field} must be between 1 and {maximum}.", field=field)
    return value


def snowflake(value: int, field: str) -> int:
    if not 0 < value <= SNOWFLAKE_MAX:
        raise ValidationFailed(f"{field} is not a valid id.", field=field)
    return value


def invite_max_age(value: int) -> int:
    if not 0 <= value <= INVITE_MAX_AGE_MAX:
        raise ValidationFailed(
            f"max_age must be between 0 (never expires) and {INVITE_MAX_AGE_MAX} seconds.",
            field="max_age",
        )
    return value


def invite_max_uses(value: int) -> int:
    if not 0 <= value <= INVITE_MAX_USES_MAX:
        raise ValidationFailed(
            f"max_uses must be between 0 (unlimited) and {INVITE_MAX_USES_MAX}.",
            field="max_uses",
        )
    return value


def position(value: int) -> int:
    if not 0 <= value <= CHANNELS_PER_SERVER_MAX:
        raise ValidationFailed(
            f"position must be between 0 and {CHANNELS_PER_SERVER_MAX}.", field="position"
        )
    return value


def audit_reason(value: str | None, field: str = "reason") -> str | None:
    """An audit-log reason: up to 512 characters on one line; blank means none."""
    if value is None:
        return None
    value = strip(value)
    if not value:
        return None
    return _text(value, field, min_len=1, max_len=AUDIT_REASON_MAX)


def ban_delete_seconds(value: int) -> int:
    if not 0 <= value <= BAN_DELETE_SECONDS_MAX:
        raise ValidationFailed(
            f"delete_message_seconds must be between 0 and {BAN_DELETE_SECONDS_MAX}.",
            field="delete_message_seconds",
        )
    return value

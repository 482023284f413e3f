"""Use cases: every rule of the product, shared by REST, the gateway and tests."""

from .admin import AdminUseCases, ExportItem, ServerSummary
from .auth import AuthUseCases, Identity, IssuedToken
from .base import Deps
from .blocks import BlockUseCases
from .bots import AddedBot, BotAccount, BotApplication, BotUseCases, IssuedBotToken
from .channels import ChannelUseCases
from .files import FileGrant, FileUseCases, Linker, OpenedFile, SignedLink, Variant
from .gateway import GatewayUseCases, ReadyState
from .invites import InviteUseCases
from .members import MemberUseCases
from .messages import MessageUseCases, Reply
from .moderation import BanResult, ModerationUseCases
from .private_channels import Opened, PrivateChannelUseCases
from .reactions import PinUseCases, ReactionUseCases
from .read_states import NotificationSettings, ReadSnapshot, ReadStateUseCases
from .search import SearchHit, SearchRequest, SearchResults, SearchUseCases
from .servers import ServerUseCases
from .users import UserUseCases

__all__ = [
    "AddedBot",
    "AdminUseCases",
    "AuthUseCases",
    "BanResult",
    "BlockUseCases",
    "BotAccount",
    "BotApplication",
    "BotUseCases",
    "ChannelUseCases",
    "Deps",
    "ExportItem",
    "FileGrant",
    "FileUseCases",
    "GatewayUseCases",
    "Identity",
    "InviteUseCases",
    "IssuedBotToken",
    "IssuedToken",
    "Linker",
    "MemberUseCases",
    "MessageUseCases",
    "ModerationUseCases",
    "NotificationSettings",
    "Opened",
    "OpenedFile",
    "PinUseCases",
    "PrivateChannelUseCases",
    "ReactionUseCases",
    "ReadSnapshot",
    "ReadStateUseCases",
    "ReadyState",
    "Reply",
    "SearchHit",
    "SearchRequest",
    "SearchResults",
    "SearchUseCases",
    "ServerSummary",
    "ServerUseCases",
    "SignedLink",
    "UserUseCases",
    "Variant",
]

"""/auth: register, login, refresh, logout."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, post
from litestar.params import JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_204_NO_CONTENT

from discord_core.usecases import IssuedToken

from ..schemas import LoginIn, LogoutIn, RegisterIn, TokenOut, me_out
from .auth import PUBLIC
from .params import AppContainer, Caller
from .ratelimit import client_ip, enforce


def token_out(issued: IssuedToken) -> TokenOut:
    return TokenOut(
        token=issued.token, expires_at=issued.session.expires_at, user=me_out(issued.user)
    )


class AuthController(Controller):
    path = "/auth"
    tags = ["auth"]

    @post("/register", status_code=HTTP_201_CREATED, opt={PUBLIC: True}, security=[])
    async def register(
        self, request: Request[Any, Any, Any], container: AppContainer, data: JSONBody[RegisterIn]
    ) -> TokenOut:
        """Create an account and sign in. Rate-limited per IP."""
        await enforce(container, f"register:{client_ip(request)}", "register_per_ip", request)
        issued = await container.auth.register(data.username, data.email, data.password)
        return token_out(issued)

    @post("/login", status_code=HTTP_200_OK, opt={PUBLIC: True}, security=[])
    async def login(
        self, request: Request[Any, Any, Any], container: AppContainer, data: JSONBody[LoginIn]
    ) -> TokenOut:
        """Sign in with username or email. Rate-limited per IP and per account."""
        await enforce(container, f"login-ip:{client_ip(request)}", "login_per_ip", request)
        account = data.login.strip().lower()
        await enforce(container, f"login-account:{account}", "login_per_account", request)
        return token_out(await container.auth.login(data.login, data.password))

    @post("/refresh", status_code=HTTP_200_OK)
    async def refresh(self, container: AppContainer, identity: Caller) -> TokenOut:
        """A token for the same session with a later expiry."""
        return token_out(await container.auth.refresh(identity))

    @post("/logout", status_code=HTTP_204_NO_CONTENT)
    async def logout(
        self, container: AppContainer, identity: Caller, data: JSONBody[LogoutIn | None] = None
    ) -> None:
        """Revoke this token (or, with everywhere, all of yours); their sockets close."""
        everywhere = data.everywhere if data is not None else False
        await container.auth.logout(identity, everywhere=everywhere)

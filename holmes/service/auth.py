"""Bearer or basic authentication, the two schemes Alertmanager's `http_config` can send."""

from __future__ import annotations

import base64
import binascii
import hmac
from dataclasses import dataclass

from holmes.config import ServiceSettings


@dataclass(frozen=True)
class Authenticator:
    """Accepts a request when it carries the configured token or user/password; open when neither is set."""

    bearer_token: str | None = None
    basic_username: str | None = None
    basic_password: str | None = None

    @classmethod
    def from_settings(cls, service: ServiceSettings) -> Authenticator:
        token = service.bearer_token.get_secret_value() if service.bearer_token else None
        password = service.basic_password.get_secret_value() if service.basic_password else None
        return cls(bearer_token=token or None, basic_username=service.basic_username or None,
                   basic_password=password)

    @property
    def configured(self) -> bool:
        return bool(self.bearer_token or self.basic_username)

    @property
    def challenge(self) -> str:
        """The WWW-Authenticate header value for a 401."""
        return "Bearer" if self.bearer_token and not self.basic_username else 'Basic realm="holmes"'

    def allows(self, authorization: str | None) -> bool:
        if not self.configured:
            return True
        if not authorization:
            return False
        scheme, _, credentials = authorization.strip().partition(" ")
        scheme = scheme.lower()
        if scheme == "bearer" and self.bearer_token:
            return _same(credentials.strip(), self.bearer_token)
        if scheme == "basic" and self.basic_username:
            return self._basic_allows(credentials.strip())
        return False

    def _basic_allows(self, encoded: str) -> bool:
        try:
            decoded = base64.b64decode(encoded, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return False
        username, sep, password = decoded.partition(":")
        if not sep:
            return False
        user_ok = _same(username, self.basic_username or "")
        password_ok = _same(password, self.basic_password or "")
        return user_ok and password_ok


def _same(given: str, expected: str) -> bool:
    """Constant-time comparison, so a token cannot be guessed byte by byte from response times."""
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))

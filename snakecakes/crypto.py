"""Encryption at rest for the secrets we keep in the database (access tokens, app secrets).

A Fernet key is derived from SNAKECAKES_SECRET_KEY, so operators can use any long random string.
Losing or changing the key makes the stored secrets unreadable; the default bot's secrets are
re-written from the environment at every start, so a one-number shop recovers by itself.
"""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken


class SecretBoxError(Exception):
    """A stored secret cannot be decrypted (wrong SNAKECAKES_SECRET_KEY?)."""


class SecretBox:
    def __init__(self, secret_key: str) -> None:
        digest = hashlib.sha256(b"snakecakes-secret-box:" + secret_key.encode()).digest()
        self._fernet = Fernet(base64.urlsafe_b64encode(digest))

    def __repr__(self) -> str:
        return "SecretBox(<key hidden>)"

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken:
            raise SecretBoxError(
                "a stored secret cannot be decrypted: SNAKECAKES_SECRET_KEY differs from the key "
                "it was encrypted with"
            ) from None

    def decrypt_or_none(self, token: str) -> str | None:
        try:
            return self.decrypt(token)
        except SecretBoxError:
            return None

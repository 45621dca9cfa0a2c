"""Field encryption and blind indexes behind one interface, so SM4/SM3 can replace AES/SHA-256 later (SEC-DC-3).

Ciphertext format: ``v1:aesgcm:<key id>:<base64(nonce + ciphertext)>``: the algorithm and key id travel
with every value, so keys can rotate without a data-model change.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from functools import lru_cache

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings


@lru_cache(maxsize=16)
def _key(kid: str) -> bytes:
    raw = settings.FIELD_ENCRYPTION_KEYS[kid]
    # Keys are configured as text; derive exactly 32 bytes so any strong secret works.
    return hashlib.sha256(raw.encode()).digest()


def encrypt_field(plaintext: str | None) -> str:
    if plaintext in (None, ""):
        return ""
    kid = settings.FIELD_ENCRYPTION_ACTIVE_KEY
    nonce = os.urandom(12)
    ct = AESGCM(_key(kid)).encrypt(nonce, plaintext.encode(), kid.encode())
    return f"v1:aesgcm:{kid}:{base64.b64encode(nonce + ct).decode()}"


def decrypt_field(token: str | None) -> str:
    if not token:
        return ""
    version, alg, kid, payload = token.split(":", 3)
    if version != "v1" or alg != "aesgcm":
        raise ValueError("unknown ciphertext format")
    blob = base64.b64decode(payload)
    return AESGCM(_key(kid)).decrypt(blob[:12], blob[12:], kid.encode()).decode()


@lru_cache(maxsize=1)
def _index_key() -> bytes:
    return settings.BLIND_INDEX_KEY.encode()


def blind_index(value: str | None, purpose: str = "id") -> str:
    """HMAC of the normalised value: exact-match lookup and uniqueness without storing plaintext."""
    if not value:
        return ""
    msg = f"{purpose}:{value.strip().upper()}".encode()
    return hmac.new(_index_key(), msg, hashlib.sha256).hexdigest()


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()

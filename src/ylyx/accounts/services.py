"""Second factor (SEC-AUTH-4): TOTP enrolment and verification, recovery codes, reset, API tokens.

django-otp does the one-time-password work: a TOTP device accepts a code only at a time step later than the
last one it accepted (``last_t``, so a code cannot be replayed within its step), and every device throttles
failures exponentially (``OTP_*_THROTTLE_FACTOR``). otp_static stores its tokens as given, so we give it a
keyed digest of each recovery code (``crypto.blind_index``, truncated to the 16 characters its column holds):
the database never holds a usable recovery code.
"""

from __future__ import annotations

import math
import re
import secrets
import time
from base64 import b32encode
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.authtoken.models import Token

from ylyx.audit.services import record
from ylyx.core.crypto import blind_index
from ylyx.core.permissions import requires_second_factor

# What a session still needs: nothing, the 第二步 code, or enrolment first.
OK, VERIFY, ENROL = "ok", "verify", "enrol"

TOTP_NAME = "验证器"
RECOVERY_NAME = "恢复码"
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o or 1/i/l: codes are read off paper
RECOVERY_LENGTH = 12  # 12 characters of 31: about 59 bits each
TOTP_RE = re.compile(r"\d{6}")
RECOVERY_RE = re.compile(f"[{RECOVERY_ALPHABET}]{{{RECOVERY_LENGTH}}}")


@dataclass
class Outcome:
    ok: bool
    method: str  # "totp" or "recovery"
    device: Any = None
    wait_seconds: int = 0  # > 0 when the device is throttled after failures
    recovery_codes: list[str] = field(default_factory=list)
    recovery_left: int | None = None


def has_totp(user: Any) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def session_state(user: Any) -> str:
    """OK when the session is verified or needs no second factor; VERIFY with a device; ENROL if required."""
    if not user.is_authenticated:
        return OK
    is_verified = getattr(user, "is_verified", None)  # installed by OTPMiddleware; absent on token users
    if is_verified is not None and is_verified():
        return OK
    if has_totp(user):
        return VERIFY
    if requires_second_factor(user.role):
        return ENROL
    return OK


def totp_secret(device: TOTPDevice) -> str:
    """The key as authenticator apps take it by hand (RFC 4648 base32)."""
    return b32encode(device.bin_key).decode()


def totp_code(device: TOTPDevice, *, at: float | None = None) -> str:
    """The code an authenticator with a correct clock shows at ``at`` (now by default)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, 0)
    totp.time = time.time() if at is None else at
    return f"{totp.token():0{device.digits}d}"


def _normalise(code: str) -> str:
    return "".join(code.split()).replace("-", "").lower()


def _recovery_digest(code: str) -> str:
    return blind_index(code, purpose="otp-recovery")[:16]


def _wait_seconds(device: Any) -> int:
    allowed, info = device.verify_is_allowed()
    if allowed:
        return 0
    left = (info["locked_until"] - timezone.now()).total_seconds() if info and "locked_until" in info else 1
    return max(1, math.ceil(left))


def totp_enrolment_device(*, user: Any) -> TOTPDevice:
    """The device being enrolled: kept unconfirmed until a code proves the app has it, so reloads show one key."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()
    return device or TOTPDevice.objects.create(user=user, name=TOTP_NAME, confirmed=False)


def totp_enrolment_confirm(*, user: Any, device: TOTPDevice, code: str) -> Outcome:
    """Confirm the new device with a code; it replaces any earlier device and comes with new recovery codes."""
    text = _normalise(code)
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().get(pk=device.pk, user=user, confirmed=False)
        wait = _wait_seconds(device)
        if wait:
            record(user, "otp_enrol", user, outcome="failure", detail={"reason": "throttled"})
            return Outcome(False, "totp", wait_seconds=wait)
        if TOTP_RE.fullmatch(text) and device.verify_token(text):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
            codes = recovery_codes_replace(user=user)
            record(user, "otp_enrol", user, detail={"device": device.persistent_id, "recovery_codes": len(codes)})
            return Outcome(True, "totp", device, recovery_codes=codes)
        if not TOTP_RE.fullmatch(text):
            device.throttle_increment()
        record(user, "otp_enrol", user, outcome="failure", detail={"reason": "wrong_code"})
    return Outcome(False, "totp")


def recovery_codes_replace(*, user: Any) -> list[str]:
    """New one-time recovery codes (the old ones stop working); returned once, stored only as digests."""
    raw = ["".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_LENGTH))
           for _ in range(settings.OTP_RECOVERY_CODE_COUNT)]
    with transaction.atomic():
        StaticDevice.objects.filter(user=user).delete()
        device = StaticDevice.objects.create(user=user, name=RECOVERY_NAME, confirmed=True)
        StaticToken.objects.bulk_create([StaticToken(device=device, token=_recovery_digest(c)) for c in raw])
    return ["-".join(c[i:i + 4] for i in range(0, RECOVERY_LENGTH, 4)) for c in raw]


def recovery_codes_left(*, user: Any) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def second_factor_verify(*, user: Any, code: str) -> Outcome:
    """Check a 6-digit TOTP code or a recovery code against the user's own device, audited either way.

    The caller marks the session verified (``django_otp.login``) when the outcome is ok.
    """
    text = _normalise(code)
    method = "totp" if TOTP_RE.fullmatch(text) else "recovery"
    model = TOTPDevice if method == "totp" else StaticDevice
    with transaction.atomic():
        device = model.objects.select_for_update().filter(user=user, confirmed=True).order_by("pk").first()
        if device is None:
            record(user, "otp_verify", user, outcome="failure", detail={"method": method, "reason": "no_device"})
            return Outcome(False, method)
        wait = _wait_seconds(device)
        if wait:
            record(user, "otp_verify", user, outcome="failure", detail={"method": method, "reason": "throttled"})
            return Outcome(False, method, wait_seconds=wait)
        if method == "totp":
            ok = device.verify_token(text)
        else:  # a malformed code still counts as a failed attempt
            ok = device.verify_token(_recovery_digest(text) if RECOVERY_RE.fullmatch(text) else "-")
        if not ok:
            record(user, "otp_verify", user, outcome="failure", detail={"method": method, "reason": "wrong_code"})
            return Outcome(False, method)
        record(user, "otp_verify", user, detail={"method": method, "device": device.persistent_id})
        left = None
        if method == "recovery":
            left = device.token_set.count()
            record(user, "otp_recovery_used", user, detail={"remaining": left})
    return Outcome(True, method, device, recovery_left=left)


def second_factor_reset(*, actor: Any, user: Any, reason: str) -> dict[str, int]:
    """Remove the user's devices, recovery codes and API tokens; a required role must enrol again at next login.

    API tokens go too: a token was issued on the strength of the old second factor.
    """
    with transaction.atomic():
        totp = TOTPDevice.objects.filter(user=user).delete()[0]
        static = StaticDevice.objects.filter(user=user).count()
        StaticDevice.objects.filter(user=user).delete()
        tokens = Token.objects.filter(user=user).delete()[0]
        removed = {"totp_devices": totp, "recovery_devices": static, "api_tokens": tokens}
        record(actor, "otp_reset", user, reason=reason, detail=removed)
    return removed


def api_token_issue(*, user: Any) -> Token:
    """A new API token (any earlier one stops working). Callers check the session passed the second factor."""
    with transaction.atomic():
        Token.objects.filter(user=user).delete()
        token = Token.objects.create(user=user)
        record(user, "api_token_issue", user)
    return token


def api_token_revoke(*, user: Any) -> bool:
    with transaction.atomic():
        deleted = Token.objects.filter(user=user).delete()[0] > 0
        if deleted:
            record(user, "api_token_revoke", user)
    return deleted


def demo_totp_device(*, user: Any) -> TOTPDevice:
    """A confirmed device for a demo login (its key is printed with the password; demo builds only)."""
    TOTPDevice.objects.filter(user=user).delete()
    return TOTPDevice.objects.create(user=user, name=TOTP_NAME, confirmed=True)

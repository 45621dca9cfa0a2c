"""API token authentication with the second-factor rule (SEC-AUTH-4).

A token is a separate credential: a random key issued from 「我的账号」, and only to a session that has passed
the second factor, so it stands for password + TOTP at issue time. For a role in ``OTP_REQUIRED_ROLES`` it is
refused while the user has no confirmed TOTP device (a token created before enrolment, or after a reset).
"""

from __future__ import annotations

from rest_framework import authentication, exceptions

from ylyx.core.permissions import requires_second_factor

from .services import has_totp


class TokenAuthentication(authentication.TokenAuthentication):
    def authenticate_credentials(self, key):
        user, token = super().authenticate_credentials(key)
        if requires_second_factor(user.role) and not has_totp(user):
            raise exceptions.AuthenticationFailed("该账号须先启用双因素认证（绑定验证器）后才能使用 API 令牌")
        return user, token

"""Masking conventions (security.md PI-5a). Everything shown on a screen or export goes through here."""

from __future__ import annotations


def mask_id_number(value: str | None) -> str:
    """First 3 and last 4 characters: hides the birth date, the most sensitive part."""
    if not value:
        return ""
    if len(value) <= 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_phone(value: str | None) -> str:
    if not value:
        return ""
    if len(value) < 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_name(value: str | None) -> str:
    """Keep the surname; compound surnames (欧阳) keep two characters when the name is four long."""
    if not value:
        return ""
    keep = 2 if len(value) >= 4 else 1
    return value[:keep] + "*" * (len(value) - keep)


def mask_address(value: str | None, keep: int = 9) -> str:
    """Down to the town or street; house numbers hidden."""
    if not value:
        return ""
    return value[:keep] + ("***" if len(value) > keep else "")


def mask_account(value: str | None) -> str:
    if not value:
        return ""
    return "*" * max(len(value) - 4, 0) + value[-4:]

"""Shared refusals: one question every module asks before it grants something to an institution or a person.

“May this institution file, be paid a subsidy, be listed as 普惠?” is answered by whoever knows a reason to
say no (credit and the black list today, other sanctions later). Each such module registers a gate in its
``AppConfig.ready``; a module that grants asks :func:`refusals` and never imports the modules that refuse,
so the dependency points from the sanctioning module to the registry and not back.

Purposes in use: ``new_filing``, ``subsidy``, ``affordable_status`` (普惠), ``rating``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Gate = Callable[[str, Any], list[str]]
_gates: dict[str, Gate] = {}


def register(name: str, gate: Gate) -> None:
    """``gate(purpose, subject)`` returns the Chinese reasons to refuse, or an empty list."""
    _gates[name] = gate


def refusals(purpose: str, subject: Any) -> list[str]:
    """Every registered gate's reasons; a gate that fails closes (its failure is a reason, not a pass)."""
    reasons: list[str] = []
    for name, gate in _gates.items():
        try:
            reasons.extend(gate(purpose, subject))
        except Exception as e:  # noqa: BLE001 - a broken check must refuse, not wave through
            reasons.append(f"无法完成{name}核查（{type(e).__name__}），请稍后再试或联系管理员")
    return reasons

"""Shared checks one module asks before acting, answered by modules it does not know: "may X do Y?".

The credit module (supervision) registers a gate in its ``AppConfig.ready``; the filing service asks
``refusals("new_filing", institution)`` and the subsidy module will ask ``refusals("subsidy", subject)``,
without importing supervision (dependencies point from supervision to institutions, never back). A gate
returns the Chinese reasons it refuses, an empty list when it has none.

Unlike the to-do list (core/todo.py), a gate that fails is not skipped: the check it stands for would
silently pass. It refuses instead, with a reason saying the check could not be made, and logs the error
(fail closed: a black-listed institution must never get a subsidy because of a bug).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

# What a gate may be asked about; a gate ignores purposes it has no rule for.
PURPOSES = {
    "new_filing": "新办备案",
    "subsidy": "申请补贴",
    "affordable": "普惠认定（普惠托位、普惠托育机构）",
}

Gate = Callable[[str, Any], list[str]]
_gates: dict[str, Gate] = {}


def register(name: str, gate: Gate) -> None:
    """Called from an app's ``ready()``; registering the same name again replaces it (reloads, tests)."""
    _gates[name] = gate


def gates() -> dict[str, Gate]:
    return dict(_gates)


def refusals(purpose: str, subject: Any) -> list[str]:
    """Every registered gate's reasons to refuse ``purpose`` for ``subject``; [] means go ahead."""
    if purpose not in PURPOSES:
        raise ValueError(f"unknown gate purpose: {purpose}")
    out: list[str] = []
    for name, gate in _gates.items():
        try:
            out.extend(gate(purpose, subject))
        except Exception:  # noqa: BLE001 - fail closed, see the module docstring
            log.exception("gate %s failed for %s", name, purpose)
            out.append(f"{PURPOSES[purpose]}前的{name}核查暂时无法完成，请稍后再试或联系系统管理员")
    return out

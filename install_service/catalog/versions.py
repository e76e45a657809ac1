"""Pure rules about workflow versions: which one a user should run, and what moving to it needs.

No database here: these take model objects (or anything shaped like them) and return values,
so the upgrade route, the Installation Manager and the modal's update mode share one answer.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Protocol
from uuid import UUID

from install_service.db.models.catalog import RELEASED

# A configurable field "changes" when a value stored for the old one might not fit the new one;
# its label and help text are presentation only.
FIELD_TRAITS = ("type", "required", "options")
FIELD_DEFAULTS: dict[str, Any] = {"type": "string", "required": True, "options": []}


class VersionInputs(Protocol):
    """What of a version decides what the end user must enter (``WorkflowVersion`` fits)."""

    blocks: list[dict[str, Any]]  # [{"id", "type", "app"?, ...}]
    configurable_fields: list[dict[str, Any]]  # [{"name", "label", "type", "required", "options"?}]


class VersionLike(Protocol):
    version: int
    status: str
    user_id: UUID | None


def apps_of(blocks: Iterable[dict[str, Any]]) -> list[str]:
    """The apps (connector keys) the blocks talk to, in first-seen order."""
    return list(dict.fromkeys(str(b["app"]) for b in blocks if b.get("app")))


def input_changes(old: VersionInputs, new: VersionInputs) -> list[str]:
    """What moving an installed workflow from ``old`` to ``new`` would ask of its end user.

    Empty when the configurable fields are the same (by name, type, required-ness and
    options) and ``new`` talks to no app that ``old`` did not (so no new credential is
    needed). Otherwise one readable line per difference, e.g. ``"new configurable field
    'region'"``, ``"configurable field 'status' removed"``, ``"configurable field 'status'
    changed (options)"``, ``"new app 'shopify' needs a credential"``. Per the Alloy Quick
    Start ("Upgrading Workflows"), only a version with the same configurable fields may be
    upgraded to without the end user.
    """
    before = {f["name"]: f for f in old.configurable_fields}
    after = {f["name"]: f for f in new.configurable_fields}
    changes = [f"new configurable field {name!r}" for name in after if name not in before]
    changes += [f"configurable field {name!r} removed" for name in before if name not in after]
    for name in after.keys() & before.keys():
        differing = [t for t in FIELD_TRAITS if _trait(before[name], t) != _trait(after[name], t)]
        if differing:
            changes.append(f"configurable field {name!r} changed ({', '.join(differing)})")
    known_apps = set(apps_of(old.blocks))
    changes += [
        f"new app {app!r} needs a credential"
        for app in apps_of(new.blocks)
        if app not in known_apps
    ]
    return changes


def fields_to_ask(old: VersionInputs | None, new: VersionInputs) -> list[dict[str, Any]]:
    """The configurable fields of ``new`` that an update to it must ask for: new ones, and
    those whose type, required-ness or options changed since ``old`` (every field of
    ``new`` when there is no ``old``). Used by the modal's update mode."""
    before = {f["name"]: f for f in old.configurable_fields} if old is not None else {}
    return [
        f
        for f in new.configurable_fields
        if f["name"] not in before
        or any(_trait(before[f["name"]], t) != _trait(f, t) for t in FIELD_TRAITS)
    ]


def newest_released(
    versions: Sequence[VersionLike], user_id: UUID | None = None
) -> VersionLike | None:
    """The highest-numbered released version that applies to ``user_id``: an ISV-wide one,
    or one made for that user in the Installation Manager. Other users' user-specific
    versions never count; with ``user_id=None`` only ISV-wide versions do."""
    usable = [
        v
        for v in versions
        if v.status == RELEASED
        and (v.user_id is None or (user_id is not None and v.user_id == user_id))
    ]
    return max(usable, key=lambda v: v.version, default=None)


def _trait(spec: dict[str, Any], trait: str) -> Any:
    value = spec.get(trait, FIELD_DEFAULTS[trait])
    return sorted(value) if trait == "options" else value

"""The options the modal (or the hosted link page) was opened with, carried step to step."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlencode

OPERATIONS = frozenset({"update", "edit"})


@dataclass(frozen=True, slots=True)
class ModalState:
    """``Alloy.install``/``Alloy.update`` options (spec, "The modal"): the integration or
    its workflow ids, pinned version ids, ``operation`` (update, edit), and the display
    flags ``alwaysShowAuthentication``, ``hide`` and ``title``."""

    integration_id: str | None = None
    workflow_ids: list[str] = field(default_factory=list)
    version_ids: list[str] = field(default_factory=list)
    operation: str | None = None
    always_show: bool = False
    hide: bool = False
    title: str | None = None

    @classmethod
    def parse(
        cls,
        integration_id: str | None,
        workflow_ids: list[str] | None,
        operation: str | None,
        always_show: str | None,
        hide: str | None = None,
        title: str | None = None,
        version_ids: list[str] | None = None,
    ) -> ModalState:
        """From query or form values (``"true"`` flags; an unknown operation is ignored)."""
        return cls(
            integration_id=integration_id or None,
            workflow_ids=list(workflow_ids or []),
            version_ids=list(version_ids or []),
            operation=operation if operation in OPERATIONS else None,
            always_show=always_show == "true",
            hide=hide == "true",
            title=title,
        )

    @property
    def reinstall(self) -> bool:
        """Ask for credentials again even when installed (update, edit, alwaysShowAuthentication)."""
        return self.always_show or self.operation is not None

    def query(self) -> str:
        """The options as a query string for the next step's URL."""
        params: list[tuple[str, str]] = []
        if self.integration_id:
            params.append(("integrationId", self.integration_id))
        params += [("id", w) for w in self.workflow_ids]
        params += [("versionId", v) for v in self.version_ids]
        if self.operation:
            params.append(("operation", self.operation))
        if self.always_show:
            params.append(("alwaysShowAuthentication", "true"))
        return urlencode(params)

"""Where a delivery goes: ``workflow.failed`` to the error webhook URL, if there is one."""

from __future__ import annotations

import pytest

from install_service.db.models import Isv
from install_service.webhooks.outbox import INSTALLATION_COMPLETED, WORKFLOW_FAILED, target_url

HOOK = "https://acme.example.com/hooks/install"
ERRORS = "https://acme.example.com/hooks/errors"


@pytest.mark.parametrize(
    ("webhook_url", "error_webhook_url", "event_type", "expected"),
    [
        (HOOK, ERRORS, WORKFLOW_FAILED, ERRORS),
        (HOOK, None, WORKFLOW_FAILED, HOOK),
        (HOOK, ERRORS, INSTALLATION_COMPLETED, HOOK),
        (None, ERRORS, INSTALLATION_COMPLETED, None),
        (None, ERRORS, WORKFLOW_FAILED, ERRORS),
        (None, None, WORKFLOW_FAILED, None),
    ],
    ids=["error-url", "no-error-url", "other-event", "other-event-no-url", "only-error", "none"],
)
def test_target_url(
    webhook_url: str | None, error_webhook_url: str | None, event_type: str, expected: str | None
) -> None:
    isv = Isv(name="Acme", webhook_url=webhook_url, error_webhook_url=error_webhook_url)
    assert target_url(isv, event_type) == expected

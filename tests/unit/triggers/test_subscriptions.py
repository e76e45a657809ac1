"""Which app scope a workflow version's trigger subscribes to."""

from __future__ import annotations

import pytest

from install_service.triggers.subscriptions import trigger_scope


@pytest.mark.parametrize(
    ("event", "scope"),
    [
        ("order created", "store/order/created"),
        ("Order Updated", "store/order/updated"),
        ("  order status updated ", "store/order/statusUpdated"),
    ],
)
def test_a_bigcommerce_trigger_names_its_scope(event: str, scope: str) -> None:
    blocks = [{"id": "t", "type": "appTrigger", "app": "bigcommerce", "event": event}]
    assert trigger_scope(blocks) == ("bigcommerce", scope)


@pytest.mark.parametrize(
    "blocks",
    [
        [],
        [{"id": "t", "type": "customEvent", "event": "order created"}],
        [{"id": "t", "type": "appTrigger", "app": "bigcommerce", "event": "order deleted"}],
        [{"id": "t", "type": "appTrigger", "app": "shopify", "event": "order created"}],
    ],
)
def test_other_triggers_subscribe_to_nothing(blocks: list[dict]) -> None:
    assert trigger_scope(blocks) is None

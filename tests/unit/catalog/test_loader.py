"""The catalogue YAML: the Quick Start example parses, mistakes are named, loading is idempotent."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select

from install_service.catalog.loader import load_catalog, load_catalog_file, parse_catalog
from install_service.db.config import migrate, sqlalchemy_config
from install_service.db.models import Integration, Workflow, WorkflowVersion
from install_service.errors import InvalidInput
from install_service.isvs.services import create_isv
from install_service.settings import PROJECT_ROOT

EXAMPLE = PROJECT_ROOT / "examples" / "acme-bigcommerce.yaml"
ORDER_CREATED = "When a new order is created in BigCommerce, create a new record in AcmeCo"
FULFILLMENT_UPDATED = (
    "When a fulfillment status is updated in AcmeCo, update the order status in BigCommerce"
)


def _example() -> dict:
    return yaml.safe_load(EXAMPLE.read_text())


def _refused(document: dict | str) -> str:
    text = document if isinstance(document, str) else yaml.safe_dump(document)
    with pytest.raises(InvalidInput) as caught:
        parse_catalog(text, "catalog/acme.yaml")
    assert caught.value.message.startswith("catalog/acme.yaml: ")
    return caught.value.message


@pytest.mark.parametrize("path", sorted((PROJECT_ROOT / "examples").glob("*.yaml")), ids=str)
def test_every_example_catalogue_parses(path: Path) -> None:
    catalog = parse_catalog(path.read_text(), str(path))

    assert catalog.integrations


def test_the_example_is_the_quick_start_integration() -> None:
    catalog = parse_catalog(EXAMPLE.read_text(), str(EXAMPLE))

    (integration,) = catalog.integrations
    assert (integration.key, integration.app, integration.name) == (
        "acme-bigcommerce",
        "bigcommerce",
        "BigCommerce",
    )
    assert [w.name for w in integration.workflows] == [ORDER_CREATED, FULFILLMENT_UPDATED]
    for workflow in integration.workflows:
        assert [(v.version, v.status) for v in workflow.versions] == [(1, "released")]


def test_the_order_workflow_streams_new_orders() -> None:
    order = parse_catalog(EXAMPLE.read_text()).integrations[0].workflows[0]

    blocks = order.versions[0].blocks
    triggers = [b for b in blocks if b["type"] == "appTrigger"]
    assert [(t["app"], t["event"]) for t in triggers] == [("bigcommerce", "order created")]
    assert any(b["type"] == "streamData" and b["name"] == "Stream Data" for b in blocks)


def test_the_fulfillment_workflow_maps_the_custom_event_to_bigcommerce() -> None:
    fulfillment = parse_catalog(EXAMPLE.read_text()).integrations[0].workflows[1]

    event, action = fulfillment.versions[0].blocks
    assert event["type"] == "customEvent"
    assert event["event"] == "Fulfillment Updated"
    assert event["schema"] == {"orderId": "String", "status": "String"}
    assert (action["type"], action["app"], action["action"]) == (
        "appAction",
        "bigcommerce",
        "update order status",
    )
    assert action["mapping"]["orderId"] == "{{ event.orderId }}"
    assert action["mapping"]["status"].startswith('{{ $lookup({"FULFILLED": "Shipped"')


def test_yaml_that_does_not_parse_is_refused() -> None:
    assert _refused("integrations: [\n  - key: acme\n    app: [unclosed")


def test_an_empty_file_is_refused() -> None:
    _refused("")


def test_an_unknown_field_is_refused_by_name() -> None:
    document = _example()
    document["integrations"][0]["colour"] = "red"

    assert "colour" in _refused(document)


def test_a_missing_field_is_refused_by_name() -> None:
    document = _example()
    del document["integrations"][0]["workflows"][0]["name"]

    assert "name" in _refused(document)


def test_an_app_without_a_connector_is_refused() -> None:
    document = _example()
    document["integrations"][0]["app"] = "salesforce"

    message = _refused(document)
    assert "'salesforce'" in message
    assert "bigcommerce" in message  # the known apps are listed


@pytest.mark.parametrize("numbers", [[1, 1], [0]])
def test_duplicate_or_non_positive_version_numbers_are_refused(numbers: list[int]) -> None:
    document = _example()
    workflow = document["integrations"][0]["workflows"][0]
    workflow["versions"] = [{**workflow["versions"][0], "version": n} for n in numbers]

    assert "'order-created'" in _refused(document)


def test_a_workflow_whose_blocks_break_the_grammar_is_refused_with_every_problem() -> None:
    document = _example()
    action = document["integrations"][0]["workflows"][1]["versions"][0]["blocks"][1]
    action["action"] = "ship it"
    action["mapping"]["status"] = "{{ $lookup( }}"

    message = _refused(document)

    assert message.startswith(
        "catalog/acme.yaml: integration 'acme-bigcommerce' workflow 'fulfillment-updated' version 1: "
    )
    assert 'block "update-order-status": unknown action "ship it" for bigcommerce' in message
    assert 'mapping.status: expected ) before end of expression in "{{ $lookup( }}"' in message


def test_blocks_in_the_current_form_are_checked_too() -> None:
    document = _current_form(_example())
    document["integrations"][0]["workflows"][0]["blocks"].reverse()  # the trigger comes last

    message = _refused(document)

    assert "workflow 'order-created': " in message
    assert 'block "stream-data": the first block must be a trigger' in message
    assert (
        'block "bigcommerce-trigger": the appTrigger trigger can only be the first block' in message
    )


async def _count(session, model) -> int:
    return await session.scalar(select(func.count()).select_from(model))


@pytest.fixture
async def db(tmp_path: Path):
    config = sqlalchemy_config(f"sqlite+aiosqlite:///{tmp_path / 'catalog.db'}")
    await asyncio.to_thread(migrate, config)
    async with config.get_session() as session:
        isv = (await create_isv(session, name="AcmeCo", allowed_origins=[], webhook_url=None)).isv
        await session.commit()
    try:
        yield config, isv.id
    finally:
        await config.get_engine().dispose()


async def _load(db, document: dict | Path):
    config, isv_id = db
    async with config.get_session() as session:
        if isinstance(document, Path):
            report = await load_catalog_file(session, document, isv_id)
        else:
            report = await load_catalog(session, parse_catalog(yaml.safe_dump(document)), isv_id)
        await session.commit()
    return report


async def _versions(db, key: str = "order-created") -> list[tuple[int, str]]:
    config, _ = db
    async with config.get_session() as session:
        found = await session.scalars(
            select(WorkflowVersion)
            .join(Workflow)
            .where(Workflow.key == key)
            .order_by(WorkflowVersion.version)
        )
        return [(v.version, v.status) for v in found]


def _current_form(document: dict) -> dict:
    """The example rewritten in the current form: blocks straight on each workflow."""
    for workflow in document["integrations"][0]["workflows"]:
        (only,) = workflow.pop("versions")
        workflow["blocks"] = only["blocks"]
    return document


async def test_loading_twice_changes_nothing(db) -> None:
    first = await _load(db, EXAMPLE)
    second = await _load(db, EXAMPLE)

    config, _ = db
    async with config.get_session() as session:
        counts = [await _count(session, m) for m in (Integration, Workflow, WorkflowVersion)]
    assert (first.workflows_created, first.versions_created) == (2, 2)
    assert (second.workflows_created, second.versions_created) == (0, 0)
    assert second.integration_ids == first.integration_ids
    assert counts == [1, 2, 2]


async def test_the_current_form_loads_the_same_workflows_and_adds_no_version(db) -> None:
    await _load(db, EXAMPLE)

    again = await _load(db, _current_form(_example()))

    assert again.versions_created == 0
    assert await _versions(db) == [(1, "released")]


@pytest.mark.parametrize("form", ["versions", "current"])
async def test_a_changed_workflow_gets_exactly_one_new_released_version(db, form: str) -> None:
    await _load(db, EXAMPLE)
    changed = _example() if form == "versions" else _current_form(_example())
    workflow = changed["integrations"][0]["workflows"][0]
    content = workflow["versions"][0] if form == "versions" else workflow
    content["configurableFields"] = [{"name": "region", "label": "Region"}]

    first = await _load(db, changed)
    again = await _load(db, changed)

    assert (first.versions_created, again.versions_created) == (1, 0)
    assert await _versions(db) == [(1, "released"), (2, "released")]
    assert await _versions(db, "fulfillment-updated") == [(1, "released")]  # unchanged


async def test_status_draft_holds_the_new_version_back_until_loaded_without_it(db) -> None:
    await _load(db, EXAMPLE)
    changed = _current_form(_example())
    workflow = changed["integrations"][0]["workflows"][0]
    workflow["blocks"] = workflow["blocks"][:1]
    workflow["status"] = "draft"

    drafted = await _load(db, changed)
    assert drafted.versions_created == 1
    assert await _versions(db) == [(1, "released"), (2, "draft")]

    del workflow["status"]
    released = await _load(db, changed)
    assert released.versions_created == 0
    assert await _versions(db) == [(1, "released"), (2, "released")]


async def test_going_back_to_earlier_content_publishes_it_as_the_next_version(db) -> None:
    await _load(db, EXAMPLE)
    changed = _current_form(_example())
    changed["integrations"][0]["workflows"][0]["blocks"].pop()
    await _load(db, changed)

    back = await _load(db, _current_form(_example()))

    assert back.versions_created == 1
    assert await _versions(db) == [(1, "released"), (2, "released"), (3, "released")]


def test_a_workflow_with_both_forms_or_neither_is_refused() -> None:
    both = _example()
    workflow = both["integrations"][0]["workflows"][0]
    workflow["blocks"] = workflow["versions"][0]["blocks"]
    neither = _example()
    del neither["integrations"][0]["workflows"][0]["versions"]

    assert "'order-created' needs either blocks or versions" in _refused(both)
    assert "'order-created' needs either blocks or versions" in _refused(neither)

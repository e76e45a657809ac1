"""The apps an end user can connect, described from the connector definitions."""

from __future__ import annotations

from install_service.apps.schemas import AppField, AppListing
from install_service.catalog.app_definitions import load_apps
from install_service.catalog.connectors import App


def list_apps(public_url: str) -> list[AppListing]:
    """Every shipped connector, by key; icons as absolute URLs under ``public_url``."""
    return [describe(app, public_url) for _, app in sorted(load_apps().items())]


def describe(app: App, public_url: str) -> AppListing:
    return AppListing(
        app=app.key,
        name=app.name,
        icon=public_url + app.icon,
        auth_type=app.auth_type,
        fields=[
            AppField(
                name=f.name,
                label=f.label,
                type="string",
                required=f.required,
                secret=f.secret,
                help=f.help,
            )
            for f in app.fields
        ],
    )

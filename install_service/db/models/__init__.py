"""All tables, importable from one place (Alembic reads ``Base.metadata`` through this)."""

from install_service.db.models.catalog import Integration, Workflow, WorkflowVersion
from install_service.db.models.executions import EventReceipt, Execution
from install_service.db.models.installs import Credential, Installation, InstalledWorkflow
from install_service.db.models.keys import DataKey
from install_service.db.models.links import InstallLink
from install_service.db.models.staff import AuditEntry, DashboardSession, StaffAccount
from install_service.db.models.tenants import ApiKey, EndUser, Isv, IsvAllowedOrigin
from install_service.db.models.triggers import HookReceipt, HookSubscription
from install_service.db.models.webhooks import WebhookAttempt, WebhookDelivery

__all__ = (
    "ApiKey",
    "AuditEntry",
    "Credential",
    "DashboardSession",
    "DataKey",
    "EndUser",
    "EventReceipt",
    "Execution",
    "HookReceipt",
    "HookSubscription",
    "InstallLink",
    "Installation",
    "InstalledWorkflow",
    "Integration",
    "Isv",
    "IsvAllowedOrigin",
    "StaffAccount",
    "WebhookAttempt",
    "WebhookDelivery",
    "Workflow",
    "WorkflowVersion",
)

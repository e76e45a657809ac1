"""The service's logs: structlog, through Litestar's ``StructlogPlugin``.

``INSTALL_SERVICE_LOG_FORMAT=json`` (the default of ``install-service serve`` and
``worker``) writes one JSON object per line to stderr::

    {"event": "request", "request_id": "9f1c...", "method": "GET", "route": "/2023-12/users/{user_id}",
     "path": "/2023-12/users/01a2...", "status": 200, "duration_ms": 4.1, "client": "127.0.0.1",
     "api_key": "sha256:1f0c9a2e", "level": "info", "logger": "install_service.access",
     "timestamp": "2026-12-04T05:20:00.000000Z"}

``console`` (the default of ``demo`` and of an app built in-process) writes the same fields
as readable lines. Every line, the standard library's (uvicorn, DBOS, Alembic, ours) and
structlog's alike, carries the context bound for the request or the run: ``request_id``
(``http.access_log``), ``isv_id``, ``workflow_id``, ``execution_id`` (``runtime.runner``).

What must never be logged (tokens, keys, secrets, credential values, query strings) is
kept out where lines are made: see ``http.access_log``. httpx and httpcore stay at
WARNING, because at INFO they log every outgoing URL with its query string.
"""

from __future__ import annotations

import logging
import sys

import structlog
from litestar.logging.config import LoggingConfig, StructLoggingConfig
from litestar.plugins.structlog import StructlogConfig, StructlogPlugin

JSON, CONSOLE = "json", "console"
FORMATS = (JSON, CONSOLE)
QUIETED_LOGGERS = ("httpx", "httpcore")  # they log full outgoing URLs at INFO


def _shared_processors() -> list:
    return [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]


def _renderer(log_format: str):
    if log_format == JSON:
        return structlog.processors.JSONRenderer()
    return structlog.dev.ConsoleRenderer(
        colors=False, exception_formatter=structlog.dev.plain_traceback
    )


def _drop_color_message(_logger: object, _name: str, event: dict) -> dict:
    event.pop("color_message", None)  # uvicorn's copy of the message with ANSI colours
    return event


def structlog_plugin(log_format: str) -> StructlogPlugin:
    """The plugin for ``log_format`` (``json`` or ``console``), with no request-logging
    middleware of its own: ``http.access_log`` logs requests without secrets."""
    renderer = _renderer(log_format)
    # Tracebacks without local variables: a frame's locals can hold a decrypted credential.
    errors = (
        structlog.processors.ExceptionRenderer(
            structlog.tracebacks.ExceptionDictTransformer(show_locals=False)
        )
        if log_format == JSON
        else structlog.processors.format_exc_info
    )
    standard_lib = LoggingConfig(
        formatters={
            "standard": {
                "()": structlog.stdlib.ProcessorFormatter,
                # Runs where the line is logged (QueueHandler formats before enqueueing),
                # so the request's or the run's context variables are there.
                "foreign_pre_chain": [
                    *_shared_processors(),
                    structlog.stdlib.add_logger_name,
                    structlog.stdlib.ExtraAdder(),
                    _drop_color_message,
                ],
                "processors": [
                    structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                    errors,
                    renderer,
                ],
            }
        },
        loggers={
            **{name: {"level": "WARNING", "propagate": True} for name in QUIETED_LOGGERS},
            # uvicorn's own lines (start, stop) through ours; its access log is off (cli).
            "uvicorn": {"level": "INFO", "propagate": True, "handlers": []},
            "uvicorn.error": {"level": "INFO", "propagate": True, "handlers": []},
            # DBOS adds a plain-text handler of its own to a "dbos" logger that has none.
            "dbos": {"level": "WARNING", "propagate": False, "handlers": ["queue_listener"]},
        },
    )
    structured = StructLoggingConfig(
        processors=[*_shared_processors(), errors, renderer],
        logger_factory=structlog.WriteLoggerFactory(file=sys.stderr),
        wrapper_class=structlog.make_filtering_bound_logger(logging.INFO),
        standard_lib_logging_config=standard_lib,
        pretty_print_tty=False,
    )
    return StructlogPlugin(
        StructlogConfig(structlog_logging_config=structured, enable_middleware_logging=False)
    )

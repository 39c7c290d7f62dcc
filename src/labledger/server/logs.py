"""Server log records: with the request id, as text or as one JSON object per line."""

from __future__ import annotations

import json
import logging
import os

from labledger.server.metrics import RequestIdFilter

# how ``labledger server --workers N`` passes its log options to its worker processes
LEVEL_ENV = "LABLEDGER_SERVER_LOG_LEVEL"
FORMAT_ENV = "LABLEDGER_SERVER_LOG_FORMAT"


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        data = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "request_id": getattr(record, "request_id", "-"),
            "message": record.getMessage(),
        }
        if record.exc_info:
            data["exception"] = self.formatException(record.exc_info)
        return json.dumps(data)


def configure(level: str, fmt: str) -> None:
    """Send the ``labledger`` loggers to stderr, each record with its request id."""
    handler = logging.StreamHandler()
    handler.addFilter(RequestIdFilter())
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")
        )
    logger = logging.getLogger("labledger")
    logger.handlers = [handler]
    logger.setLevel(level.upper())
    logger.propagate = False


def configure_from_env() -> None:
    """In a worker process: the options its parent was started with."""
    configure(os.environ.get(LEVEL_ENV, "warning"), os.environ.get(FORMAT_ENV, "text"))

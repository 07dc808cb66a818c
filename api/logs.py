"""Structured logs: one JSON object per line on stderr, quiet (warnings) by default, and never
a token in them, whoever logs (uvicorn logs socket URLs at info and request scopes at trace)."""
import logging
import re
import sys

import orjson

from api import redact

_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "color_message"}
TRACE = 5  # uvicorn's level below debug; logging only knows it once uvicorn has started
LEVELS = ("critical", "error", "warning", "info", "debug", "trace")  # what uvicorn accepts
_SECRET_FIELD = re.compile(r"token|authorization|secret|password", re.IGNORECASE)


class JsonLines(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {"time": round(record.created, 3), "level": record.levelname.lower(),
                "logger": record.name, "message": record.getMessage()}
        line.update({k: v for k, v in vars(record).items() if k not in _STANDARD})
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line["error"] = record.exc_text
        return orjson.dumps(line, default=str).decode()


class Redact(logging.Filter):
    """Masks tokens in a record's message, its extra fields and its error. On the one handler,
    so it sees every record of every logger, and only records that are emitted: the levels
    filter first, and a quiet server pays nothing for what it does not log."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # bad arguments: logging would print them raw to stderr
            message = f"{record.msg} {record.args!r}"
        record.msg, record.args = redact.text(message), None
        for key, value in list(vars(record).items()):
            if key not in _STANDARD:
                setattr(record, key, _field(key, value))
        if record.exc_info and not record.exc_text:
            record.exc_text = _ERRORS.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact.text(record.exc_text)
        return True


_ERRORS = logging.Formatter()


def _field(key: str, value: object) -> object:
    if _SECRET_FIELD.search(key):
        return redact.HIDDEN
    if value is None or isinstance(value, bool | int | float):
        return value
    shown = value if isinstance(value, str) else str(value)
    masked = redact.text(shown)
    return masked if masked != shown or isinstance(value, str) else value


def configure(level: str) -> None:
    """Every logger, uvicorn's included (it is started with log_config=None), goes here."""
    name = level.lower()
    if name not in LEVELS:
        raise ValueError(f"unknown log level {level!r}; use one of: {', '.join(LEVELS)}")
    logging.addLevelName(TRACE, "TRACE")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonLines())
    handler.addFilter(Redact())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(name.upper())

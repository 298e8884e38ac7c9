"""A logging filter that masks secrets that slip into log messages (tokens, keys, passwords)."""

import logging
import re

_PATTERNS = [
    # key=value, "key": "value" (JSON) and 'key': 'value' (a Python dict's repr, as libraries log request data)
    re.compile(r"(?i)([\"']?(?:access_token|refresh_token|client_secret|password|secret|private_key|code|assertion|"
               r"token)[\"']?\s*[:=]\s*[\"']?)([^\s\"'&,}]+)"),
    re.compile(r"(?i)(authorization:\s*(?:bearer|token)\s+)(\S+)"),
    re.compile(r"(?i)(bearer\s+)([A-Za-z0-9\-._~+/]{12,}=*)"),
]


def redact(text: str) -> str:
    for pattern in _PATTERNS:
        text = pattern.sub(lambda m: m.group(1) + "***", text)
    return text


class RedactSecretsFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken format string must not stop logging
            return True
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True

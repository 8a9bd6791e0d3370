"""Where in ``afteraction.toml`` a key is: every config error names ``file:line`` and the field."""

from __future__ import annotations

import re

from afteraction.errors import ConfigError

__all__ = ["fail", "line_of", "nth_services_line"]


def line_of(text: str, section: str | None, key: str | None) -> int | None:
    lines = text.splitlines()
    start = 0
    if section:
        header = re.compile(r"^\s*\[+\s*" + re.escape(section).replace(r"\.", r"\s*\.\s*")
                            + r"\s*\]+")
        start = next((i for i, line in enumerate(lines) if header.match(line)), -1)
        if start < 0:
            return None
    if key is None:
        return start + 1
    pattern = re.compile(r"^\s*" + re.escape(key) + r"\s*=")
    for number in range(start, len(lines)):
        if number > start and lines[number].lstrip().startswith("[") and section:
            break
        if pattern.match(lines[number]):
            return number + 1
    return start + 1 if section else None


def nth_services_line(text: str, position: int) -> int | None:
    headers = [n for n, line in enumerate(text.splitlines(), start=1)
               if re.match(r"^\s*\[\[\s*services\s*\]\]", line)]
    return headers[position] if position < len(headers) else None


def fail(text: str, where: str, section: str | None, key: str | None, message: str) -> ConfigError:
    line = line_of(text, section, key)
    location = f"{where}:{line}" if line else where
    field = ".".join(p for p in (section, key) if p)
    return ConfigError(f"{field}: {message}" if field else message, where=location)


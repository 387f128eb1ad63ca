"""The APIs' `fields` errors (nested as the request body) placed beside the fields of
a page's form."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

Errors = dict[str, list[str]]


def flatten(fields: Any, prefix: str = "") -> Errors:
    """{"applicant": {"phone": [...]}, "documents": {"0": {...}}} as dotted names:
    {"applicant.phone": [...], "documents.0.copies": [...]}."""
    found: Errors = {}
    if isinstance(fields, Mapping):
        for key, value in fields.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            for inner, messages in flatten(value, name).items():
                found.setdefault(inner, []).extend(messages)
    elif isinstance(fields, (list, tuple)):
        for item in fields:
            if isinstance(item, (Mapping, list, tuple)):
                for inner, messages in flatten(item, prefix).items():
                    found.setdefault(inner, []).extend(messages)
            else:
                found.setdefault(prefix or "_", []).append(str(item))
    elif fields is not None:
        found.setdefault(prefix or "_", []).append(str(fields))
    return found


def rename(errors: Mapping[str, list[str]], names: Mapping[str, str]) -> Errors:
    """The API's field names as the form calls them (`names`: api -> form; the others
    keep theirs)."""
    renamed: Errors = {}
    for name, messages in errors.items():
        renamed.setdefault(names.get(name, name), []).extend(messages)
    return renamed


def unplaced(errors: Mapping[str, list[str]], shown: Iterable[str]) -> list[str]:
    """The messages of fields the form does not show (the API's `channel`, a `_schema`),
    listed above the form so that none is lost."""
    visible = set(shown)
    return [message for name, messages in errors.items() if name not in visible for message in messages]

"""One line per afteraction error for command modules that can also run on their own (the corpus
and live-collection sub-apps are driven directly in tests and by embedders, not only through
``afteraction.cli.main``)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

import typer
from rich.console import Console

from afteraction.errors import AfteractionError

__all__ = ["one_line_errors"]

F = TypeVar("F", bound=Callable[..., Any])


def one_line_errors(func: F) -> F:
    """An afteraction error becomes one line on stderr and its exit code, not a traceback."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except AfteractionError as exc:
            Console(stderr=True).print(f"[red]error:[/red] {exc}", highlight=False,
                                       soft_wrap=True)
            raise typer.Exit(exc.exit_code) from None

    return wrapper  # type: ignore[return-value]

"""Command line: `posecheck record|replay|analyze|serve|monitor|...`. Every PosecheckError
becomes one line on stderr and its exit code; nothing here holds domain logic."""

from __future__ import annotations

import sqlite3
import sys
from typing import Optional

import typer

from ..errors import PosecheckError
from . import analyze, manage, monitor, serve, session  # noqa: F401 - registers the commands
from .common import app


def _register_validate() -> None:
    from ..validation.cli import validate

    app.command("validate")(validate)


_register_validate()


def _words_for_types(command) -> None:
    """Option values in help as words a person reads (FILE, TEXT, N), not `<str>`,
    `<path>` or `<list[Path]>`: every option without a metavar of its own gets one.
    By the click parameter's type name, which every click (and typer's own copy) shares."""
    words = {"text": "TEXT", "integer": "N", "integer range": "N", "float": "NUMBER", "float range": "NUMBER",
             "path": "FILE", "filename": "FILE"}
    for param in getattr(command, "params", []):
        if getattr(param, "param_type_name", "") == "argument":
            # An argument's name says what it is (VIDEO..., LABELS.json): no `<list[str]>` after it.
            param.display_type_rich = lambda ctx: None
            continue
        if getattr(param, "param_type_name", "") != "option" or getattr(param, "is_flag", False) or param.metavar:
            continue
        desc = getattr(param, "type_descriptor", None)  # typer's own options (0.2x) describe their type
        if desc is not None and getattr(desc, "is_choice", False):
            param.metavar = "|".join(str(getattr(c, "value", c)) for c in desc.choices or ())
        elif desc is not None:
            bare = param.bare_type().lower()
            param.metavar = ("FILE" if getattr(desc, "is_path", False) or "path" in bare else
                             "N" if "int" in bare else "NUMBER" if "float" in bare else "TEXT")
        else:
            param.metavar = words.get(getattr(getattr(param, "type", None), "name", ""), "TEXT")
    for sub in getattr(command, "commands", {}).values():
        _words_for_types(sub)


def main(argv: Optional[list[str]] = None) -> int:
    try:
        command = typer.main.get_command(app)
        _words_for_types(command)
        # Without standalone mode, click hands back a typer.Exit's code as the return value.
        returned = command.main(args=argv, prog_name="posecheck", standalone_mode=False)
        if isinstance(returned, int):
            return returned
    except PosecheckError as exc:
        typer.echo(f"posecheck: error: {exc}", err=True)
        return exc.exit_code
    except OSError as exc:  # disk full, permissions changed mid-run: still one line
        where = f"{exc.filename}: " if exc.filename else ""
        typer.echo(f"posecheck: error: {where}{exc.strerror or exc}", err=True)
        return 1
    except sqlite3.Error as exc:
        typer.echo(f"posecheck: error: history database: {exc}", err=True)
        return 1
    except KeyboardInterrupt:
        typer.echo("posecheck: interrupted", err=True)
        return 130
    except (typer.Exit, SystemExit) as exc:
        return int(getattr(exc, "exit_code", getattr(exc, "code", 0)) or 0)
    except typer.Abort:
        return 130
    except Exception as exc:
        # Usage errors (bad option values, out of range, unknown options): click's own
        # exception class, or the copy of click that newer typer releases bundle.
        if callable(getattr(exc, "show", None)) and isinstance(getattr(exc, "exit_code", None), int):
            exc.show()
            return exc.exit_code
        raise
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""``constraintlab``: the command-line entry point.

Every command module registers itself on :data:`app`. :func:`main` runs the app so that any
bad flag or value ends in exit code 2 with one line on stderr naming the field, the value and
what is allowed, never a traceback.
"""

from __future__ import annotations

import sys
from typing import Annotated

import click
import typer

try:  # typer >= 0.20 ships its own copy of click; errors raised inside come from that copy
    from typer._click import exceptions as _typer_click
except ImportError:  # pragma: no cover - older typer uses click itself
    from click import exceptions as _typer_click  # type: ignore[no-redef]

from constraintlab.cli import evaluate, explore, ledger, report, run, validate
from constraintlab.model.design import DesignError

app = typer.Typer(
    name="constraintlab",
    help="The Constraints Never Lie: the ML Systems capstone lab, its engine and its tools.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _print_version(value: bool) -> None:
    if value:
        from importlib.metadata import PackageNotFoundError, version

        try:
            typer.echo(f"constraintlab {version('constraintlab')}")
        except PackageNotFoundError:  # pragma: no cover - running from an uninstalled tree
            typer.echo("constraintlab (version unknown: the package is not installed)")
        raise typer.Exit(0)


@app.callback()
def _root(
    show_version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_print_version,
            is_eager=True,
            help="Print constraintlab's version and exit.",
        ),
    ] = False,
) -> None:
    """The Constraints Never Lie: the ML Systems capstone lab, its engine and its tools.

    Every command takes --scenario FILE: a TOML file of scenario constants (see the shipped
    constraintlab/model/scenario.toml); keys it leaves out keep the shipped values.
    """


for _module in (run, evaluate, explore, validate, ledger, report):
    _module.register(app)

# the same kinds of exception, from click itself and from typer's copy of it
_EXIT = (click.exceptions.Exit, typer.Exit)
_ABORT = (click.exceptions.Abort, typer.Abort)
_CLICK_ERRORS = (click.ClickException, _typer_click.ClickException)
_USAGE_ERRORS = (click.UsageError, _typer_click.UsageError)


def _user_errors() -> tuple[type[Exception], ...]:
    """Exceptions that mean "bad input": shown as one line, exit code 2."""
    from constraintlab.model.scenario import ScenarioError
    from constraintlab.userpaths import PathError

    errors: list[type[Exception]] = [DesignError, PathError, ScenarioError]
    try:
        from constraintlab.ledger import LedgerError

        errors.append(LedgerError)
    except ImportError:  # pragma: no cover - ledger not built yet
        pass
    return tuple(errors)


SCENARIO_HELP = (
    "Every command takes --scenario FILE: a TOML file of scenario constants (see the shipped"
    " constraintlab/model/scenario.toml); keys it leaves out keep the shipped values."
)


def take_scenario(argv: list[str]) -> tuple[list[str], str | None]:
    """Remove ``--scenario FILE`` (or ``--scenario=FILE``) from anywhere in ``argv``."""
    rest: list[str] = []
    path: str | None = None
    items = iter(argv)
    for item in items:
        if item == "--scenario":
            path = next(items, None)
            if path is None:
                raise click.UsageError("--scenario needs a FILE")
        elif item.startswith("--scenario="):
            path = item.split("=", 1)[1]
        else:
            rest.append(item)
    return rest, path


def use_scenario_file(path: str | None) -> None:
    """Load the scenario for this process and for the lab's child process (environment)."""
    import os

    from constraintlab.userpaths import user_path

    if path is not None:  # the one path rule: ~ and ~user expanded, an empty path refused
        path = str(user_path(path, "--scenario").absolute())
    path = path or os.environ.get("CONSTRAINTLAB_SCENARIO") or None
    if path is None:
        return
    from constraintlab.model.engine import load_scenario  # keys, then the baseline, at load

    load_scenario(path)
    os.environ["CONSTRAINTLAB_SCENARIO"] = str(path)


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; exit 2 with a one-line message for any usage or input error."""
    command = typer.main.get_command(app)
    try:
        argv, scenario_path = take_scenario(list(sys.argv[1:] if argv is None else argv))
        use_scenario_file(scenario_path)
        code = command.main(args=argv, prog_name="constraintlab", standalone_mode=False)
    except _EXIT as stop:
        sys.exit(getattr(stop, "exit_code", 0))
    except _ABORT:
        print("aborted", file=sys.stderr)
        sys.exit(130)
    except _CLICK_ERRORS as problem:
        if type(problem).__name__ == "NoArgsIsHelpError":
            sys.exit(0)  # the help was shown: asking for it is not an error
        print(f"error: {problem.format_message()}", file=sys.stderr)
        sys.exit(2 if isinstance(problem, _USAGE_ERRORS) else problem.exit_code)
    except _user_errors() as problem:
        print(f"error: {problem}", file=sys.stderr)
        sys.exit(2)
    except OSError as problem:  # the one path for a file system's answer: path and cause
        from constraintlab.userpaths import os_error_line

        print(f"error: {os_error_line(problem)}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        sys.exit(130)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":  # pragma: no cover
    main()

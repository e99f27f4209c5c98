"""One module per command, each holding its arguments (``add_arguments``) and its run
(``run(args) -> exit code``), with its ``NAME``, ``HELP`` and ``DESCRIPTION``; the
options and settings they share are ``options``, the exit codes and the exceptions that
map to them ``errors``. ``COMMANDS`` is the order ``repolens --help`` lists them in."""

from . import check, history, notebook_path, portfolio, report, rerun, scan

__all__ = ["COMMANDS"]

COMMANDS = (scan, report, check, history, portfolio, rerun, notebook_path)

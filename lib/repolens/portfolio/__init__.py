"""``repolens portfolio``: many repositories analysed alike (locally in worker processes,
or one shard per pod of a Kubernetes Indexed Job) and compared in one table."""

from .listing import ListError, Repository, read_list, shard_of
from .merge import COLUMNS, PORTFOLIO_SCHEMA_VERSION, load_portfolio_schema, merge, read_rows
from .rows import new_run_id
from .run import analyse_all, analyse_repository

__all__ = [
    "COLUMNS",
    "PORTFOLIO_SCHEMA_VERSION",
    "ListError",
    "Repository",
    "analyse_all",
    "analyse_repository",
    "load_portfolio_schema",
    "merge",
    "new_run_id",
    "read_list",
    "read_rows",
    "shard_of",
]

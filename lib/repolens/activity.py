"""The name notebooks import git activity by: the module is ``scanning.activity``."""

from .scanning.activity import GitActivity, git_activity

__all__ = ["GitActivity", "git_activity"]

"""One tree analysed end to end: scanned once, checked, its reports written.

``analyse`` (``notebook``) is the analysis notebook's one call; ``checking`` checks a
tree into a folder as ``repolens check -o`` does, for the command and the portfolio.
"""

from .notebook import OWN_FILES, Analysis, AnalysisError, analyse, locate, since

__all__ = ["OWN_FILES", "Analysis", "AnalysisError", "analyse", "locate", "since"]

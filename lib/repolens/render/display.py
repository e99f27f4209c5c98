"""What the notebooks show as HTML, out of reach of maths rendering.

repolens' own pages load no MathJax (``reporting.write_page``), but an executed notebook
is also read in Jupyter, on a code host or through ``jupyter nbconvert``, all of which
typeset ``$…$`` in outputs: a commit subject ``$\\href{https://e.vil}{x}$`` would become
a link. Every HTML output goes through ``HTML`` here, which puts it inside an element of
the classes MathJax 2 and 3 leave alone (as pandas does for its tables with
``display.html.use_mathjax`` off, which ``no_maths`` sets), so such text stays text.
"""

from __future__ import annotations

from typing import Any

from IPython.display import HTML as _IPythonHTML

__all__ = ["HTML", "NO_MATHS", "no_maths"]

NO_MATHS = "tex2jax_ignore mathjax_ignore"
"""The classes that keep MathJax (version 2 and 3) out of an element."""


class HTML(_IPythonHTML):
    """``IPython.display.HTML`` whose markup sits in a ``<div class="NO_MATHS">``."""

    def _repr_html_(self) -> Any:
        shown = super()._repr_html_()
        if isinstance(shown, tuple):  # (markup, metadata)
            return (_wrapped(shown[0]), *shown[1:])
        return _wrapped(shown)


def _wrapped(markup: str | None) -> str | None:
    return None if markup is None else f'<div class="{NO_MATHS}">{markup}</div>'


def no_maths() -> None:
    """pandas tables shown in this kernel from now on carry the ``NO_MATHS`` classes."""
    import pandas as pd

    pd.set_option("display.html.use_mathjax", False)

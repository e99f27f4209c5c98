# 15 lines 8 code 3 comments 4 blanks
"""A module docstring: counted as code (the engine's default)."""

import os


def main():
    """Docstrings are code too."""
    # a comment
    value = os.sep  # trailing comments leave the line code
    return value

# another comment
if __name__ == "__main__":
    main()

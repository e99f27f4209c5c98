"""``python -m truth_tools`` (from bench/checks): build or refresh the truth files."""

from .build import main

raise SystemExit(main())

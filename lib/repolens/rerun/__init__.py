"""repolens rerun: run a repository's notebooks in a sandbox built from what it declares, and compare."""

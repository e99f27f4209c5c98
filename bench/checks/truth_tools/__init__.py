"""Tools that build the benchmark's truth files without repolens (see build.py)."""

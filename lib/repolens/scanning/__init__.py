"""Scanning: walk -> read & count -> one record per file (and the cache beside it)."""

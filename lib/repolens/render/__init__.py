"""Rendering: summaries, reports (JSON, CSV), frames, charts, sentences and the HTML report."""

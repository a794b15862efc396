"""Sinks: what the pipeline's results are turned into (overlays, reports, history)."""

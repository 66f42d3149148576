"""Sinks: push normalized records into app backends (the Smart Village mainserver, ...)."""

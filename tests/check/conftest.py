"""Shared helpers of the check tests (the support folder is on sys.path via tests/conftest.py)."""

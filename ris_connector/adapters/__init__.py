"""Adapters: the built-in ones and the API for writing more."""

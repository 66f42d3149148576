"""The library's version: one place, imported by the package root, the CLI and the HTTP client."""

__version__ = "0.1.0"

"""Tolerant value parsing shared by all adapters: times, text, ids, meeting status."""

"""Outputs that hand the store's records to apps (the OParl 1.1 endpoint, ...)."""

"""The test-suite of ris-connector, a package so that its helpers import as ``tests.support.<module>``."""

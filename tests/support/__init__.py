"""Helpers of the test-suite: real servers on 127.0.0.1, stores, CLI runs (``tests.support.ristest``...)."""

"""The rnnss test-suite."""

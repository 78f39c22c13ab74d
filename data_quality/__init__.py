"""Data quality: the raw data contract and the great-expectations suites built from it."""

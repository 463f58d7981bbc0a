"""Tests of the sandbox core."""

"""Tests of the Xero emulator."""

"""Shared HTTP plumbing of the real connectors: OAuth2, rate limits, retries, error mapping."""

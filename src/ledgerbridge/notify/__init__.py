"""E-mail notifications: run summaries sent through SMTP."""

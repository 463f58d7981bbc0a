"""The REST API under ``/api/v1``: bearer-token authentication and the routes."""

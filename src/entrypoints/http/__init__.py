"""The REST API: controllers, auth, errors and rate limits."""

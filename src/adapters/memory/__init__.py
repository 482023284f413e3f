"""In-process adapters for the embedded default: event bus, presence and rate limits."""

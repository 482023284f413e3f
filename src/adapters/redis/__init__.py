"""Redis adapters for the scaled mode: events, presence, rate limits and worker ids shared by
every instance. All keys and channels start with the configured prefix."""

"""Feature builders, one module per pillar."""

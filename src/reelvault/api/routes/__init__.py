"""Route modules, one per API surface."""

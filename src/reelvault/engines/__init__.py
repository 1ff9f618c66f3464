"""Engines: the Engine protocol and its defaults, the registry (built-ins and entry points)."""

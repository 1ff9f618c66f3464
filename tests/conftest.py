"""Shared fixtures come from reelvault's own pytest plugin (settings on tmp_path, runtime)."""

pytest_plugins = ["reelvault.testing"]

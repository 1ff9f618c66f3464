"""Pydantic I/O schemas (never ORM models)."""

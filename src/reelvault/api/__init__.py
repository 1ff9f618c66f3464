"""HTTP API: the native /api/v1, the OpenAI-compatible /v1, and operations endpoints."""

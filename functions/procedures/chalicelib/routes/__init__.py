"""Blueprints of the procedures API (none yet beyond health and openapi)."""

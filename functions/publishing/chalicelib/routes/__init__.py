"""Blueprints of the publishing API, one module per area."""

"""Deployment templates generated from functions/hiroba_core/store/tables.py."""

"""Blueprints of the procedures API: applications, inquiries, staff."""

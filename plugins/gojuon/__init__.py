from .gojuon import register

__all__ = ["register"]

from .wareki import register

__all__ = ["register"]

from .emergency import register

__all__ = ["register"]

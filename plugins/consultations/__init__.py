from .consultations import register

__all__ = ["register"]

from .multilingual import register

__all__ = ["register"]

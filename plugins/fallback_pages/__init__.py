from .fallback_pages import register

__all__ = ["register"]

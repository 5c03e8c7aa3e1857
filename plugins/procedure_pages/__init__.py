from .procedure_pages import register

__all__ = ["register"]

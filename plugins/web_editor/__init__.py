from .web_editor import register

__all__ = ["register"]

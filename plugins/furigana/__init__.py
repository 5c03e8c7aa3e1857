from .furigana import register

__all__ = ["register"]

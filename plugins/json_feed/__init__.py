from .json_feed import register

__all__ = ["register"]

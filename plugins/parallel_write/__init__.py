from .parallel_write import register

__all__ = ["register"]

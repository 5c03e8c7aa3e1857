from .table_captions import register

__all__ = ["register"]

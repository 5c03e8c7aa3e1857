from .mobile_site import register

__all__ = ["register"]

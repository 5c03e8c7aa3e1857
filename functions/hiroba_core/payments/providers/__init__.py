"""The providers, behind one interface (base.Provider): which one takes a method's money is
a setting, so the service never names a provider."""

from .base import Notification, Outcome, Provider, SettlementRow, Started


def for_method(settings, method):
    """The provider that takes payments by `method` ("card" or "payeasy")."""
    if method == "payeasy":
        from .payeasy import PayEasy

        return PayEasy(settings)
    return by_name(settings, settings.card_provider)


def by_name(settings, name):
    if name == "stripe":
        from .stripe_checkout import StripeCheckout

        return StripeCheckout(settings)
    if name == "payeasy":
        from .payeasy import PayEasy

        return PayEasy(settings)
    if name == "sandbox-card":
        from .sandbox_card import SandboxCard

        return SandboxCard(settings)
    raise KeyError(name)


NAMES = ("sandbox-card", "stripe", "payeasy")

__all__ = [
    "NAMES",
    "Notification",
    "Outcome",
    "Provider",
    "SettlementRow",
    "Started",
    "by_name",
    "for_method",
]

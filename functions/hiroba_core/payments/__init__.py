"""Taking money: the providers (card acquirers, Pay-easy) behind one interface, and the
signatures their notifications carry. The states are domain/payment.py; the use cases
services/payments.py."""

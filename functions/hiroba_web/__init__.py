"""The thin Chalice glue every app shares: request parsing, problem responses, staff auth.

Shipped with each app through vendor/ like hiroba_core; the domain stays framework-free.
"""

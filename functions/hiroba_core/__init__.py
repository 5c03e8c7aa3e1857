"""Hiroba's framework-free domain library, shared by every Chalice app in functions/.

Nothing here imports Chalice (tests/functions/test_layout.py enforces it): the apps are thin
routes that parse a request, call one function of `services`, and translate the result or a
domain error (`errors`) into HTTP with `problems`.
"""

"""Hiroba's framework-free core, shared by the site build (plugins/) and both Chalice apps.

Nothing here imports Pelican, Chalice or Jinja, nor anything of ours above it
(tests/unit/test_layers.py enforces both): the apps are thin routes that parse a request,
call one function of `services`, and translate the result or a domain error (`errors`)
into HTTP with `problems`; the plugins read content with `content` and the registries.
"""

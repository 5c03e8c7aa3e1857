"""Staff endpoints: the Bearer token becomes a Staff (role, department) or a 401/403."""

from hiroba_core import tokens

from . import context


def staff(request):
    return tokens.verify(request.headers.get("authorization"), context.settings())

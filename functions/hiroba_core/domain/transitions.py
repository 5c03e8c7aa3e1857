"""The one rule every stateful record follows: a change of state is allowed only when its
(old, new) pair is in the record's TRANSITIONS (a frozenset of pairs; `None` is "no record
yet"). The store then writes the change with a condition on the old state, so what the
domain allowed is still true when it is written."""

from ..errors import InvalidTransition


def successors(allowed, old):
    """The states reachable from `old`, in no particular order."""
    return {new for before, new in allowed if before == old}


def sources(allowed, new):
    """The states from which `new` may be reached (None: no record yet)."""
    return {old for old, after in allowed if after == new}


def require_transition(allowed, old, new, labels=None):
    """Refuse (InvalidTransition) a change that `allowed` does not list. `labels` maps a
    state to its (Japanese, English) names, for an answer people can act on."""
    if (old, new) not in allowed:
        order = {state: i for i, state in enumerate(labels or ())}
        reachable = sorted(
            (s for s in successors(allowed, old) if s is not None),
            key=lambda s: (order.get(s, len(order)), str(s)),
        )
        raise InvalidTransition(
            _name(old),
            _name(new),
            allowed=[_name(s) for s in reachable],
            labels={_name(s): names for s, names in (labels or {}).items()},
        )


def _name(state):
    return "none" if state is None else getattr(state, "value", state)

"""Plugin settings, read once: each plugin's defaults merged with the user's `<NAME>_*` values
and checked at `initialized`, so a bad value stops the build with one clear line instead of a
traceback halfway through writing.

A plugin lists its settings as `{NAME: Setting(default, valid, expected)}` and calls
`read(pelican.settings, SETTINGS)` from its `initialized` handler. The defaults go into
Pelican's settings dict itself (a fresh copy each build: nothing is shared between builds),
so generators and templates read `settings[NAME]` and never merge defaults again.
"""

import copy
from collections.abc import Callable
from dataclasses import dataclass


class SettingError(SystemExit):
    """A plugin setting is wrong: the build stops with this message (SystemExit keeps Pelican
    from printing a traceback)."""


@dataclass(frozen=True)
class Setting:
    default: object
    # whether a value is usable; None: of the default's type (an int is not a bool)
    valid: Callable[[object], bool] | None = None
    expected: str = ""  # what a usable value is, for the message

    def accepts(self, value):
        if self.valid is not None:
            return bool(self.valid(value))
        kind = type(self.default)
        if kind is bool or isinstance(value, bool):
            return type(value) is kind
        return isinstance(value, kind)


def fail(name, value, expected, error=SettingError):
    """Stop the build: `pelicanconf.py: NAME は …: value`."""
    raise error(f"pelicanconf.py: {name} は{expected}で指定してください（今の値: {value!r}）")


def with_defaults(settings, spec):
    """A copy of `settings` with the defaults of `spec` where the user set nothing (for the
    operator tools that read settings without running a build)."""
    return {**{name: copy.deepcopy(s.default) for name, s in spec.items()}, **settings}


def validate(settings, spec):
    for name, setting in spec.items():
        value = settings[name]
        if not setting.accepts(value):
            expected = setting.expected or f"{type(setting.default).__name__} の値"
            fail(name, value, expected)


def read(settings, spec, check=None):
    """At `initialized`: fill in the defaults of `spec` in place, check every value (and the
    plugin's own `check(settings)` for what depends on several), return `settings`."""
    for name, setting in spec.items():
        settings.setdefault(name, copy.deepcopy(setting.default))
    validate(settings, spec)
    if check is not None:
        check(settings)
    return settings


# ---------------------------------------------------------------- common checks


def text(value):
    return isinstance(value, str) and value != ""


def save_as(value):
    """An output path inside the site: relative, no `..`."""
    return text(value) and not value.startswith("/") and ".." not in value.split("/")


def positive_int(value):
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def list_of_text(value):
    return isinstance(value, (list, tuple)) and all(text(item) for item in value)

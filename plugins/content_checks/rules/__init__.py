"""The registry: every rule the content checks apply, in the order docs/editors.md lists them.
A rule runs only when it is listed here (tests/unit/test_content_rules.py fails on a rule
class that is not)."""

from . import body, characters, easy_japanese, files, front_matter, translations
from .rule import Rule, TextRule

REGISTRY = (
    front_matter.UnknownField(),
    front_matter.MissingField(),
    front_matter.BadDate(),
    front_matter.BadValue(),
    front_matter.DuplicateSlug(),
    front_matter.DuplicateOutput(),
    body.BrokenLink(),
    body.ImageAltMissing(),
    body.ImageAltFileName(),
    body.ImageAltVague(),
    body.HeadingLevel(),
    characters.MachineDependentCharacter(),
    characters.HalfWidthKatakana(),
    characters.FullWidthAlphanumeric(),
    characters.SpaceInWord(),
    body.LinkTextVague(),
    characters.DateFormat(),
    body.LayoutTable(),
    body.TableCaption(),
    translations.MissingTranslation(),
    easy_japanese.EasySentenceLength(),
    easy_japanese.EasyKanji(),
    easy_japanese.EasyEnding(),
    easy_japanese.EasyDoubleNegative(),
    easy_japanese.EasyHonorific(),
    body.RawHtml(),
    body.UnsafeUrl(),
    files.Encoding(),
    files.NotText(),
    files.StrayFile(),
)
BY_ID = {rule.id: rule for rule in REGISTRY}
# Every rule the checks apply, by the id printed at the end of each message.
RULES = {rule.id: rule.description for rule in REGISTRY}
MODULES = (body, characters, easy_japanese, files, front_matter, translations)

__all__ = ["BY_ID", "MODULES", "REGISTRY", "RULES", "Rule", "TextRule"]

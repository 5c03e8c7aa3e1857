"""One content rule: its id (printed at the end of each message), what it refuses, and its
checks. A rule implements the hooks it needs; the registry (rules/__init__.py) lists every
rule, and the checks run exactly the rules listed there."""

from ..sources import prose


class Rule:
    id = ""
    description = ""  # one line, as docs/editors.md explains it at length

    def check_file(self, path, files):
        """Violations of one file of content/ before anything reads it (`files`: FileScope)."""
        return ()

    def check_source(self, source, site):
        """Violations of one Markdown file (`sources.Source`) in the site (`sources.Site`)."""
        return ()

    def check_sources(self, sources, site):
        """Violations that need every file at once (duplicates, translations)."""
        return ()


class TextRule(Rule):
    """A rule on the prose of a file: front matter that is prose, and each body line."""

    PROSE_KEYS = ("title", "summary", "contact", "area")

    def check_text(self, text):
        """The message of each problem in a piece of prose."""
        return ()

    def check_source(self, source, site):
        for key in self.PROSE_KEYS:
            for message in self.check_text(source.front.values.get(key, "")):
                yield source.at(source.line_of(key), message, self.id)
        for number, line in source.lines:
            for message in self.check_text(prose(line)):
                yield source.at(number, message, self.id)

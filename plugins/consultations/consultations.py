"""Template filters for consultations (意見募集): their parsed front matter and state; and
the comment form's fields as the API checks them (hiroba_core.validation) as globals.

Open / upcoming / closed is decided with the build's now (HIROBA_NOW), like the schedule.
"""

from pelican import signals

from hiroba_core import validation
from hiroba_core.content import model
from hiroba_core.dates import format_jst


def add_filters(pelican):
    now = model.build_time(pelican.settings.get("HIROBA_NOW"))
    pelican.settings.setdefault("JINJA_FILTERS", {}).update(
        consultation=lambda page: model.consultation_of(page.metadata),
        consultation_state=lambda page: model.consultation_state(page.metadata, now),
        jst=format_jst,
    )
    # the form asks what the API checks: one definition of the fields' labels and choices
    pelican.settings.setdefault("JINJA_GLOBALS", {}).update(
        PERSONAL_FIELDS=validation.PERSONAL_FIELDS,
        AGE_GROUPS=validation.AGE_GROUPS,
        MAX_ANSWER=validation.MAX_ANSWER,
    )


def register():
    signals.initialized.connect(add_filters)

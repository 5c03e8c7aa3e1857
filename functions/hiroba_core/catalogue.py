"""The procedure catalogue: procedures.toml read with tomllib into Procedure objects.

The file is content/registry/procedures.toml (editors change it like the other registries);
functions/package.py copies it to hiroba_core/data/ in each deployment package, which is
where a Lambda finds it. A malformed file is a CatalogueError naming the entry, raised when
the app first needs the catalogue (and by the tests, before any deployment).
"""

import re
import tomllib
from functools import lru_cache
from pathlib import Path

from .domain.procedure import APPLICANT_FIELDS, FIELD_MODES, KINDS, MAX_TEXT, Procedure, Question

FILE_NAME = "procedures.toml"
PACKAGED = Path(__file__).resolve().parent / "data" / FILE_NAME
REPOSITORY = Path(__file__).resolve().parents[2] / "content" / "registry" / FILE_NAME
_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,79}$")


class CatalogueError(ValueError):
    pass


def default_path():
    """The packaged copy in a deployment, else the repository's registry file."""
    return PACKAGED if PACKAGED.is_file() else REPOSITORY


def _need(condition, where, message):
    if not condition:
        raise CatalogueError(f"{FILE_NAME}: [{where}] {message}")


def _question(pid, n, data):
    where = f"{pid}.questions[{n}]"
    _need(isinstance(data, dict), where, "must be a table")
    qid = data.get("id")
    _need(isinstance(qid, str) and _ID.match(qid), where, "id: lower-case letters, digits, - or _")
    for key in ("label", "label_en"):
        _need(isinstance(data.get(key), str) and data[key].strip(), where, f"{key} is required")
    kind = data.get("kind", "text")
    _need(kind in KINDS, where, f"kind must be one of {', '.join(KINDS)}")
    choices = data.get("choices", [])
    if kind == "choice":
        _need(
            isinstance(choices, list) and choices and all(isinstance(c, str) for c in choices),
            where,
            "choices: a list of texts",
        )
    for key in ("min", "max"):
        value = data.get(key)
        _need(value is None or type(value) is int, where, f"{key} must be an integer")
    if kind == "text":
        _need(0 < (data.get("max") or 200) <= MAX_TEXT, where, f"max must be 1 to {MAX_TEXT}")
    if kind == "integer":
        _need("min" in data and "max" in data, where, "an integer question needs min and max")
    when = data.get("when")
    _need(when in (None, "past", "future"), where, 'when must be "past" or "future"')
    return Question(
        id=qid,
        label=data["label"],
        label_en=data["label_en"],
        kind=kind,
        required=data.get("required") is True,
        choices=tuple(choices),
        min=data.get("min"),
        max=data.get("max"),
        when=when,
        multiline=data.get("multiline") is True,
    )


def _procedure(pid, data):
    _need(_ID.match(pid), pid, "the id must be lower-case letters, digits, - or _")
    _need(isinstance(data, dict), pid, "must be a table")
    for key in ("title", "title_en", "department"):
        _need(isinstance(data.get(key), str) and data[key].strip(), pid, f"{key} is required")
    fee, days = data.get("fee"), data.get("retention_days")
    _need(type(fee) is int and fee >= 0, pid, "fee: yen, 0 or more")
    _need(type(days) is int and days > 0, pid, "retention_days: a number of days, 1 or more")
    applicant = data.get("applicant", {})
    _need(isinstance(applicant, dict) and applicant, pid, "applicant: at least one field")
    for name, mode in applicant.items():
        _need(name in APPLICANT_FIELDS, pid, f"unknown applicant field {name!r}")
        _need(mode in FIELD_MODES, pid, f"applicant.{name} must be required or optional")
    questions = tuple(_question(pid, n, q) for n, q in enumerate(data.get("questions", [])))
    ids = [q.id for q in questions]
    _need(len(ids) == len(set(ids)), pid, "question ids must be unique")
    fee_per = data.get("fee_per")
    if fee_per is not None:
        per = {q.id: q for q in questions}.get(fee_per)
        _need(
            per is not None and per.kind == "integer" and per.required,
            pid,
            "fee_per must name a required integer question",
        )
    return Procedure(
        id=pid,
        title=data["title"],
        title_en=data["title_en"],
        department=data["department"],
        fee=fee,
        retention_days=days,
        applicant=dict(applicant),
        questions=questions,
        summary=data.get("summary", ""),
        fee_per=fee_per,
    )


def parse(text):
    """{id: Procedure} from the TOML text, in file order; CatalogueError when malformed."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise CatalogueError(f"{FILE_NAME}: {error}") from None
    return {pid: _procedure(pid, entry) for pid, entry in data.items()}


@lru_cache(maxsize=4)
def load(path=None):
    """The catalogue at `path` (default_path() when None), read once per process."""
    return parse(Path(path or default_path()).read_text("utf-8"))

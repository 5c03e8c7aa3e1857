"""The procedure catalogue: procedures.toml and the 団体 registry dantai.toml, read with
tomllib into Procedure and Dantai objects.

The files are in content/registry/ (editors change them like the other registries);
infra/aws/package.py copies them, with departments.toml, to hiroba_core/data/ in each
deployment package, which is where a Lambda finds them. This is the one parser: the API
loads the catalogue with it and the site's content checks validate the same files with it
(`problems`), so a file the build accepts is a file the API can read.

Every problem is a Problem with the line it is on (tomllib gives no positions, so `_Lines`
finds the table and key in the text), and the message in Japanese with the English after it.
A malformed catalogue is a CatalogueError listing them all, raised when the app first needs
the catalogue (and by the tests and the build, before any deployment).
"""

import datetime
import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .domain.dantai import Dantai, is_valid_code
from .domain.procedure import (
    APPLICANT_FIELDS,
    APPLICANT_KINDS,
    CATEGORIES,
    LIFE_EVENTS,
    MAX_ATTACHMENTS,
    MAX_TEXT,
    Attachment,
    Procedure,
)
from .domain.question import FIELD_MODES, KINDS, Question
from .signatures.templates import TEMPLATES

FILE_NAME = "procedures.toml"
DANTAI_FILE = "dantai.toml"
DEPARTMENTS_FILE = "departments.toml"
PACKAGED = Path(__file__).resolve().parent / "data" / FILE_NAME
REPOSITORY = Path(__file__).resolve().parents[2] / "content" / "registry" / FILE_NAME
_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,79}$")
_PHONE = re.compile(r"^0\d{1,4}-\d{1,4}-\d{3,4}$")
_HIRAGANA = re.compile(r"^[\u3041-\u3096\u30fc]+$")
_EMAIL = re.compile(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")


@dataclass(frozen=True, order=True)
class Problem:
    file: str  # FILE_NAME or DANTAI_FILE
    line: int
    message: str


class CatalogueError(ValueError):
    def __init__(self, problems):
        self.problems = sorted(problems)
        super().__init__("\n".join(f"{p.file}:{p.line}: {p.message}" for p in self.problems))


def default_path():
    """The packaged copy in a deployment, else the repository's registry file."""
    return PACKAGED if PACKAGED.is_file() else REPOSITORY


class _Lines:
    """Where a table (the n-th, for arrays of tables) and a key in it are in the TOML text."""

    _HEADER = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")

    def __init__(self, text):
        self.headers = []  # (name, line)
        self.lines = text.splitlines()
        for number, line in enumerate(self.lines, 1):
            match = self._HEADER.match(line)
            if match:
                name = ".".join(p.strip().strip("\"'") for p in match[1].split("."))
                self.headers.append((name, number))

    def of(self, table, key=None, index=0):
        found = [n for name, n in self.headers if name == table]
        if not found:  # only its sub-tables are written ([code.departments] without [code])
            found = [n for name, n in self.headers if name.startswith(f"{table}.")]
        if not found:
            return 1
        start = found[min(index, len(found) - 1)]
        later = [n for _, n in self.headers if n > start]
        end = later[0] if later else len(self.lines) + 1
        if key is not None:
            pattern = re.compile(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*=")
            for number in range(start + 1, end):
                if pattern.match(self.lines[number - 1]):
                    return number
        return start


class _Checker:
    """Collects the problems of one file, each on its line."""

    def __init__(self, file, text):
        self.file, self.where, self.problems = file, _Lines(text), []

    def need(self, condition, table, key, ja, en, index=0):
        if not condition:
            line = self.where.of(table, key, index)
            self.problems.append(Problem(self.file, line, f"[{table}] {ja}（{en}）"))
        return bool(condition)


def _text(value):
    return isinstance(value, str) and bool(value.strip())


def _question(c, pid, n, data):
    table = f"{pid}.questions"

    def need(condition, key, ja, en):
        return c.need(condition, table, key, f"{n + 1}番目の設問: {ja}", en, n)

    if not need(isinstance(data, dict), None, "表で書きます", "must be a table"):
        return None
    qid = data.get("id")
    need(
        isinstance(qid, str) and _ID.match(qid),
        "id",
        "id は英小文字・数字・- か _ で書きます",
        "id: lower-case letters, digits, - or _",
    )
    for key in ("label", "label_en"):
        need(_text(data.get(key)), key, f"{key} がありません", f"{key} is required")
    kind = data.get("kind", "text")
    need(
        kind in KINDS,
        "kind",
        f"kind は {' / '.join(KINDS)} のどれかです",
        "kind: one of " + ", ".join(KINDS),
    )
    choices = data.get("choices", [])
    if kind == "choice":
        need(
            isinstance(choices, list) and choices and all(isinstance(x, str) for x in choices),
            "choices",
            "choices に選択肢を文字の一覧で書きます",
            "choices: a list of texts",
        )
    for key in ("min", "max"):
        value = data.get(key)
        need(
            value is None or type(value) is int,
            key,
            f"{key} は整数です",
            f"{key} must be an integer",
        )
    maximum = data.get("max") or 200
    if kind == "text" and type(maximum) is int:
        need(
            0 < maximum <= MAX_TEXT,
            "max",
            f"max は1から{MAX_TEXT}までです",
            f"max must be 1 to {MAX_TEXT}",
        )
    if kind == "integer":
        need(
            "min" in data and "max" in data,
            None,
            "整数の設問には min と max が要ります",
            "an integer question needs min and max",
        )
    when = data.get("when")
    need(
        when in (None, "past", "future"),
        "when",
        'when は "past" か "future" です',
        'when must be "past" or "future"',
    )
    if not (isinstance(qid, str) and _text(data.get("label")) and _text(data.get("label_en"))):
        return None
    return Question(
        id=qid,
        label=data["label"],
        label_en=data["label_en"],
        kind=kind,
        required=data.get("required") is True,
        choices=tuple(choices) if isinstance(choices, list) else (),
        min=data.get("min"),
        max=data.get("max"),
        when=when,
        multiline=data.get("multiline") is True,
    )


def _attachments(c, pid, raw, applicants):
    table = f"{pid}.attachments"
    if not c.need(
        isinstance(raw, list),
        pid,
        "attachments",
        "添付書類は [[…attachments]] の表で書きます",
        "attachments: tables",
    ):
        return ()
    found = []
    for n, data in enumerate(raw):
        if not c.need(
            isinstance(data, dict), table, None, "添付書類は表で書きます", "must be a table", n
        ):
            continue
        kind, count = data.get("kind"), data.get("count", 1)
        ok = c.need(
            _text(kind),
            table,
            "kind",
            f"{n + 1}番目の添付書類: kind（書類の種類）がありません",
            "kind is required",
            n,
        )
        ok &= c.need(
            type(count) is int and 1 <= count <= MAX_ATTACHMENTS,
            table,
            "count",
            f"{n + 1}番目の添付書類: count（ファイルの数）は1から{MAX_ATTACHMENTS}までです",
            f"count: 1 to {MAX_ATTACHMENTS}",
            n,
        )
        when = data.get("when", "")
        ok &= c.need(
            when == "" or (when in APPLICANT_KINDS and when in applicants),
            table,
            "when",
            f"{n + 1}番目の添付書類: when（この書類が要る申請者）は applicants にある種類"
            f"（{'・'.join(applicants)}）を書きます",
            f"when: one of the procedure's applicants ({', '.join(applicants)})",
            n,
        )
        if ok:
            found.append(Attachment(kind.strip(), count, data.get("required", True) is True, when))
    c.need(
        sum(a.count for a in found) <= MAX_ATTACHMENTS,
        pid,
        "attachments",
        f"添付できるファイルは合わせて{MAX_ATTACHMENTS}つまでです",
        f"at most {MAX_ATTACHMENTS} files in all",
    )
    return tuple(found)


def _procedure(c, pid, data, dantai, departments):
    def need(condition, key, ja, en):
        return c.need(condition, pid, key, ja, en)

    if not need(
        _ID.match(pid),
        None,
        "手続のIDは英小文字・数字・- か _ で書きます",
        "the id must be lower-case letters, digits, - or _",
    ):
        return None
    if not need(isinstance(data, dict), None, "表で書きます", "must be a table"):
        return None
    for key in ("title", "title_en", "department", "eligibility", "period"):
        need(_text(data.get(key)), key, f"{key} がありません", f"{key} is required")
    code = data.get("dantai")
    if need(
        isinstance(code, str) and code,
        "dantai",
        "dantai（団体コード）がありません",
        "dantai is required",
    ):
        valid = need(
            is_valid_code(code),
            "dantai",
            f"団体コード {code} は6桁で、最後の検査数字が合いません",
            f"{code} is not a local-government code with a valid check digit",
        )
        if valid and dantai is not None:
            known = need(
                code in dantai,
                "dantai",
                f"団体コード {code} は {DANTAI_FILE} にありません",
                f"unknown dantai {code}",
            )
            if known:  # the catalogue is that of the joint service
                need(
                    dantai[code].joint_service,
                    "dantai",
                    f"{dantai[code].name}（{code}）は共同電子申請サービスに参加していません"
                    f"（{DANTAI_FILE} の joint_service）",
                    f"{code} does not take part in the joint service",
                )
    department = data.get("department")
    if _text(department) and dantai is not None and code in dantai:
        owner = dantai[code]
        known = departments if owner.is_prefecture else owner.departments
        if departments is not None or not owner.is_prefecture:
            registry = (
                DEPARTMENTS_FILE
                if owner.is_prefecture
                else f"{DANTAI_FILE} の [{code}.departments]"
            )
            need(
                department in known,
                "department",
                f"担当課「{department}」は {registry} にありません",
                f"unknown department {department!r} of {code}",
            )
    fee, days = data.get("fee"), data.get("retention_days")
    need(
        type(fee) is int and fee >= 0,
        "fee",
        "fee（手数料）は0以上の整数（円）です",
        "fee: yen, 0 or more",
    )
    need(
        type(days) is int and days > 0,
        "retention_days",
        "retention_days は1以上の日数です",
        "retention_days: a number of days, 1 or more",
    )
    processing = data.get("processing_days")
    need(
        type(processing) is int and processing >= 0,
        "processing_days",
        "processing_days（標準処理期間）は0以上の日数です",
        "processing_days: a number of days, 0 or more",
    )
    category = data.get("category")
    need(
        category in CATEGORIES,
        "category",
        f"分類「{category}」は {' / '.join(CATEGORIES)} のどれかです",
        "unknown category",
    )
    events = data.get("life_events")
    if need(
        isinstance(events, list) and events,
        "life_events",
        "life_events（ライフイベント）を1つ以上書きます",
        "life_events: one or more",
    ):
        for event in events:
            need(
                event in LIFE_EVENTS,
                "life_events",
                f"ライフイベント「{event}」は {' / '.join(LIFE_EVENTS)} のどれかです",
                "unknown life event",
            )
    kinds = data.get("applicants")
    if need(
        isinstance(kinds, list) and kinds,
        "applicants",
        "applicants（申請できる人）を書きます",
        "applicants: one or more",
    ):
        for kind in kinds:
            need(
                kind in APPLICANT_KINDS,
                "applicants",
                f"申請できる人「{kind}」は 本人 か 代理人 です",
                "applicants: 本人 or 代理人",
            )
    need(
        isinstance(data.get("signature"), bool),
        "signature",
        "signature（電子署名が要るか）は true か false です",
        "signature: true or false",
    )
    issues = data.get("issues")
    need(
        issues is None or issues in TEMPLATES,
        "issues",
        f"issues（完了時に発行する文書）は {' / '.join(TEMPLATES)} のどれかです",
        "issues: one of " + ", ".join(TEMPLATES),
    )
    open_from, open_until = data.get("open_from"), data.get("open_until")
    for key, value in (("open_from", open_from), ("open_until", open_until)):
        need(
            value is None or type(value) is datetime.date,
            key,
            f"{key} は 2026-04-01 のように日付で書きます",
            f"{key} must be a date",
        )
    if type(open_from) is datetime.date and type(open_until) is datetime.date:
        need(
            open_from <= open_until,
            "open_until",
            "受付の終わりが始まりより前です",
            "open_until is before open_from",
        )
    phone = data.get("phone", "")
    need(
        phone == "" or (isinstance(phone, str) and _PHONE.match(phone)),
        "phone",
        "phone は 022-211-2111 のように書きます",
        "phone: like 022-211-2111",
    )
    applicant = data.get("applicant", {})
    if need(
        isinstance(applicant, dict) and applicant,
        "applicant",
        "applicant（申請者の項目）を1つ以上書きます",
        "applicant: at least one field",
    ):
        for name, mode in applicant.items():
            c.need(
                name in APPLICANT_FIELDS,
                f"{pid}.applicant",
                name,
                f"申請者の項目 {name!r} はありません",
                f"unknown applicant field {name!r}",
            )
            c.need(
                mode in FIELD_MODES,
                f"{pid}.applicant",
                name,
                f"applicant.{name} は required か optional です",
                f"applicant.{name} must be required or optional",
            )
    raw_questions = data.get("questions", [])
    questions = ()
    if need(
        isinstance(raw_questions, list),
        "questions",
        "設問は [[…questions]] の表で書きます",
        "questions: tables",
    ):
        parsed = [_question(c, pid, n, q) for n, q in enumerate(raw_questions)]
        questions = tuple(q for q in parsed if q is not None)
    ids = [q.id for q in questions]
    need(len(ids) == len(set(ids)), None, "設問のIDが重なっています", "question ids must be unique")
    fee_per = data.get("fee_per")
    if fee_per is not None:
        per = {q.id: q for q in questions}.get(fee_per)
        need(
            per is not None and per.kind == "integer" and per.required,
            "fee_per",
            "fee_per には必須の整数の設問のIDを書きます",
            "fee_per must name a required integer question",
        )
    listed = tuple(kinds) if isinstance(kinds, list) else ()
    attachments = _attachments(c, pid, data.get("attachments", []), listed)
    if c.problems:
        return None
    return Procedure(
        id=pid,
        title=data["title"],
        title_en=data["title_en"],
        department=department,
        fee=fee,
        retention_days=days,
        applicant=dict(applicant),
        questions=questions,
        summary=data.get("summary", ""),
        fee_per=fee_per,
        dantai=code,
        category=category,
        life_events=tuple(events),
        applicants=tuple(kinds),
        attachments=attachments,
        signature=data["signature"],
        period=data["period"],
        open_from=open_from,
        open_until=open_until,
        processing_days=processing,
        eligibility=data["eligibility"],
        fee_note=data.get("fee_note", ""),
        phone=phone,
        issues=issues,
    )


def _toml(file, text):
    try:
        return tomllib.loads(text), []
    except tomllib.TOMLDecodeError as error:
        line = re.search(r"at line (\d+)", str(error))
        problem = Problem(file, int(line[1]) if line else 1, f"書き方に誤りがあります（{error}）")
        return None, [problem]


def _parse_dantai(text):
    data, faults = _toml(DANTAI_FILE, text)
    if data is None:
        return {}, faults
    c = _Checker(DANTAI_FILE, text)
    found = {}
    for code, entry in data.items():

        def need(condition, key, ja, en, code=code):
            return c.need(condition, code, key, ja, en)

        if not need(
            is_valid_code(code),
            None,
            f"団体コード {code} は6桁で、最後の検査数字が合いません",
            f"{code} is not a local-government code with a valid check digit",
        ):
            continue
        if not need(isinstance(entry, dict), None, "表で書きます", "must be a table"):
            continue
        for key in ("name", "kana", "section", "phone", "email"):
            need(_text(entry.get(key)), key, f"{key} がありません", f"{key} is required")
        kana = entry.get("kana")
        need(
            not _text(kana) or _HIRAGANA.match(kana),
            "kana",
            "kana はひらがなで書きます",
            "kana: in hiragana",
        )
        need(
            isinstance(entry.get("joint_service"), bool),
            "joint_service",
            "joint_service は true か false です",
            "joint_service: true or false",
        )
        phone, email = entry.get("phone", ""), entry.get("email", "")
        need(
            not _text(phone) or _PHONE.match(phone),
            "phone",
            "phone は 022-211-2111 のように書きます",
            "phone: like 022-211-2111",
        )
        need(
            not _text(email) or _EMAIL.match(email),
            "email",
            "email はメールアドレスの形で書きます",
            "email: an e-mail address",
        )
        page = entry.get("page", "")
        municipal = code[2:5] != "000"
        need(
            (isinstance(page, str) and _ID.match(page)) if municipal else page == "",
            "page",
            "市町村には page（ページのスラッグ）を書き、県には書きません",
            "page: the slug of a municipality's page; none for the prefecture",
        )
        departments = entry.get("departments", {})
        if need(
            isinstance(departments, dict),
            "departments",
            'departments は 課のID = "名前" の表です',
            "departments: id = name",
        ):
            for did, name in departments.items():
                c.need(
                    _ID.match(did) and _text(name),
                    f"{code}.departments",
                    did,
                    f"担当課 {did} の書き方に誤りがあります",
                    "id = name",
                )
        # registered even with a problem of its own, so its procedures are not reported too
        found[code] = Dantai(
            code=code,
            name=str(entry.get("name", "")),
            kana=str(entry.get("kana", "")),
            section=str(entry.get("section", "")),
            phone=str(phone),
            email=str(email),
            joint_service=entry.get("joint_service") is True,
            page=page if isinstance(page, str) else "",
            departments=dict(departments) if isinstance(departments, dict) else {},
        )
    return found, faults + c.problems


def parse_dantai(text):
    """{code: Dantai} in file order; CatalogueError listing every problem."""
    found, faults = _parse_dantai(text)
    if faults:
        raise CatalogueError(faults)
    return found


def _parse(text, dantai=None, departments=None):
    data, faults = _toml(FILE_NAME, text)
    if data is None:
        return {}, faults
    found = {}
    for pid, entry in data.items():
        c = _Checker(FILE_NAME, text)
        procedure = _procedure(c, pid, entry, dantai, departments)
        faults += c.problems
        if procedure is not None:
            found[pid] = procedure
    return found, faults


def parse(text, dantai=None, departments=None):
    """{id: Procedure} from the TOML text, in file order; CatalogueError listing every
    problem. With `dantai` ({code: Dantai}) and `departments` (the prefecture's ids), each
    procedure's 団体 and department must be registered."""
    found, faults = _parse(text, dantai, departments)
    if faults:
        raise CatalogueError(faults)
    return found


def _departments(text):
    data, faults = _toml(DEPARTMENTS_FILE, text)
    return ({k for k in data if k != "defaults"} if data else None), faults


def problems(folder):
    """Every Problem of the registry files in `folder` (the build's check): dantai.toml, then
    procedures.toml against it and departments.toml."""
    folder = Path(folder)
    found, all_problems = _parse_dantai((folder / DANTAI_FILE).read_text("utf-8-sig"))
    departments, more = _departments((folder / DEPARTMENTS_FILE).read_text("utf-8-sig"))
    all_problems += more
    _, more = _parse((folder / FILE_NAME).read_text("utf-8-sig"), found, departments)
    return all_problems + more


@lru_cache(maxsize=4)
def load_dantai(path=None):
    """The 団体 registry next to the catalogue at `path`, read once per process."""
    folder = Path(path or default_path()).parent
    return parse_dantai((folder / DANTAI_FILE).read_text("utf-8"))


@lru_cache(maxsize=4)
def load(path=None):
    """The catalogue at `path` (default_path() when None), read once per process and checked
    against the 団体 registry and departments.toml beside it."""
    path = Path(path or default_path())
    dantai = load_dantai(path)
    departments, faults = _departments((path.parent / DEPARTMENTS_FILE).read_text("utf-8"))
    if faults:
        raise CatalogueError(faults)
    return parse(path.read_text("utf-8"), dantai, departments)


def read_folder(folder):
    """(procedures, dantai) of the registry files in `folder`, uncached (the site's build
    reads the content it is given); CatalogueError listing every problem."""
    found = problems(folder)
    if found:
        raise CatalogueError(found)
    folder = Path(folder)
    dantai = parse_dantai((folder / DANTAI_FILE).read_text("utf-8-sig"))
    departments, _ = _departments((folder / DEPARTMENTS_FILE).read_text("utf-8-sig"))
    return parse((folder / FILE_NAME).read_text("utf-8-sig"), dantai, departments), dantai

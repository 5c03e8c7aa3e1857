"""An application being written (申請の下書き): the resident's verified address, what they
have typed so far, and the deadlines of the source's rules.

The joint service times a session out after 30 minutes without a page change (画面遷移),
and gives a form page 90 minutes; a draft saved with 「一時保存」 waits 7 days for the resume
link. The form is split into steps (GOV.UK's "one thing per page" where it fits), each
naming the fields it asks; the last page, 確認画面, re-checks everything with the same
`procedure.check` the JSON intake uses.
"""

from dataclasses import dataclass, field
from datetime import timedelta

from .procedure import AGENT, AGENT_FIELDS, APPLICANT_FIELDS

NAVIGATION = timedelta(minutes=30)  # idle between pages
FORM_PAGE = timedelta(minutes=90)  # a page of the form, from when it was shown
SAVED = timedelta(days=7)  # 一時保存: the resume link's life, and the draft's
CODE_ATTEMPTS = 5  # wrong codes before the draft is dropped
CODE_SENDS = 3  # the first code and two more
RESEND_AFTER = timedelta(seconds=60)  # between two codes to one draft

VERIFYING, FILLING, SAVED_STATE, SUBMITTED = "verifying", "filling", "saved", "submitted"


@dataclass(frozen=True)
class Step:
    """A page of the form: its URL segment, heading (Japanese, English) and the fields it
    asks, named as procedure.check names them (applicant.name, agent.kana, answers.<id>)."""

    slug: str
    title: str
    title_en: str
    fields: tuple


# the applicant's fields, grouped into pages (email is the verified address, never asked)
_APPLICANT_GROUPS = (
    ("name", "氏名", "Name", ("organization", "name", "kana")),
    ("contact", "住所と電話番号", "Address and phone", ("postal_code", "address", "phone")),
)


def attachment_steps(procedure):
    """Where the attachments page goes (issue #13 item 7: files straight to a private bucket
    with a presigned POST, the 委任状 of an agent among them). No step until it exists: a
    procedure with attachments is applied for without them, and the check page says so."""
    return ()


def steps(procedure, kind):
    """The form's pages for `procedure` when `kind` (本人 / 代理人) applies, in order."""
    found = []
    agent = kind == AGENT
    if AGENT in procedure.applicants:
        found.append(Step("who", "申請する人", "Who is applying", ("applicant_kind",)))
    if agent:
        names = tuple(f"agent.{n}" for n in AGENT_FIELDS if n != "email")
        found.append(Step("agent", "代理人（あなた）の情報", "You, the agent", names))
    for slug, title, title_en, names in _APPLICANT_GROUPS:
        asked = tuple(f"applicant.{n}" for n in names if n in procedure.applicant)
        if asked:
            if agent:
                title, title_en = f"ご本人の{title}", f"The applicant's {title_en.lower()}"
            found.append(Step(slug, title, title_en, asked))
    for question in procedure.questions:
        found.append(
            Step(f"q-{question.id}", question.label, question.label_en, (f"answers.{question.id}",))
        )
    found.extend(attachment_steps(procedure))
    return tuple(found)


def form_name(name):
    """The form control's name (and id) of a field: applicant.name -> applicant-name,
    answers.<id> -> answer-<id> (hiroba_web.http.form_to_dict reads those as answers)."""
    group, _, key = name.partition(".")
    if not key:
        return name.replace("_", "-")
    return f"answer-{key}" if group == "answers" else f"{group}-{key}"


def label_of(procedure, name):
    """(Japanese, English) label of a field named as in Step.fields."""
    group, _, key = name.partition(".")
    if name == "applicant_kind":
        return "申請する人", "Who is applying"
    if group == "applicant":
        return APPLICANT_FIELDS[key][:2]
    if group == "agent":
        return AGENT_FIELDS[key][:2]
    question = next(q for q in procedure.questions if q.id == key)
    return question.label, question.label_en


@dataclass
class Draft:
    """One resident's application in progress. `id` is the secret in their cookie (the
    store keeps only its hash); `values` are the fields as typed, keyed like Step.fields."""

    id: str
    procedure_id: str
    dantai: str
    email: str
    code_hash: str
    deadline: object  # datetime (UTC): after it the draft is gone
    state: str = VERIFYING
    attempts: int = 0
    sends: int = 1
    sent_at: object = None  # datetime of the last code
    values: dict = field(default_factory=dict)
    reference: str = ""  # 到達番号 once submitted
    version: int = 1

    @property
    def verified(self):
        return self.state != VERIFYING

    @property
    def kind(self):
        return AGENT if self.values.get("applicant_kind") == AGENT else "本人"

    def expired(self, now):
        return now >= self.deadline

    def touch(self, now, on_form=False):
        """A page was shown: the next must come within 30 minutes, or 90 on a form page."""
        self.deadline = now + (FORM_PAGE if on_form else NAVIGATION)

    def raw(self):
        """What procedure.check reads: the JSON intake's body, from the typed values and the
        verified address (the applicant's own, or the agent's when an agent applies)."""
        body = {"applicant": {}, "answers": {}, "applicant_kind": self.kind}
        for name, value in self.values.items():
            group, _, key = name.partition(".")
            if group == "applicant":
                body["applicant"][key] = value
            elif group == "answers":
                body["answers"][key] = value
            elif group == "agent":
                body.setdefault("agent", {})[key] = value
        if self.kind == AGENT:
            body.setdefault("agent", {})["email"] = self.email
        else:
            body["applicant"]["email"] = self.email
        return body

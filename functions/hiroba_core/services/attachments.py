"""Attachments (添付書類) of an application, uploaded by the resident's browser straight to
the private bucket with a presigned POST (a plain HTML form, no script), then checked here.

Keys (every one under its 団体, then its draft or application):

    drafts/<団体>/<draft>/incoming/<kind>/<upload>/<name>   as uploaded, not yet checked
    drafts/<団体>/<draft>/files/<kind>/<upload>/<name>      checked: the type from the bytes
    applications/<団体>/<到達番号>/<kind>/<upload>/<name>     submitted: what staff read

`kind` is the position (1, 2, …) of the document in the procedure's `attachments`
(content/registry/procedures.toml); `upload` a new id per form (ids.new_id: sorts by time,
then random), which names the file for the resident's delete button. S3 enforces the form's policy (size, key prefix, type
and redirect) on AWS; `check` decides again from the object itself, so nothing depends on
the policy alone (moto, the local S3, enforces none of it). A file that fails is deleted
and the reason given; the bucket's lifecycle rule removes drafts' files in any case
(infra/aws/template.py).
"""

import re
import unicodedata
from dataclasses import dataclass

from ..domain.procedure import MAX_ATTACHMENTS
from ..errors import FieldError, NotFound, ValidationFailed
from ..ids import REFERENCE_LENGTH, new_id, parse_code

MAX_BYTES = 10 * 1024 * 1024  # per file
FORM_SECONDS = 90 * 60  # a form page lives 90 minutes (issue #13): so does its upload form
# what the bytes of an accepted file start with -> (media type, label, extensions)
SIGNATURES = (
    (b"%PDF-", ("application/pdf", "PDF", (".pdf",))),
    (b"\xff\xd8\xff", ("image/jpeg", "JPEG", (".jpg", ".jpeg"))),
    (b"\x89PNG\r\n\x1a\n", ("image/png", "PNG", (".png",))),
)
TYPES = {media: (label, ext) for _, (media, label, ext) in SIGNATURES}
# programs, whatever their name says: refused with a reason of their own
EXECUTABLES = (b"MZ", b"\x7fELF", b"\xfe\xed\xfa", b"\xcf\xfa\xed\xfe", b"\xca\xfe\xba\xbe", b"#!")
SNIFF_BYTES = 16
# what the unchecked object is stored as: never a type a browser would run or render
UPLOAD_CONTENT_TYPE = "application/octet-stream"
MAX_NAME = 100  # characters of a file's name kept

_DRAFT_ID = re.compile(r"^[A-Za-z0-9_-]{16,128}$")
_DANTAI = re.compile(r"^\d{6}$")
_UPLOAD = re.compile(r"^[0-9a-f]{22}$")  # ids.new_id(): sorts by time
_MB = 1024 * 1024

# why a file was refused: reason -> (Japanese, English); {count} is the document's limit
REASONS = {
    "no-file": (
        "ファイルを選んでから「アップロードする」を押してください",
        "Choose a file, then press upload",
    ),
    "too-large": (
        f"ファイルが大きすぎます。{MAX_BYTES // _MB}MB以下のファイルにしてください",
        f"The file is too large: it must be {MAX_BYTES // _MB} MB or smaller",
    ),
    "type": (
        "PDF、JPEG、PNGのファイルを選んでください（ファイルの中身がこのどれでもありません）",
        "Choose a PDF, JPEG or PNG file (the file's content is none of these)",
    ),
    "executable": (
        "プログラム（実行ファイル）は添付できません。PDF、JPEG、PNGのファイルを選んでください",
        "A program (executable file) cannot be attached: choose a PDF, JPEG or PNG file",
    ),
    "too-many": (
        f"添付できるファイルは合わせて{MAX_ATTACHMENTS}つまでです。"
        "ほかのファイルを削除してから添付してください",
        f"You can attach {MAX_ATTACHMENTS} files in all: delete one before adding another",
    ),
    "kind-full": (
        "この書類のファイルは{count}つまでです。添付したファイルを削除してから添付してください",
        "You can attach {count} file(s) for this document: delete one before adding another",
    ),
    "kind": (
        "この手続で求めている書類を選んでアップロードしてください",
        "Upload one of the documents this procedure asks for",
    ),
}


class AttachmentRefused(ValidationFailed):
    """The uploaded file was deleted: `reason` is a key of REASONS, `kind` the document."""

    def __init__(self, reason, kind, count=1):
        self.reason, self.kind = reason, kind
        ja, en = reason_message(reason, count)
        super().__init__([FieldError(field_name(kind), ja, en)])


def reason_message(reason, count=1):
    ja, en = REASONS.get(reason, REASONS["type"])
    return ja.format(count=count), en.format(count=count)


def field_name(kind):
    """The field an error names (the page's file input is `attachment-<kind>`)."""
    return f"attachments.{kind}"


@dataclass(frozen=True)
class Draft:
    """What the attachments need of a draft: its 団体, its id and its procedure."""

    dantai: str
    id: str
    procedure: object  # domain.procedure.Procedure
    applicant: str = "本人"  # who applies: a 代理人 is asked for the power of attorney too

    def __post_init__(self):
        # the id is part of every key: anything but an id of ours names no draft
        if not (_DANTAI.match(self.dantai or "") and _DRAFT_ID.match(self.id or "")):
            raise NotFound("draft")
        if self.procedure.dantai != self.dantai:
            raise NotFound("draft")

    @property
    def prefix(self):
        return f"drafts/{self.dantai}/{self.id}/"


def _document(procedure, kind):
    """The procedure's attachment numbered `kind` (1, 2, …), or None."""
    # one spelling per document ("1", never "01"): the per-document count is by this text
    if not (isinstance(kind, str) and kind.isascii() and kind.isdigit() and kind[0] != "0"):
        return None
    number = int(kind)
    documents = procedure.attachments
    return documents[number - 1] if 1 <= number <= len(documents) else None


def sniff(head):
    """The media type the bytes say, "executable" for a program, or None."""
    for signature, (media, _, _) in SIGNATURES:
        if head.startswith(signature):
            return media
    if head.startswith(EXECUTABLES):
        return "executable"
    return None


def clean_name(name, media_type):
    """A name safe to show and to keep: no control characters or slashes, at most MAX_NAME
    characters, ending in an extension of the type found in the bytes."""
    text = unicodedata.normalize("NFC", name or "")
    text = "".join(c for c in text if unicodedata.category(c)[0] != "C" and c not in "/\\")
    text = text.strip().strip(".").strip() or "file"
    extensions = TYPES[media_type][1]
    stem, dot, suffix = text.rpartition(".")
    if not dot or f".{suffix.lower()}" not in extensions:
        stem, suffix = text, extensions[0][1:]
    return stem[: MAX_NAME - len(suffix) - 1] + "." + suffix


def size_label(size):
    if size >= _MB:
        return f"{size / _MB:.1f}MB"
    return f"{max(1, round(size / 1024))}KB"


def _view(procedure, stored, base):
    """A checked file as the page and the JSON show it."""
    kind, upload, name = stored.key[len(base) :].split("/", 2)
    document = _document(procedure, kind)
    media = next((m for m, (_, ext) in TYPES.items() if f".{name.rsplit('.', 1)[-1]}" in ext))
    return {
        "id": upload,
        "kind": kind,
        "kind_label": document.kind if document else "",
        "name": name,
        "size": stored.size,
        "size_label": size_label(stored.size),
        "type": media,
        "type_label": TYPES[media][0],
    }


def _parse(draft, key, folder):
    """(kind, upload, name) of a key in the draft's `folder`, or NotFound: a key of another
    団体 or draft (or anything else) is not this resident's."""
    base = f"{draft.prefix}{folder}/"
    if not isinstance(key, str) or not key.startswith(base):
        raise NotFound("attachment")
    parts = key[len(base) :].split("/")
    if len(parts) != 3 or not parts[0].isdigit() or not _UPLOAD.match(parts[1]):
        raise NotFound("attachment")
    return parts


def listing(store, draft):
    """The draft's checked files, by document, then in the order their forms were made."""
    base = f"{draft.prefix}files/"
    return [_view(draft.procedure, o, base) for o in store.list(base)]


def _counts(files):
    counts = {}
    for f in files:
        counts[f["kind"]] = counts.get(f["kind"], 0) + 1
    return counts


def upload_form(store, draft, kind, redirect_url):
    """The presigned POST for one document of the draft: {url, fields} for a plain HTML form
    (multipart/form-data, the fields as hidden inputs, then the `file` input last). S3
    refuses anything outside the policy: a key outside this draft's prefix for the document,
    more than MAX_BYTES, another Content-Type than application/octet-stream (what the
    unchecked upload is stored as), another redirect."""
    if _document(draft.procedure, kind) is None:
        raise NotFound("attachment kind")
    prefix = f"{draft.prefix}incoming/{kind}/{new_id()}/"
    fields = {
        "Content-Type": UPLOAD_CONTENT_TYPE,
        "success_action_redirect": redirect_url,
    }
    conditions = [
        {"Content-Type": UPLOAD_CONTENT_TYPE},
        ["content-length-range", 0, MAX_BYTES],  # 0: an empty file gets our own message
        {"success_action_redirect": redirect_url},
    ]
    # the key ends in ${filename}: S3 puts the chosen file's name there, and the policy
    # holds the prefix (botocore writes the starts-with condition)
    return store.presigned_post(prefix + "${filename}", fields, conditions, FORM_SECONDS)


def forms(store, draft, redirect_url, files=None):
    """Every document of the procedure with what may still be attached and, where a file may
    be added, its upload form: the upload page's content."""
    files = listing(store, draft) if files is None else files
    counts, total = _counts(files), len(files)
    found = []
    for number, document in enumerate(draft.procedure.attachments, 1):
        kind = str(number)
        left = max(0, min(document.count - counts.get(kind, 0), MAX_ATTACHMENTS - total))
        found.append(
            {
                "kind": kind,
                "label": document.kind,
                "count": document.count,
                "required": document.required_of(draft.applicant),
                "attached": counts.get(kind, 0),
                "remaining": left,
                "form": upload_form(store, draft, kind, redirect_url) if left else None,
            }
        )
    return found


def _refuse(store, key, reason, kind, count=1):
    store.delete(key)
    raise AttachmentRefused(reason, kind, count)


def check(store, draft, key):
    """After S3 sent the resident back: decide on the uploaded object from its bytes (PDF,
    JPEG or PNG only, whatever its name or declared type), its size, the documents the
    procedure asks for and the files already attached. Kept: moved to the draft's checked
    files with the type found, and returned as the page shows it. Refused: deleted, and
    AttachmentRefused says why. A key outside this draft is NotFound and left alone."""
    kind, upload, name = _parse(draft, key, "incoming")
    document = _document(draft.procedure, kind)
    if document is None:
        _refuse(store, key, "kind", kind)
    size = store.size(key)
    if not name or size == 0:
        _refuse(store, key, "no-file", kind)
    if size > MAX_BYTES:
        _refuse(store, key, "too-large", kind)
    media = sniff(store.head_bytes(key, SNIFF_BYTES))
    if media == "executable":
        _refuse(store, key, "executable", kind)
    if media not in TYPES:
        _refuse(store, key, "type", kind)
    files = listing(store, draft)
    if len(files) >= MAX_ATTACHMENTS:
        _refuse(store, key, "too-many", kind)
    if _counts(files).get(kind, 0) >= document.count:
        _refuse(store, key, "kind-full", kind, document.count)
    base = f"{draft.prefix}files/"
    target = f"{base}{kind}/{upload}/{clean_name(name, media)}"
    store.copy(key, target, media)
    store.delete(key)
    kept = next((f for f in listing(store, draft) if f["id"] == upload), None)
    if kept is None:
        raise NotFound("attachment")
    return kept


def delete(store, draft, file_id):
    """The resident deletes one of the draft's files (by its id); NotFound otherwise."""
    if not (isinstance(file_id, str) and _UPLOAD.match(file_id)):
        raise NotFound("attachment")
    keys = [o.key for o in store.list(f"{draft.prefix}files/") if f"/{file_id}/" in o.key]
    if not keys:
        raise NotFound("attachment")
    store.delete(*keys)


def missing(store, draft, files=None):
    """The required documents with no file yet (what the check-your-answers page lists)."""
    counts = _counts(listing(store, draft) if files is None else files)
    return [
        {"kind": str(n), "label": d.kind}
        for n, d in enumerate(draft.procedure.attachments, 1)
        if d.required_of(draft.applicant) and not counts.get(str(n))
    ]


def discard(store, draft):
    """Delete everything of the draft (it timed out or was abandoned); the lifecycle rule
    would otherwise do it within days."""
    store.delete(*[o.key for o in store.list(draft.prefix)])


def application_prefix(dantai, reference):
    if not _DANTAI.match(dantai or "") or parse_code(reference, REFERENCE_LENGTH) != reference:
        raise NotFound("application")
    return f"applications/{dantai}/{reference}/"


def move_to_application(store, draft, reference):
    """At submit: copy each checked file under the application's reference (what staff
    read), then delete the draft's objects, unchecked uploads included. Safe to run again
    after a failure half-way: what was copied stays, what is left is copied."""
    target = application_prefix(draft.dantai, reference)
    base = f"{draft.prefix}files/"
    for stored in store.list(base):
        view = _view(draft.procedure, stored, base)
        store.copy(stored.key, f"{target}{stored.key[len(base) :]}", view["type"])
    discard(store, draft)
    return for_application(store, draft.procedure, reference)


def for_application(store, procedure, reference):
    """The files of a submitted application, as the pages show them."""
    base = application_prefix(procedure.dantai, reference)
    return [dict(_view(procedure, o, base), key=o.key) for o in store.list(base)]


STAFF_LINK_SECONDS = 300  # a staff member's download link: five minutes, then ask again


def links_for_staff(store, procedure, reference):
    """The files of a submitted application with a download link each, valid
    STAFF_LINK_SECONDS (the console shows them to staff who may see personal data)."""
    return [
        dict(
            found,
            url=store.presigned_get(found["key"], STAFF_LINK_SECONDS, found["name"], found["type"]),
        )
        for found in for_application(store, procedure, reference)
    ]

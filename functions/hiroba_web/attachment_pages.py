"""The attachments page of a draft (添付書類): the files attached so far, each with a delete
button, and for each document the procedure asks for a form that posts the file straight to
the private bucket (a presigned POST: no script, no file through the app). A template of the
theme (theme/templates/app/attachments.html); its Content-Security-Policy lets its forms post
to the bucket's origin, and nowhere else but the site."""

from urllib.parse import urlsplit

from hiroba_core.security_headers import with_form_action
from hiroba_core.services.attachments import REASONS, reason_message

from .pages import copy_error_page, html

API = "/api/procedures"


def page_url(procedure_id):
    """The attachments page of the resident's draft for a procedure (on the site's origin)."""
    return f"{API}/attachments/{procedure_id}"


def landing_url(site_url, procedure_id):
    """Where S3 sends the browser after an upload (success_action_redirect: absolute)."""
    return f"{site_url}{page_url(procedure_id)}/uploaded"


def field_id(kind):
    """The id of a document's file input: the error summary links to it."""
    return f"attachment-{kind}"


def _origin(url):
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def upload_page(procedure, files, documents, missing, *, notice=None, refused=None, back_url):
    """`files` and `documents` as services.attachments lists them; `notice` is what the
    resident just did ({"added": name} or {"deleted": True}); `refused` = (reason, kind)
    after a file was refused."""
    errors = {}
    if refused and refused[0] in REASONS:
        reason, kind = refused
        document = next((d for d in documents if d["kind"] == kind), None)
        if document is not None:
            errors[kind] = reason_message(reason, document["count"])[0]
    origins = {_origin(d["form"]["url"]) for d in documents if d["form"]}
    headers = {"Content-Security-Policy": with_form_action(min(origins))} if origins else {}
    return html(
        "app/attachments.html",
        status=422 if errors else 200,
        headers=headers,
        title="添付書類",
        procedure=procedure,
        files=files,
        documents=documents,
        missing=missing,
        notice=notice or {},
        errors=errors,
        summary=[{"text": text, "href": f"#{field_id(kind)}"} for kind, text in errors.items()],
        delete_action=f"{page_url(procedure.id)}/delete",
        back_url=back_url,
    )


def error(problem, procedure_id=None):
    """No draft (or not this resident's file): what went wrong, in Japanese and English,
    as the refused links of mails show it."""
    return copy_error_page(problem)

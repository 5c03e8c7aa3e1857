"""Who may do what: the one authorization function of the staff's side.

A member of staff (tokens.Staff) belongs to one 団体 and, unless an admin of it, to one
department. Every record they ask for belongs to one 団体 and one department. Another
団体's record is NotFound (404: staff of one 団体 do not even learn that it exists);
another department's record of the same 団体 is Forbidden (403), and so is an action the
role does not allow. Services call `authorize` before they read or change anything.
"""

from .errors import Forbidden, NotFound

VIEWER, STAFF, APPROVER, ADMIN = "viewer", "staff", "approver", "admin"
_EVERYONE = frozenset({VIEWER, STAFF, APPROVER, ADMIN})
_WORKERS = frozenset({STAFF, APPROVER, ADMIN})

# permission -> (roles allowed, Japanese, English): docs/staff.md shows this table
PERMISSIONS = {
    "view": (_EVERYONE, "一覧と申請・意見を見る", "see lists, applications and comments"),
    "view_personal": (
        _EVERYONE,
        "申請者・意見提出者の個人情報を見る（監査記録に残る）",
        "see applicants' and commenters' personal data (recorded in the audit trail)",
    ),
    "change": (
        _WORKERS,
        "状態を変える・補正依頼を送る",
        "change a status, request a correction",
    ),
    "propose": (_WORKERS, "完了・却下を起案する", "propose 完了 or 却下"),
    "approve": (
        frozenset({APPROVER, ADMIN}),
        "起案された完了・却下を決裁する（起案者以外）",
        "approve a proposed 完了 or 却下 (not one's own)",
    ),
    "moderate": (
        _WORKERS,
        "意見の非表示・再表示、県の考え方の記入",
        "hide and restore comments, write the prefecture's response",
    ),
    "export": (_WORKERS, "CSV で書き出す", "export CSV"),
    "refund": (frozenset({APPROVER, ADMIN}), "返金する", "refund"),
    "send": (frozenset({APPROVER, ADMIN}), "メールマガジンを送信する", "send a newsletter issue"),
    "audit": (
        frozenset({ADMIN}),
        "団体の監査記録を見る・書き出す",
        "see and export the 団体's audit trail",
    ),
}


def authorize(staff, permission, dantai, department=None):
    """Return when `staff` may do `permission` on a record of `dantai` (and `department`;
    None: a 団体-wide thing, like its audit trail); NotFound or Forbidden otherwise."""
    roles = PERMISSIONS[permission][0]  # KeyError: an unknown permission is a bug
    if not dantai or staff.dantai != dantai:
        raise NotFound("record")
    if staff.role not in roles:
        raise Forbidden()
    if staff.role != ADMIN and department is not None and department != staff.department:
        raise Forbidden()


def may(staff, permission, dantai, department=None):
    """Whether authorize() would let `staff` through (for filtering lists and hiding buttons)."""
    try:
        authorize(staff, permission, dantai, department)
    except (NotFound, Forbidden):
        return False
    return True

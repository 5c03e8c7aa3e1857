"""docs/staff.md shows the roles × permissions table of hiroba_core.access as it is."""

from hiroba_core.access import PERMISSIONS
from infra.local.stack import ROOT

ROLES = ("viewer", "staff", "approver", "admin")


def test_the_roles_table_in_docs_is_the_code():
    text = (ROOT / "docs" / "staff.md").read_text("utf-8")
    for name, (allowed, ja, en) in PERMISSIONS.items():
        marks = " | ".join("○" if role in allowed else "—" for role in ROLES)
        assert f"| `{name}`: {ja} / {en} | {marks} |" in text, name

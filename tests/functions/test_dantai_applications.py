"""Every application belongs to the 団体 of its procedure: the intake writes the code on the
stored record, for a municipality's procedure as for the prefecture's."""

from hiroba_core.store.procedures import application_from_item

from .test_procedures_api import NAME, PHONE, applied, body

SENDAI = {
    "procedure": "sendai-jumin-yuso",
    "applicant": {
        "name": NAME,
        "kana": "みやぎ はなこ",
        "postal_code": "980-0803",
        "address": "仙台市青葉区国分町三丁目7番1号",
        "phone": PHONE,
    },
    "answers": {"copies": 2, "contents": "本人のみ", "purpose": "勤務先への提出"},
}


def _stored(procedures_db, accepted):
    client, table = procedures_db
    reference = accepted["reference"].replace("-", "")
    key = {"pk": {"S": f"APPLICATION#{reference}"}, "sk": {"S": "APPLICATION"}}
    return client.get_item(TableName=table, Key=key)["Item"]


def test_an_application_carries_the_code_of_its_procedures_dantai(procedures, procedures_db):
    municipal = applied(procedures, SENDAI)
    assert municipal["fee"] == 600  # 300 yen a copy, as Sendai charges
    item = _stored(procedures_db, municipal)
    assert item["dantai"] == {"S": "041009"}
    assert item["department"] == {"S": "kumin"}
    prefectural = _stored(procedures_db, applied(procedures, body()))
    assert prefectural["dantai"] == {"S": "040002"}


def test_a_record_written_before_dantai_existed_still_reads():
    item = {
        "reference": "ACEFGHJKMNPR",
        "procedure_id": "nozei-shomei",
        "department": "zeimu",
        "received_at": "2026-11-27T03:00:00+00:00",
        "fee": 400,
        "inquiry_hash": "0" * 64,
        "status": "received",
        "version": 1,
        "history": [],
    }
    assert application_from_item(item).dantai == ""

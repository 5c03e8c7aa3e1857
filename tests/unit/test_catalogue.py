"""The 団体 registry and the procedure catalogue as data: the check digit of the
全国地方公共団体コード, the real catalogue, and each problem the build reports at its line."""

import re
import shutil
import tomllib
from pathlib import Path

import pytest

from hiroba_core import catalogue
from hiroba_core.domain.dantai import check_digit, is_valid_code
from hiroba_core.domain.procedure import CATEGORIES, LIFE_EVENTS
from plugins.content_checks import catalogue_check

ROOT = Path(__file__).resolve().parents[2]
REGISTRY = ROOT / "content" / "registry"
MUNICIPALITIES = ROOT / "content" / "pages" / "municipalities"


# ---------------------------------------------------------------- the check digit


@pytest.mark.parametrize(
    "code",
    # published codes: the prefecture, its cities of every size, towns and the one village
    ["040002", "041009", "042021", "042153", "042072", "042161", "043028", "045811"]
    + ["044245", "046060", "010006", "130001", "090000", "110001"],
)
def test_published_codes_have_their_check_digit(code):
    assert is_valid_code(code)
    assert check_digit(code[:5]) == int(code[5])


@pytest.mark.parametrize(
    "code",
    ["040001", "041008", "042012", "04000", "0400020", "O40002", "０４０００２", 40002, None],
)
def test_a_mistyped_or_malformed_code_is_refused(code):
    assert not is_valid_code(code)


def test_the_check_digit_is_eleven_minus_the_remainder_last_digit():
    # 04100: 0*6 + 4*5 + 1*4 + 0*3 + 0*2 = 24, 24 % 11 = 2, 11 - 2 = 9
    assert check_digit("04100") == 9
    # a remainder of 0 gives 11 and 1 gives 10: the last digit, 1 and 0
    assert check_digit("11000") == 1 and check_digit("09000") == 0
    with pytest.raises(ValueError):
        check_digit("4100")


# ---------------------------------------------------------------- the real registry and catalogue


def test_the_registry_holds_the_prefecture_and_all_35_municipalities_with_their_pages():
    dantai = catalogue.parse_dantai((REGISTRY / "dantai.toml").read_text("utf-8"))
    assert dantai["040002"].name == "宮城県" and dantai["040002"].is_prefecture
    assert dantai["041009"].name == "仙台市" and dantai["041009"].kana == "せんだいし"
    municipal = [d for d in dantai.values() if not d.is_prefecture]
    assert len(municipal) == 35 and all(is_valid_code(code) for code in dantai)
    pages = {p.stem for p in MUNICIPALITIES.glob("*.md")} - {"index"}
    assert {d.page for d in municipal} == pages
    # the plan: the prefecture and 24 municipalities run the joint service
    assert sum(d.joint_service for d in municipal) == 24 and dantai["040002"].joint_service
    for entry in dantai.values():
        assert entry.email.endswith(".example"), entry.email  # never a real mailbox
        assert re.fullmatch(r"0\d{1,4}-\d{1,4}-\d{4}", entry.phone)


def test_the_catalogue_has_thirty_real_procedures_of_the_prefecture_and_six_municipalities():
    procedures = catalogue.load(catalogue.REPOSITORY)
    dantai = catalogue.load_dantai(catalogue.REPOSITORY)
    assert len(procedures) >= 30
    owners = {p.dantai for p in procedures.values()}
    assert "040002" in owners and len(owners - {"040002"}) >= 6
    assert all(dantai[code].joint_service for code in owners)
    # small towns as well as the big city
    assert {"041009", "043028", "045811"} <= owners
    assert {p.category for p in procedures.values()} == set(CATEGORIES)
    events = {e for p in procedures.values() for e in p.life_events}
    assert (
        {"引っ越し", "出産・子育て", "税金", "事業者", "講座・イベント"}
        <= events
        <= set(LIFE_EVENTS)
    )
    for procedure in procedures.values():
        assert procedure.eligibility and procedure.period and procedure.title_en
        assert set(procedure.applicants) <= {"本人", "代理人"} and procedure.applicants
        assert sum(a.count for a in procedure.attachments) <= 5
        assert procedure.processing_days >= 0 and procedure.fee >= 0
        procedure.title.encode("cp932")  # handset pages are Shift_JIS
    jumin = procedures["sendai-jumin-yuso"]
    assert (jumin.fee, jumin.fee_per, jumin.department) == (300, "copies", "kumin")
    assert jumin.fee_for({"copies": 2}) == 600 and "代理人" in jumin.applicants
    assert procedures["osaki-koseki-yuso"].fee == 450
    assert procedures["kojin-joho-kaiji"].signature is True
    genkyo = procedures["sendai-jidoteate-genkyo"]
    assert (genkyo.open_from.isoformat(), genkyo.open_until.isoformat()) == (
        "2027-06-01",
        "2027-06-30",
    )


def test_the_real_content_passes_the_build_check():
    assert catalogue_check.problems(ROOT / "content") == []


# ---------------------------------------------------------------- problems at path:line


@pytest.fixture
def content(tmp_path):
    root = tmp_path / "content"
    shutil.copytree(REGISTRY, root / "registry")
    shutil.copytree(MUNICIPALITIES, root / "pages" / "municipalities")
    return root


def _edit(path, old, new):
    text = path.read_text("utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), "utf-8")
    return text.count("\n", 0, text.index(old)) + 1  # the line the edit is on


def _one(content):
    found = catalogue_check.problems(content)
    assert len(found) == 1, found
    return found[0]


@pytest.mark.parametrize(
    ("file", "old", "new", "message"),
    [
        (
            "procedures.toml",
            'dantai = "042021"',
            'dantai = "042022"',
            "団体コード 042022 は6桁で、最後の検査数字が合いません",
        ),
        (
            "procedures.toml",
            'dantai = "045811"',
            'dantai = "070009"',  # 福島県: a valid code, but not a 団体 of this service
            "団体コード 070009 は dantai.toml にありません",
        ),
        (
            "procedures.toml",
            'department = "kumin"',
            'department = "kuminka"',
            "担当課「kuminka」は dantai.toml の [041009.departments] にありません",
        ),
        (
            "procedures.toml",
            'department = "kenseijoho"',
            'department = "johokokai"',
            "担当課「johokokai」は departments.toml にありません",
        ),
        (
            "procedures.toml",
            'category = "ごみ・環境"',
            'category = "ごみ"',
            "分類「ごみ」は",
        ),
        (
            "procedures.toml",
            'life_events = ["講座・イベント"]',
            'life_events = ["イベント"]',
            "ライフイベント「イベント」は",
        ),
        ("procedures.toml", "fee = 450", "fee = 450.0", "fee（手数料）は0以上の整数（円）です"),
        ("procedures.toml", "fee = 5200", "fee = -5200", "fee（手数料）は0以上の整数（円）です"),
        (
            "procedures.toml",
            'applicants = ["本人"]',
            'applicants = ["家族"]',
            "申請できる人「家族」は 本人 か 代理人 です",
        ),
        (
            "procedures.toml",
            "count = 3",
            "count = 6",
            "count（ファイルの数）は1から5までです",
        ),
        (
            "procedures.toml",
            'when = "代理人"',
            'when = "家族"',
            "when（この書類が要る申請者）は applicants にある種類（本人・代理人）を書きます",
        ),
        (
            "procedures.toml",
            "open_until = 2027-05-10",
            "open_until = 2027-03-31",
            "受付の終わりが始まりより前です",
        ),
        (
            "procedures.toml",
            "processing_days = 15",
            'processing_days = "15日"',
            "processing_days（標準処理期間）は0以上の日数です",
        ),
        (
            "dantai.toml",
            '["042030"]',
            '["042031"]',
            "団体コード 042031 は6桁で、最後の検査数字が合いません",
        ),
        (
            "dantai.toml",
            'kana = "みやぎけん"',
            'kana = "ミヤギケン"',
            "kana はひらがなで書きます",
        ),
        (
            "dantai.toml",
            'phone = "0224-37-2111"',
            'phone = "37-2111"',
            "phone は 022-211-2111 のように書きます",
        ),
    ],
)
def test_each_problem_is_reported_on_its_line(content, file, old, new, message):
    path = content / "registry" / file
    line = _edit(path, old, new)
    where, at, text = _one(content)
    assert (where, at) == (str(path), line)
    assert message in text


def test_procedures_of_a_dantai_outside_the_joint_service_are_reported_each(content):
    registry = content / "registry"
    text = (registry / "procedures.toml").read_text("utf-8")
    lines = [n for n, line in enumerate(text.splitlines(), 1) if line == 'dantai = "043028"']
    assert len(lines) == 2  # 七ヶ宿町's two procedures
    _edit(
        registry / "dantai.toml",
        'page = "shichikashuku-machi"\njoint_service = true',
        'page = "shichikashuku-machi"\njoint_service = false',
    )
    found = catalogue_check.problems(content)
    assert [(where, at) for where, at, _ in found] == [
        (str(registry / "procedures.toml"), line) for line in lines
    ]
    assert all("七ヶ宿町（043028）は共同電子申請サービスに参加していません" in m for *_, m in found)


def test_a_name_that_differs_from_the_page_is_reported_on_the_registry_line(content):
    path = content / "registry" / "dantai.toml"
    line = _edit(path, 'kana = "おながわまち"', 'kana = "おながわちょう"')
    where, at, text = _one(content)
    assert (where, at) == (str(path), line)
    assert "onagawa-machi.md の Kana「おながわまち」と違います" in text


def test_a_municipality_page_without_a_registry_entry_is_reported(content):
    page = content / "pages" / "municipalities" / "sendai-shi.md"
    _edit(page, "Slug: sendai-shi", "Slug: sendai")
    where, at, text = _one(content)
    assert (where, at) == (str(page), 1)
    assert "市町村のページ sendai が registry/dantai.toml にありません" in text


def test_a_broken_toml_file_is_one_problem_at_its_line(content):
    path = content / "registry" / "procedures.toml"
    line = _edit(path, 'title = "保有個人情報の開示請求"', 'title = "保有個人情報の開示請求')
    where, at, text = _one(content)
    assert (where, at) == (str(path), line)
    assert "書き方に誤りがあります" in text


def test_the_loader_refuses_the_same_problems_with_every_line(content):
    _edit(content / "registry" / "procedures.toml", "fee = 450", "fee = -1")
    _edit(content / "registry" / "procedures.toml", 'category = "税金"', 'category = "税"')
    with pytest.raises(catalogue.CatalogueError) as refused:
        catalogue.load(content / "registry" / "procedures.toml")
    assert len(refused.value.problems) == 2
    assert all(
        re.match(r"procedures\.toml:\d+: \[", line) for line in str(refused.value).split("\n")
    )
    data = tomllib.loads((REGISTRY / "procedures.toml").read_text("utf-8"))
    assert data["osaki-koseki-yuso"]["fee"] == 450  # the repository's file is untouched

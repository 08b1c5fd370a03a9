"""The self-check helps the anchor. Its corrected copy (复制修改后版本) reads as a script: a
rewording fits where the words stood, overlapping hits are replaced once, advice is a marked
comment on a line of its own after its sentence, and no rewording claims what the anchor did not
say. The page lets an anchor pick one of their registered products, so origin and certification
claims are checked against its facts, and shows limits in units people read."""

from __future__ import annotations

import re
import shutil

import httpx
import pytest
from api_server import running
from docx_samples import damaged_docx, docx_bomb, docx_document
from playwright.sync_api import expect
from ui_login import log_in
from ui_site import open_page, shot

from api import create_app
from api.core.errors import ApiError
from api.core.limits import check_text_size
from monitor import LexiconError, load_lexicon
from monitor.checking.corrected_copy import corrected_copy
from monitor.data_files import data_dir
from monitor.lexicon.entries import CONFIG_FILES
from monitor.settings import Settings
from monitor.sizes import readable_size
from monitor.store.api_keys import create_key
from monitor.store.db import open_db
from monitor.store.registry import add_anchor, add_product, add_workshop
from monitor.store.store_lists import list_scripts

ADVICE_LINE = "【建议 / advice："


def _corrected(checker, text: str, **how) -> str:
    return corrected_copy(text, checker.check(text, **how).to_dict()["hits"])


@pytest.mark.parametrize(
    "script, expected",
    [
        # two hits in one sentence, both with a rewording
        ("这款黄酒口感最醇，是我喝过最好喝的。", "这款黄酒口感很醇，是我喝过很好喝的。"),
        # 全网最 and 最甜 overlap: one replacement, not two run together
        ("全网最甜的杨梅，今天就在直播间。", "很甜的杨梅，今天就在直播间。"),
        # an origin claim loses its place name, and nothing is added in its stead
        ("这是正宗的西湖龙井，欢迎品尝。", "这是正宗的龙井，欢迎品尝。"),
        # English: the rewording takes the capital of the words it replaces
        ("Best in the world, this tea.", "Really good, this tea."),
        # nothing found: the script comes back as it was
        ("欢迎来到直播间，今天给大家介绍杨梅。", "欢迎来到直播间，今天给大家介绍杨梅。"),
    ],
)
def test_rewordings_replace_the_words_where_they_stand(checker, script, expected):
    assert _corrected(checker, script) == expected


def test_advice_follows_its_sentence_on_a_line_of_its_own(checker):
    script = "吃了能降血压，老人小孩都适合。接下来看看杨梅。"
    copy = _corrected(checker, script)
    first, advice, rest = copy.split("\n")
    assert first == "吃了能降血压，老人小孩都适合。"
    assert advice.startswith(f"{ADVICE_LINE}“降血压”——") and advice.endswith("】")
    assert rest == "接下来看看杨梅。"


def test_words_that_run_across_a_rewording_get_one_piece_of_advice(checker):
    """加我微信 has a rewording, 微信私聊 has none and overlaps it: the place is advised once."""
    copy = _corrected(checker, "有问题加我微信私聊。")
    assert copy.split("\n") == [
        "有问题加我微信私聊。",
        f"{ADVICE_LINE}“加我微信私聊”——有问题在平台内私信客服】",
    ]


def test_a_script_of_several_lines_keeps_its_lines_and_puts_advice_under_each(checker):
    script = "这款珍珠是天然珍珠，颜色最亮。\n喝了这个酒能治病，还能降血压！\n想要的加我微信。"
    lines = _corrected(checker, script).split("\n")
    assert lines[0] == "这款珍珠是珍珠，颜色很亮。"
    assert lines[1] == "喝了这个酒能治病，还能降血压！"
    assert [line.split("——")[0] for line in lines[2:4]] == [
        f"{ADVICE_LINE}“治病”",
        f"{ADVICE_LINE}“降血压”",
    ]
    assert lines[4] == "想要的联系平台客服。"
    assert len(lines) == 5


SCRIPTS = [
    "这款黄酒是全网最好喝的，口感最醇，喝了能降血压。原价199今天只要59！有问题加我微信。",
    "家人们，我们的杨梅是最好吃的，纯天然无添加，老人小孩都能吃，吃了还能降血糖。",
    "这款面霜是医用面膜同款配方，零刺激，美白祛斑，一抹就白，全网最低价。",
    "珍珠是天然海水珍珠，开过光的，戴上能转运招财，越放越值钱，只剩最后三单！",
]


@pytest.mark.parametrize("script", SCRIPTS)
def test_no_advice_is_pasted_into_a_sentence(checker, script):
    report = checker.check(script).to_dict()
    copy = corrected_copy(script, report["hits"])
    advice = {h["suggestion"] for h in report["hits"] if not h["rewording"]}
    for line in copy.split("\n"):
        if line.startswith(ADVICE_LINE):
            assert line.endswith("】") and line.count(ADVICE_LINE) == 1
        else:
            assert ADVICE_LINE not in line
            assert not any(text in line for text in advice), line


@pytest.mark.parametrize("script", SCRIPTS)
def test_checked_again_the_corrected_copy_holds_only_the_problems_it_advises_on(checker, script):
    copy = _corrected(checker, script)
    said = "\n".join(line for line in copy.split("\n") if not line.startswith(ADVICE_LINE))
    quoted = "".join(line for line in copy.split("\n") if line.startswith(ADVICE_LINE))
    for hit in checker.check(said, profile="default").hits:
        if hit.source == "lexicon":
            assert hit.text in quoted, (hit.text, copy)


# --- the rewordings in the lexicon data ---------------------------------------------------------


def test_no_shipped_rewording_is_itself_a_claim_the_checker_finds(checker):
    for entry in checker.lexicon.entries:
        if not entry.rewording:
            continue
        for product_class in [None, *(c for c in entry.applies_to if c != "all")]:
            report = checker.check(entry.rewording, product_class=product_class)
            assert not report.hits, (entry.id, entry.rewording, product_class)


def test_the_lexicon_says_which_suggestions_are_drop_in_rewordings(checker):
    entries = checker.lexicon.entries
    reworded = [e for e in entries if e.rewording]
    assert len(reworded) >= 150
    assert len(entries) - len(reworded) >= 800  # the rest is advice only


@pytest.fixture()
def lexicon_folder(tmp_path):
    for name in CONFIG_FILES:
        shutil.copy(data_dir("lexicons") / f"{name}.yaml", tmp_path / f"{name}.yaml")
    return tmp_path


ENTRY = """
category: medical_claims
entries:
  - id: t-jiangxueya
    term: 降血压
    severity: high
    basis: ["《广告法》第十七条"]
    explanation: 宣称降血压
    suggestion: 不谈血压
    rewording: {rewording}
"""


@pytest.mark.parametrize(
    "rewording, problem",
    [
        ("低钠配方", "asserts what the anchor did not say (配方, 低钠)"),
        ("很多老顾客回购", "asserts what the anchor did not say (回购, 老顾客)"),
        ("糖度18度", "holds a figure"),
        ("口感好（如实描述）", "holds a note"),
        ("每天××克", "holds a note, a placeholder"),
        ("轻松降血压", "repeats the term '降血压'"),
        ("清淡的口感让一家老小都吃得开心", "longer than 12 characters"),
    ],
)
def test_a_rewording_that_says_more_than_the_anchor_is_rejected(lexicon_folder, rewording, problem):
    (lexicon_folder / "user.yaml").write_text(ENTRY.format(rewording=rewording), encoding="utf-8")
    with pytest.raises(LexiconError) as caught:
        load_lexicon(folder=lexicon_folder)
    assert any(
        "t-jiangxueya" in p and f"rewording '{rewording}'" in p and problem in p
        for p in caught.value.problems
    ), caught.value.problems


def test_a_plain_rewording_loads(lexicon_folder):
    text = ENTRY.replace("降血压", "最好吃").format(rewording="很好吃")
    (lexicon_folder / "user.yaml").write_text(text, encoding="utf-8")
    assert [e.rewording for e in load_lexicon(folder=lexicon_folder).entries] == ["很好吃"]


# --- the self-check page, through the real server and a browser ---------------------------------


# Two workshops, an anchor in each, and their products: the anchor A1 sells P1 and P3.
PRODUCTS = [
    {
        "product_id": "P1", "name": "梁弄杨梅", "workshop_id": "W1",
        "origin": "浙江省宁波市余姚市梁弄镇",
        "certifications": [{"type": "geographical_indication", "number": "AGI00861"}],
    },
    {"product_id": "P2", "name": "四明山云雾茶", "workshop_id": "W2", "product_class": "tea"},
    {"product_id": "P3", "name": "梁弄黄酒", "workshop_id": "W1", "product_class": "alcohol"},
]  # fmt: skip


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    path = tmp_path_factory.mktemp("selfcheck") / "q.db"
    db = open_db(path)
    for workshop, anchor in (("W1", "A1"), ("W2", "A2")):
        add_workshop(db, workshop, f"工坊 {workshop}", "余姚市")
        add_anchor(db, anchor, f"主播 {anchor}", workshop)
    for product in PRODUCTS:
        add_product(db, **product)
    keys = {
        "anchor": create_key(db, "anchor", "A1", actor="test")[1],
        "regulator": create_key(db, "regulator", label="张科长", actor="test")[1],
    }
    with running(create_app(path, Settings(db=str(path)))) as base:
        yield {"base": base, "db": db, "keys": keys}


def test_the_anchor_copies_a_corrected_script_that_reads_as_a_script(browser, site):
    page = open_page(browser, site, site["keys"]["anchor"])
    page.goto("/ui/self-check")
    page.fill("#script", "这款黄酒口感最醇，是我喝过最好喝的。\n吃了能降血压，老人小孩都适合。")
    page.click("#check-button")
    expect(page.locator("#corrected")).to_be_visible()
    page.click("#copy-corrected")
    expect(page.locator("#copy-status")).to_contain_text("已复制")
    assert page.evaluate("navigator.clipboard.readText()").split("\n") == [
        "这款黄酒口感很醇，是我喝过很好喝的。",
        "吃了能降血压，老人小孩都适合。",
        "【建议 / advice：“降血压”——不谈血压；只说商品本身（口感、配料、吃法），血压问题请遵医嘱】",
    ]
    expect(page.locator(".hit-card .rewording").first).to_contain_text("很醇")
    shot(page, "self-check-corrected")


def test_the_page_shows_its_size_limit_in_units_people_read(browser, site):
    page = open_page(browser, site, site["keys"]["anchor"])
    page.goto("/ui/self-check")
    expect(page.locator("#size-limit")).to_have_text(re.compile(r"大小上限\s*size limit\s*10 MiB"))


def test_the_anchor_picks_a_registered_product_and_its_origin_claims_are_checked(browser, site):
    page = open_page(browser, site, site["keys"]["anchor"])
    page.goto("/ui/self-check")
    offered = page.locator("#product option").evaluate_all("options => options.map(o => o.value)")
    assert offered == ["", "P1", "P3"]  # their workshop's products, not another workshop's P2
    page.fill("#script", "我们的杨梅产自慈溪，是有机杨梅。")
    page.select_option("#product", "P1")
    page.click("#check-button")
    expect(page.locator("#checked-against")).to_contain_text("梁弄杨梅")
    expect(page.locator("#checked-against")).to_contain_text("地理标志 AGI00861")
    cards = page.locator(".hit-card")
    expect(cards.filter(has_text="产自慈溪")).to_contain_text("facts-origin")
    expect(cards.filter(has_text="有机杨梅")).to_contain_text("facts-certification-organic")
    shot(page, "self-check-product")


def test_a_registered_alcohol_product_brings_the_alcohol_advertising_article(browser, site):
    page = open_page(browser, site, site["keys"]["anchor"])
    page.goto("/ui/self-check")
    page.fill("#script", "家人们一口干了，今晚不醉不归！")
    page.select_option("#product", "P3")
    page.click("#check-button")
    card = page.locator(".hit-card", has_text="不醉不归")
    expect(card).to_contain_text("《广告法》第二十三条第一项")


def _form_token(client: httpx.Client, key: str) -> str:
    log_in(client, key)
    page = client.get("/ui/self-check")
    return re.search(r'name="csrf" value="([0-9a-f]+)"', page.text).group(1)


def test_an_anchor_cannot_check_against_another_workshops_product(site):
    with httpx.Client(base_url=site["base"]) as client:
        token = _form_token(client, site["keys"]["anchor"])
        refused = client.post(
            "/ui/self-check", data={"csrf": token, "text": "云雾茶产自四明山。", "product": "P2"}
        )
    assert refused.status_code == 400
    assert "不是可选的登记产品" in refused.text


def test_a_regulator_may_pick_any_registered_product(site):
    with httpx.Client(base_url=site["base"]) as client:
        log_in(client, site["keys"]["regulator"])
        page = client.get("/ui/self-check")
    assert re.findall(r'<option value="(P\d)"', page.text) == ["P1", "P2", "P3"]


def test_a_script_submitted_for_pre_review_keeps_its_product(site):
    with httpx.Client(base_url=site["base"]) as client:
        token = _form_token(client, site["keys"]["anchor"])
        submitted = client.post(
            "/ui/self-check/submit",
            data={"csrf": token, "text": "梁弄杨梅，酸甜可口。", "product": "P1"},
        )
    assert submitted.status_code == 201
    assert list_scripts(site["db"], anchor_id="A1")[0][0]["product_id"] == "P1"


def _upload(site, name: str, data: bytes) -> httpx.Response:
    with httpx.Client(base_url=site["base"], timeout=60) as client:
        token = _form_token(client, site["keys"]["anchor"])
        files = {"file": (name, data, "application/octet-stream")}
        return client.post("/ui/self-check", data={"csrf": token}, files=files)


def test_the_page_refuses_a_docx_bomb_with_413_and_says_why(site):
    answer = _upload(site, "bomb.docx", docx_bomb())
    assert answer.status_code == 413
    assert "文档解压后超过 32 MiB 上限" in answer.text
    assert "Traceback" not in answer.text


def test_the_page_refuses_a_damaged_docx_with_422(site):
    answer = _upload(site, "damaged.docx", damaged_docx())
    assert answer.status_code == 422
    assert "不是有效的 .docx 文件" in answer.text


def test_the_page_refuses_a_text_over_the_character_limit_with_413(site):
    limit = Settings().api_max_check_chars
    with httpx.Client(base_url=site["base"], timeout=60) as client:
        token = _form_token(client, site["keys"]["anchor"])
        answer = client.post("/ui/self-check", data={"csrf": token, "text": "杨" * (limit + 1)})
    assert answer.status_code == 413
    assert f"超过单次检测 {limit} 字上限" in answer.text


def test_the_page_reads_a_real_docx(site):
    answer = _upload(site, "script.docx", docx_document())
    assert answer.status_code == 200
    assert "全网最低价" in answer.text


@pytest.mark.parametrize(
    "size, shown",
    [
        (900, "900 B"),
        (1536, "1.5 KiB"),
        (2000, "1.95 KiB"),
        (10 * 1024**2, "10 MiB"),
        (2 * 1024**3, "2 GiB"),
    ],
)
def test_sizes_are_shown_in_units_people_read(size, shown):
    assert readable_size(size) == shown


def test_a_text_over_the_limit_names_the_limit_in_mib():
    with pytest.raises(ApiError) as caught:
        check_text_size("杨" * (4 * 1024**2), 10 * 1024**2)
    assert caught.value.status_code == 413
    assert "文本超过 10 MiB 上限（12 MiB）" in caught.value.message
    assert caught.value.extra == {"limit_bytes": 10 * 1024**2, "size_bytes": 12 * 1024**2}

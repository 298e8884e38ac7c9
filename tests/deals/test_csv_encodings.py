"""issue 14 item 12: the deal list's CSV in three encodings — UTF-8, UTF-8 with a BOM (Excel) and Shift_JIS
(CP932, for older Excel) — each with its own file name, on the page and through the API alike.

Shift_JIS cannot hold every character a deal may carry. Decision: the download never fails for it. The usual
look-alikes that CP932 spells with another code point (〜 WAVE DASH → ～, ¥ → ￥, — EM DASH → ―, …) are written
as CP932's own character; anything else CP932 lacks (emoji, 𠮷) becomes 〓 (the geta mark), which the page says
next to the link. A wrong `encoding` is refused with a 400 that says which values exist.
"""

import csv
import io

import pytest
from django.utils import timezone

from deals import csv_export
from tests.factories import DealFactory, DealTypeFactory

CSV_URL = "/deals/export.csv"
API_URL = "/api/v1/deals/export/"
LIST_URL = "/deals/"
BOM = b"\xef\xbb\xbf"


@pytest.fixture
def deal_type(world_a):
    return DealTypeFactory(tenant=world_a.tenant, name="標準")


def _get(client, url, **params):
    response = client.get(url, params)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return response, body


def _rows(body: bytes, encoding: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body.decode(encoding))))


def _filename(response) -> str:
    disposition = response["Content-Disposition"]
    assert disposition.startswith('attachment; filename="') and disposition.isascii()
    return disposition.removeprefix('attachment; filename="').removesuffix('"')


@pytest.mark.parametrize("url", [CSV_URL, API_URL])
def test_the_three_variants_have_distinct_file_names(world_a, url):
    today = f"{timezone.localdate():%Y%m%d}"
    client = world_a.client()

    names = {
        variant: _filename(_get(client, url, **params)[0])
        for variant, params in {
            "plain": {},
            "bom": {"bom": "1"},
            "utf8-explicit": {"encoding": "utf-8"},
            "bom-explicit": {"encoding": "utf-8-sig"},
            "sjis": {"encoding": "cp932"},
        }.items()
    }

    assert names["plain"] == names["utf8-explicit"] == f"deals-{today}-utf8.csv"
    assert names["bom"] == names["bom-explicit"] == f"deals-{today}-utf8-bom.csv"
    assert names["sjis"] == f"deals-{today}-sjis.csv"


@pytest.mark.parametrize("url", [CSV_URL, API_URL])
def test_shift_jis_is_cp932_with_japanese_headers_and_no_bom(world_a, deal_type, url):
    DealFactory(tenant=world_a.tenant, deal_type=deal_type, name="①髙橋様 保守契約", partner_name="株式会社髙橋")

    response, body = _get(world_a.client(), url, encoding="cp932")

    assert response.status_code == 200 and response["Content-Type"] == "text/csv; charset=shift_jis"
    assert not body.startswith(BOM)
    rows = _rows(body, "cp932")
    assert rows[0][:4] == ["案件名", "案件タイプ", "フェーズ", "取引先"]
    assert rows[1][0] == "①髙橋様 保守契約" and rows[1][3] == "株式会社髙橋"


@pytest.mark.parametrize("url", [CSV_URL, API_URL])
def test_characters_shift_jis_lacks_never_fail_the_download(world_a, deal_type, url):
    DealFactory(
        tenant=world_a.tenant, deal_type=deal_type, name="寿司🍣の会 10時〜12時 ¥3,000—税込", partner_name="𠮷野家−支店"
    )

    response, body = _get(world_a.client(), url, encoding="cp932")

    assert response.status_code == 200
    row = _rows(body, "cp932")[1]
    assert row[0] == "寿司〓の会 10時～12時 ￥3,000―税込"  # emoji → 〓; 〜 ¥ — → CP932's ～ ￥ ―
    assert row[3] == "〓野家－支店"  # 𠮷 is not in CP932; MINUS SIGN → FULLWIDTH HYPHEN-MINUS


def test_a_character_split_across_chunks_is_kept_whole(world_a, deal_type, monkeypatch):
    monkeypatch.setattr(csv_export, "CHUNK_BYTES", 7)  # cuts the three-byte UTF-8 characters apart
    names = [f"案件{n}・髙橋〜" for n in range(5)]
    for name in names:
        DealFactory(tenant=world_a.tenant, deal_type=deal_type, name=name)

    _response, body = _get(world_a.client(), CSV_URL, encoding="cp932", sort="name")

    assert sorted(row[0] for row in _rows(body, "cp932")[1:]) == sorted(n.replace("〜", "～") for n in names)


def test_every_look_alike_is_one_cp932_refuses_and_maps_to_one_it_has():
    for source, target in csv_export.CP932_LOOK_ALIKES.items():
        target.encode("cp932")
        with pytest.raises(UnicodeEncodeError):
            source.encode("cp932")


def test_the_utf8_variants_keep_every_character(world_a, deal_type):
    DealFactory(tenant=world_a.tenant, deal_type=deal_type, name="寿司🍣 𠮷 〜")
    client = world_a.client()

    _response, plain = _get(client, CSV_URL)
    _response, with_bom = _get(client, CSV_URL, encoding="utf-8-sig")

    assert with_bom == BOM + plain and _rows(plain, "utf-8")[1][0] == "寿司🍣 𠮷 〜"


def test_an_unknown_encoding_on_the_page_is_a_400_that_names_the_choices(world_a):
    response = world_a.client().get(CSV_URL, {"encoding": "latin-1"})

    page = response.content.decode()
    assert response.status_code == 400 and "utf-8-sig" in page and "cp932" in page
    assert "その文字を取り除いて" not in page


def test_an_unknown_encoding_through_the_api_is_a_400_in_the_error_format(world_a):
    response = world_a.client().get(API_URL, {"encoding": "sjis"})

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid" and "cp932" in error["message"] and "encoding" in error["details"]


@pytest.mark.parametrize("url", [CSV_URL, API_URL])
def test_bom_with_another_encoding_is_refused_rather_than_guessed(world_a, url):
    response = world_a.client().get(url, {"bom": "1", "encoding": "cp932"})

    assert response.status_code == 400 and "bom=1" in response.content.decode()


def test_the_list_offers_the_three_downloads_with_its_filters(world_a):
    body = world_a.client().get(LIST_URL, {"stage": "won"}).content.decode()

    assert f'href="{CSV_URL}?stage=won"' in body
    assert f'href="{CSV_URL}?stage=won&amp;bom=1"' in body
    assert f'href="{CSV_URL}?stage=won&amp;encoding=cp932"' in body
    assert "Shift_JIS（旧いExcel用）" in body
    assert "Shift_JISで表せない文字（絵文字など）は「〓」に置き換えます" in body


def test_the_api_schema_documents_the_encoding_choices(world_a):
    schema = world_a.client().get("/api/schema/", {"format": "json"}).json()
    parameters = schema["paths"]["/api/v1/deals/export/"]["get"]["parameters"]
    encoding = next(p for p in parameters if p["name"] == "encoding")

    assert sorted(encoding["schema"]["enum"]) == ["cp932", "utf-8", "utf-8-sig"]

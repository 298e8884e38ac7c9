"""Realistic Japanese master data for a new sandbox company, in freee's response shapes.

Tax codes: 21 (sales_with_tax) and 34 (purchase_with_tax) are the schema's own examples; the 10% / 8%(軽)
codes follow freee's published numbering (129/156 sales, 136/163 purchases).
"""

from __future__ import annotations

from datetime import date

# (code, name, name_ja, display_category, available)
TAX_CODES = [
    (2, "non_taxable", "対象外", None, True),
    (21, "sales_with_tax", "課税売上", "tax_8", False),
    (23, "sales_without_tax", "非課売上", None, True),
    (34, "purchase_with_tax", "課対仕入", "tax_8", False),
    (37, "purchase_without_tax", "非課仕入", None, True),
    (129, "sales_with_tax_10", "課税売上10%", "tax_10", True),
    (136, "purchase_with_tax_10", "課対仕入10%", "tax_10", True),
    (156, "sales_with_tax_r8", "課税売上8%（軽）", "tax_r8", True),
    (163, "purchase_with_tax_r8", "課対仕入8%（軽）", "tax_r8", True),
    (189, "purchase_with_tax_10_e80", "課対仕入10%（控80）", "tax_10_e80", True),
]

# (id offset, name, shortcut, category, category_id, default tax code, income partner, expense partner)
ACCOUNT_ITEMS = [
    (1, "現金", "GENKIN", "現金・預金", 1, 2, None, None),
    (2, "普通預金", "FUTSUU", "現金・預金", 1, 2, None, None),
    (3, "売掛金", "URIKAKE", "売上債権", 2, 2, None, None),
    (4, "仮払消費税", "KARIBARAI", "他流動資産", 3, 2, None, None),
    (5, "買掛金", "KAIKAKE", "仕入債務", 4, 2, None, None),
    (6, "未払金", "MIBARAI", "他流動負債", 5, 2, None, None),
    (7, "預り金", "AZUKARI", "他流動負債", 5, 2, None, None),
    (8, "仮受消費税", "KARIUKE", "他流動負債", 5, 2, None, None),
    (9, "売上高", "URIAGE", "売上高", 6, 129, 3, None),
    (10, "仕入高", "SHIIRE", "売上原価", 7, 136, None, 5),
    (11, "通信費", "TSUUSHIN", "経費", 8, 136, None, 6),
    (12, "消耗品費", "SHOUMOU", "経費", 8, 136, None, 6),
    (13, "旅費交通費", "RYOHI", "経費", 8, 136, None, 6),
    (14, "外注費", "GAICHUU", "経費", 8, 136, None, 6),
    (15, "支払手数料", "TESUURYOU", "経費", 8, 136, None, 6),
    (16, "会議費", "KAIGI", "経費", 8, 136, None, 6),
    (17, "広告宣伝費", "KOUKOKU", "経費", 8, 136, None, 6),
]

# (name, long_name, kana, shortcut1, title, prefecture_code, street)
PARTNERS = [
    ("青葉商事", "株式会社青葉商事", "アオバショウジ", "AOBA", "御中", 12, "千代田区丸の内1-1-1"),
    ("いろは物産", "いろは物産株式会社", "イロハブッサン", "IROHA", "御中", 12, "中央区日本橋2-3-4"),
    ("うみかぜ運輸", "株式会社うみかぜ運輸", "ウミカゼウンユ", "UMIKAZE", "御中", 13, "横浜市中区山下町5"),
    ("エール設計", "合同会社エール設計", "エールセッケイ", "YELL", "御中", 12, "港区芝公園3-2-1"),
    ("大空システム", "大空システム株式会社", "オオゾラシステム", "OOZORA", "御中", 12, "渋谷区道玄坂1-12-1"),
    ("かもめ印刷", "株式会社かもめ印刷", "カモメインサツ", "KAMOME", "御中", 26, "大阪市北区梅田1-1-3"),
    ("北斗電機", "北斗電機株式会社", "ホクトデンキ", "HOKUTO", "御中", 0, "札幌市中央区北1条西2"),
    ("くすのき製作所", "株式会社くすのき製作所", "クスノキセイサクショ", "KUSU", "御中", 22, "名古屋市中村区名駅4-7-1"),
    ("けやき不動産", "けやき不動産株式会社", "ケヤキフドウサン", "KEYAKI", "御中", 10, "さいたま市大宮区桜木町1-7"),
    ("小林デザイン事務所", "小林デザイン事務所", "コバヤシデザインジムショ", "KOBA", "様", 12, "世田谷区三軒茶屋2-11"),
    ("さくら食品", "さくら食品株式会社", "サクラショクヒン", "SAKURA", "御中", 39, "福岡市博多区博多駅前3-2"),
    ("しらかば観光", "株式会社しらかば観光", "シラカバカンコウ", "SHIRAKABA", "御中", 19, "長野市大字南長野1"),
    ("すずらん薬局", "有限会社すずらん薬局", "スズランヤッキョク", "SUZURAN", "御中", 3, "仙台市青葉区一番町4-1"),
    ("せせらぎ農園", "せせらぎ農園", "セセラギノウエン", "SESERAGI", "様", 8, "宇都宮市本町1-2"),
    ("そよかぜ保育", "社会福祉法人そよかぜ保育", "ソヨカゼホイク", "SOYOKAZE", "御中", 11, "千葉市中央区富士見2-3"),
    ("高橋工務店", "株式会社高橋工務店", "タカハシコウムテン", "TAKAHASHI", "御中", 12, "練馬区豊玉北5-1"),
    ("つばさ航空サービス", "つばさ航空サービス株式会社", "ツバサコウクウサービス", "TSUBASA", "御中", 12,
     "大田区羽田空港3-3"),
    ("テクノ未来", "株式会社テクノ未来", "テクノミライ", "TECHNO", "御中", 25, "京都市下京区烏丸通七条下る"),
    ("ときわ商店", "ときわ商店", "トキワショウテン", "TOKIWA", "御中", 27, "神戸市中央区三宮町1-5"),
    ("なでしこ美容室", "なでしこ美容室", "ナデシコビヨウシツ", "NADESHIKO", "様", 12, "杉並区阿佐谷南1-3"),
    ("日本橋コンサルティング", "日本橋コンサルティング株式会社", "ニホンバシコンサルティング", "NIHONBASHI", "御中", 12,
     "中央区日本橋室町2-1"),
    ("ぬくもり家具", "株式会社ぬくもり家具", "ヌクモリカグ", "NUKUMORI", "御中", 20, "岐阜市橋本町1-10"),
    ("ねむの木クリニック", "医療法人ねむの木クリニック", "ネムノキクリニック", "NEMU", "御中", 33,
     "広島市中区紙屋町1-1"),
    ("野村ソフトウェア", "野村ソフトウェア株式会社", "ノムラソフトウェア", "NOMURA", "御中", 12, "新宿区西新宿2-8-1"),
    ("はなみずき出版", "株式会社はなみずき出版", "ハナミズキシュッパン", "HANAMIZUKI", "御中", 12, "文京区本郷3-4"),
]


def today_text() -> str:
    return date.today().isoformat()


def tax_objects() -> list[dict]:
    """The company's tax codes as GET /api/1/taxes/companies/{id} returns them."""
    return [{"code": code, "name": name, "name_ja": name_ja, "display_category": category, "available": available}
            for code, name, name_ja, category, available in TAX_CODES]


def account_item_objects(base_id: int, walletable_ids: dict[str, int]) -> list[dict]:
    """Account items with their 収入/支出取引相手勘定科目 (売上高→売掛金, 仕入高→買掛金)."""
    names = {offset: name for offset, name, *_ in ACCOUNT_ITEMS}
    items = []
    for offset, name, shortcut, category, category_id, tax_code, income, expense in ACCOUNT_ITEMS:
        walletable = {"現金": walletable_ids["wallet"], "普通預金": walletable_ids["bank_account"]}.get(name)
        items.append({
            "id": base_id + offset, "name": name, "tax_code": tax_code, "shortcut": shortcut,
            "shortcut_num": str(100 + offset), "default_tax_code": tax_code, "account_category": category,
            "account_category_id": category_id, "categories": [category], "available": True,
            "walletable_id": walletable, "group_name": name, "group_id": category_id,
            "corresponding_income_name": names.get(income),
            "corresponding_income_id": base_id + income if income else None,
            "corresponding_expense_name": names.get(expense),
            "corresponding_expense_id": base_id + expense if expense else None,
            "update_date": today_text(),
        })
    return items


def partner_object(*, partner_id: int, company_id: int, index: int, row: tuple) -> dict:
    """One partner in GET /api/1/partners shape."""
    name, long_name, kana, shortcut1, title, prefecture, street = row
    return {
        "id": partner_id, "code": f"P{index:04d}", "company_id": company_id, "name": name,
        "update_date": today_text(), "available": True, "shortcut1": shortcut1, "shortcut2": str(500 + index),
        "org_code": 2 if title == "様" else 1, "country_code": "JP", "long_name": long_name, "name_kana": kana,
        "default_title": title, "phone": f"03-1234-{index:04d}", "contact_name": "経理ご担当者",
        "email": f"billing{index}@example.com", "payer_walletable_id": None, "transfer_fee_handling_side": "payer",
        "qualified_invoice_issuer": index % 3 != 0,
        "invoice_registration_number": f"T{1000000000000 + index}" if index % 3 != 0 else None,
        "address_attributes": {"zipcode": f"100-{index:04d}", "prefecture_code": prefecture,
                               "street_name1": street, "street_name2": None},
        "partner_doc_setting_attributes": {"sending_method": "email"},
        "partner_bank_account_attributes": {
            "bank_name": None, "bank_name_kana": None, "bank_code": None, "branch_name": None,
            "branch_kana": None, "branch_code": None, "account_type": None, "account_number": None,
            "account_name": None, "long_account_name": None},
    }


def walletable_objects(base_id: int) -> list[dict]:
    """普通預金 (bank), 現金 (wallet) and a corporate card."""
    rows = [(1, "みずほ銀行 普通預金", 3, "bank_account"), (2, "現金", None, "wallet"),
            (3, "法人カード", None, "credit_card")]
    return [{"id": base_id + offset, "name": name, "bank_id": bank_id, "type": kind, "update_date": today_text()}
            for offset, name, bank_id, kind in rows]


def template_objects(base_id: int) -> list[dict]:
    return [{"id": base_id + 1, "name": "標準テンプレート"}, {"id": base_id + 2, "name": "シンプル（振込先あり）"}]


def user_object(user_id: int) -> dict:
    return {"id": user_id, "email": "sandbox-owner@example.com", "display_name": "サンドボックス 太郎",
            "first_name": "太郎", "last_name": "サンドボックス", "first_name_kana": "タロウ",
            "last_name_kana": "サンドボックス"}


# Further members of every sandbox company (GET /api/1/users), deterministic: (e-mail, last, first, kana last, first).
MEMBERS = [
    ("keiri@example.com", "経理", "花子", "ケイリ", "ハナコ"),
    ("bucho@example.com", "部長", "一郎", "ブチョウ", "イチロウ"),
    ("tanto@example.com", "担当", "次郎", "タントウ", "ジロウ"),
]


def member_objects(owner_id: int) -> list[dict]:
    """The owner's colleagues, with ids following the owner's."""
    return [{"id": owner_id + offset, "email": email, "display_name": f"{last} {first}", "first_name": first,
             "last_name": last, "first_name_kana": first_kana, "last_name_kana": last_kana}
            for offset, (email, last, first, last_kana, first_kana) in enumerate(MEMBERS, start=1)]


def approval_route_objects(base_id: int, user_id: int) -> list[dict]:
    """Two routes: 支払依頼 (predefined user → anyone) and a generic 稟議 route."""
    step1, step2 = base_id * 10 + 1, base_id * 10 + 2
    payment = {
        "id": base_id + 1, "name": "支払依頼（経理承認）",
        "description": "経理部長が承認し、最後に誰でも承認できます。",
        "user_id": user_id, "definition_system": False, "first_step_id": step1, "usages": ["PaymentRequest"],
        "request_form_ids": [], "default_route": True,
        "steps": [
            {"id": step1, "next_step_id": step2, "resource_type": "predefined_user", "users_ids": [user_id],
             "approver_determination_type": None, "group": None, "position_types": [], "switching_rules": []},
            {"id": step2, "next_step_id": None, "resource_type": "unspecified", "users_ids": [],
             "approver_determination_type": None, "group": None, "position_types": [], "switching_rules": []},
        ],
    }
    step3 = base_id * 10 + 3
    general = {
        "id": base_id + 2, "name": "各種申請（部長承認）", "description": "各種申請用の経路です。",
        "user_id": user_id, "definition_system": True, "first_step_id": step3, "usages": ["ApprovalRequest"],
        "request_form_ids": [], "default_route": False,
        "steps": [{"id": step3, "next_step_id": None, "resource_type": "predefined_user", "users_ids": [user_id],
                   "approver_determination_type": None, "group": None, "position_types": [],
                   "switching_rules": []}],
    }
    return [payment, general]

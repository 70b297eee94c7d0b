"""Unified social credit code checks (GB 32100-2015, GB 11714-1997), DOMAIN §3."""

import pytest

from factories.creditcode import (
    CreditCodeError,
    credit_code_check_char,
    make_credit_code,
    organisation_code_check_char,
    validate_credit_code,
)

# Codes printed on real business licences; each also passes the position-17 check, which a made-up
# code with a correct position 18 passes only by a 1-in-11 chance.
PUBLISHED_CODES = [
    "91350100M000100Y43",
    "91110000600037341L",
    "914403001922038216",
    "91440300708461136T",
    "91330100716105852F",
    "12440600MB2C07549J",
]


@pytest.mark.parametrize("code", PUBLISHED_CODES)
def test_published_codes_are_accepted_unchanged(code: str) -> None:
    assert validate_credit_code(code) == code


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        (" 91110000600037341l ", "91110000600037341L"),
        ("\t91350100m000100y43\n", "91350100M000100Y43"),
        ("９１１１００００６０００３７３４１Ｌ", "91110000600037341L"),
    ],
)
def test_code_typed_with_spaces_lower_case_or_full_width_is_stored_normalised(
    typed: str, stored: str
) -> None:
    assert validate_credit_code(typed) == stored


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("", "请填写统一社会信用代码。"),
        ("   ", "请填写统一社会信用代码。"),
        ("9111000060003734L", "统一社会信用代码应为18位，当前为17位。"),
        ("91110000600037341LL", "统一社会信用代码应为18位，当前为19位。"),
        ("9111 0000 600037341L", "统一社会信用代码应为18位，当前为20位。"),
        ("91110000600037341I", "含有不允许的字符“I”（统一社会信用代码不使用 I、O、S、V、Z）。"),
        ("91110000600O37341L", "含有不允许的字符“O”（统一社会信用代码不使用 I、O、S、V、Z）。"),
        ("9S110000600037341L", "含有不允许的字符“S”（统一社会信用代码不使用 I、O、S、V、Z）。"),
        ("V1110000600037341L", "含有不允许的字符“V”（统一社会信用代码不使用 I、O、S、V、Z）。"),
        ("91110000Z00037341L", "含有不允许的字符“Z”（统一社会信用代码不使用 I、O、S、V、Z）。"),
        ("9111000060003734-L", "含有不允许的字符“-”（统一社会信用代码只能由数字0-9和大写英文字母组成）。"),
        ("91110000600037341信", "含有不允许的字符“信”（统一社会信用代码只能由数字0-9和大写英文字母组成）。"),
        ("9111A000600037341L", "第3-8位（登记管理机关行政区划码）应为6位数字，实际为“11A000”。"),
        ("91110000600037341M", "第18位校验码错误：应为L，实际为M。"),
        ("91110000600037351L", "第18位校验码错误：应为M，实际为L。"),
        ("91350100M000100Y44", "第18位校验码错误：应为3，实际为4。"),
        # Position 18 is right for these 17 characters, but position 17 is not M000100Y's own check digit.
        ("91500000MA5U00000W", "第17位（组织机构代码校验码）错误：应为3，实际为0。"),
        ("91500000MA5U000049", "第17位（组织机构代码校验码）错误：应为3，实际为4。"),
    ],
)
def test_invalid_code_is_rejected_with_a_chinese_explanation(code: str, message: str) -> None:
    with pytest.raises(CreditCodeError) as raised:
        validate_credit_code(code)
    assert raised.value.message == message
    assert str(raised.value) == message


def test_credit_code_error_is_a_value_error_so_form_validators_can_catch_it() -> None:
    with pytest.raises(ValueError, match="18位"):
        validate_credit_code("123")


@pytest.mark.parametrize(
    ("first17", "check"),
    [
        # 9·1+1·3+1·9+1·27+6·20+3·8+7·24+3·10+4·30+1·28 = 538; 538 mod 31 = 11; 31 − 11 = 20 → "L"
        ("91110000600037341", "L"),
        # 9·1+1·3+3·9+5·27+1·26+M(21)·20+1·8+Y(30)·30+4·28 = 1640; 1640 mod 31 = 28; 31 − 28 = 3 → "3"
        ("91350100M000100Y4", "3"),
        # sum 0 → 31 − 0 = 31 ≡ 0 → "0" (the mod-31 wrap that naive implementations miss)
        ("00000000000000000", "0"),
        # sum 1 → 30 → "Y", the last character of the set
        ("10000000000000000", "Y"),
        ("91110000600037341".lower(), "L"),
    ],
)
def test_credit_code_check_char_follows_gb_32100(first17: str, check: str) -> None:
    assert credit_code_check_char(first17) == check


@pytest.mark.parametrize(
    ("body8", "check"),
    [
        # 6·3+0·7+0·9+0·10+3·5+7·8+3·4+4·2 = 109; 109 mod 11 = 10; 11 − 10 = 1
        ("60003734", "1"),
        # M(22)·3+1·5+Y(34)·2 = 139; 139 mod 11 = 7; 11 − 7 = 4 (GB 11714 values letters A=10…Z=35)
        ("M000100Y", "4"),
        # M(22)·3+A(10)·7+5·9+U(30)·10 = 481; 481 mod 11 = 8; 11 − 8 = 3
        ("MA5U0000", "3"),
        # 4·3 = 12; 12 mod 11 = 1; 11 − 1 = 10 → "X"
        ("40000000", "X"),
        # sum 0 → 11 → "0"
        ("00000000", "0"),
    ],
)
def test_organisation_code_check_char_follows_gb_11714(body8: str, check: str) -> None:
    assert organisation_code_check_char(body8) == check


@pytest.mark.parametrize("first17", ["9111000060003734", "911100006000373411", "9111000060003734I"])
def test_credit_code_check_char_refuses_anything_but_17_code_characters(first17: str) -> None:
    with pytest.raises(CreditCodeError):
        credit_code_check_char(first17)


@pytest.mark.parametrize("body8", ["6000373", "600037341", "6000373Z"])
def test_organisation_code_check_char_refuses_anything_but_8_code_characters(body8: str) -> None:
    with pytest.raises(CreditCodeError):
        organisation_code_check_char(body8)


@pytest.mark.parametrize(
    ("prefix2", "division6", "org8", "code"),
    [
        ("91", "110000", "60003734", "91110000600037341L"),
        ("91", "350100", "M000100Y", "91350100M000100Y43"),
        ("91", "500103", "MA5U0000", "91500103MA5U00003N"),
        ("Y1", "500000", "40000000", "Y150000040000000XN"),
        ("92", "500000", "00000000", "925000000000000002"),
    ],
)
def test_make_credit_code_builds_a_code_that_validates(
    prefix2: str, division6: str, org8: str, code: str
) -> None:
    assert make_credit_code(prefix2, division6, org8) == code
    assert validate_credit_code(code) == code


@pytest.mark.parametrize(
    ("prefix2", "division6", "org8", "message"),
    [
        ("9", "500000", "MA5U0000", "登记管理部门代码和机构类别代码应为2位，当前为1位。"),
        ("9I", "500000", "MA5U0000", "含有不允许的字符“I”（统一社会信用代码不使用 I、O、S、V、Z）。"),
        ("91", "50000", "MA5U0000", "登记管理机关行政区划码应为6位，当前为5位。"),
        ("91", "50000A", "MA5U0000", "第3-8位（登记管理机关行政区划码）应为6位数字，实际为“50000A”。"),
        ("91", "500000", "MA5U000", "组织机构代码本体应为8位，当前为7位。"),
        ("91", "500000", "MA5U000O", "含有不允许的字符“O”（统一社会信用代码不使用 I、O、S、V、Z）。"),
    ],
)
def test_make_credit_code_refuses_parts_of_the_wrong_shape(
    prefix2: str, division6: str, org8: str, message: str
) -> None:
    with pytest.raises(CreditCodeError) as raised:
        make_credit_code(prefix2, division6, org8)
    assert raised.value.message == message

"""Every text of the indicator catalogue and of the pure validation code exists in English too."""

from __future__ import annotations

import copy
import pickle
import re
from decimal import Decimal as D

import pytest

from factories.creditcode import CreditCodeError, make_credit_code, validate_credit_code
from factories.indicators import CATALOGUES, GBT36132_2018, Message, validate_raw
from reporting.values import parse_raw_values

CJK = re.compile(r"[\u2e80-\u2fdf\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")
CATALOGUE_LIST = sorted(CATALOGUES.values(), key=lambda catalogue: catalogue.version)


def english(text: str) -> bool:
    return bool(text.strip()) and not CJK.search(text)


@pytest.mark.parametrize("catalogue", CATALOGUE_LIST, ids=lambda catalogue: catalogue.version)
def test_every_raw_field_has_an_english_label_help_text_and_unit(catalogue) -> None:  # type: ignore[no-untyped-def]
    for raw_field in catalogue.raw_fields:
        assert english(raw_field.label_en), raw_field.name
        assert english(raw_field.help_en), raw_field.name
        assert english(raw_field.unit_en), raw_field.name
        assert raw_field.help_zh and raw_field.unit


@pytest.mark.parametrize("catalogue", CATALOGUE_LIST, ids=lambda catalogue: catalogue.version)
def test_every_indicator_has_an_english_name_formula_and_unit(catalogue) -> None:  # type: ignore[no-untyped-def]
    for indicator in catalogue.indicators:
        assert english(indicator.name_en), indicator.code
        assert english(indicator.formula_en), indicator.code
        # A ratio without a unit (the plot ratio) has none in either language.
        assert bool(indicator.unit_en) == bool(indicator.unit), indicator.code
        assert not CJK.search(indicator.unit_en), indicator.code


def test_catalogue_units_are_translated_not_copied() -> None:
    assert GBT36132_2018.raw_field("output_value").unit_en == "10k yuan"
    assert GBT36132_2018.raw_field("waste_gas").unit_en == "10k Nm³"
    assert GBT36132_2018.indicator("LI-03").unit_en == "10k yuan/mu"
    assert GBT36132_2018.indicator("EL-01").unit_en == "tce/10k yuan"
    assert GBT36132_2018.indicator("CP-01").unit_en == "kg/10k yuan"


def test_a_message_is_its_chinese_text_and_carries_the_english_one() -> None:
    message = Message("用地面积必须大于0。", "Site area must be greater than 0.")
    assert message == "用地面积必须大于0。" and str(message) == "用地面积必须大于0。"
    assert type(str(message)) is str
    assert message.zh == "用地面积必须大于0。"
    assert message.en == "Site area must be greater than 0."
    for twin in (pickle.loads(pickle.dumps(message)), copy.deepcopy(message)):
        assert (twin, twin.en) == (message, message.en)


def test_validation_messages_of_the_catalogue_exist_in_both_languages() -> None:
    errors = validate_raw(
        {"site_area": D("100"), "footprint_area": D("200"), "output_value": D(0), "cod": D(-1)}
    )
    messages = [text for texts in errors.values() for text in texts]
    assert len(messages) == 3
    for message in messages:
        assert isinstance(message, Message) and CJK.search(message) and english(message.en)
    assert errors["cod"] == ["化学需氧量产生量不能为负数（当前为 -1 kg）。"]
    assert errors["cod"][0].en == "COD generated cannot be negative (currently -1 kg)."
    assert errors["output_value"][0].en == (
        "Gross industrial output value (current prices) must be greater than 0 (currently 0 10k yuan)."
    )


@pytest.mark.parametrize(
    "value",
    ["abc", True, "Infinity", "1.1234567", "1" * 16],
    ids=["text", "bool", "inf", "decimals", "large"],
)
def test_parse_messages_exist_in_both_languages(value) -> None:  # type: ignore[no-untyped-def]
    _, errors = parse_raw_values(GBT36132_2018, {"output_value": value, "no_such_field": "1"})
    for texts in errors.values():
        (message,) = texts
        assert isinstance(message, Message) and CJK.search(message) and english(message.en)


@pytest.mark.parametrize(
    "code",
    [
        "",
        "123",
        "91110000600037341I",
        "91110000600037341#",
        "91AB0000600037341L",
        "91110000600037341A",
        "91350100M000100X43",
    ],
)
def test_credit_code_messages_exist_in_both_languages(code: str) -> None:
    with pytest.raises(CreditCodeError) as caught:
        validate_credit_code(code)
    message = caught.value.message
    assert isinstance(message, Message) and CJK.search(message) and english(message.en)


def test_credit_code_part_messages_name_the_part_in_each_language() -> None:
    with pytest.raises(CreditCodeError) as caught:
        make_credit_code("9", "500103", "MA5U0000")
    assert caught.value.message == "登记管理部门代码和机构类别代码应为2位，当前为1位。"
    assert caught.value.message.en == (
        "The registration authority and organisation type code has 2 characters; this one has 1."
    )

"""Unit normalisation and exact conversion (indicators.units). No database."""

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dezhou_carbon.exceptions import ApplicationError
from indicators.units import UnitError, convert, is_known_unit, normalize_unit, unit_family


@pytest.mark.parametrize(
    ("_case", "value", "from_unit", "to_unit", "expected"),
    [
        ("t to kg", "1.5", "t", "kg", "1500"),
        ("kg to t", "1234", "kg", "t", "1.234"),
        ("kg to 万t is exact", "1", "kg", "万t", "0.0000001"),
        ("万t to t", "2.25", "万t", "t", "22500"),
        ("kWh to 万kWh", "12345", "kWh", "万kWh", "1.2345"),
        ("MWh to 万kWh", "1", "MWh", "万kWh", "0.1"),
        ("亿kWh to 万kWh", "3.2", "亿kWh", "万kWh", "32000"),
        ("万kWh to MWh", "0.5", "万kWh", "MWh", "5"),
        ("m³ to 万m³", "8000", "m³", "万m³", "0.8"),
        ("亿m³ to 万m³", "0.01", "亿m³", "万m³", "100"),
        ("MJ to GJ", "2500", "MJ", "GJ", "2.5"),
        ("GJ to MJ", "1.001", "GJ", "MJ", "1001"),
        ("元 to 万元", "123456", "元", "万元", "12.3456"),
        ("亿元 to 万元", "1.23", "亿元", "万元", "12300"),
        ("万元 to 亿元", "5", "万元", "亿元", "0.0005"),
        ("same unit", "7.10", "t", "t", "7.10"),
        ("negative values convert too", "-2", "万元", "元", "-20000"),
        (
            "24 significant digits stay exact",
            "123456789012345678.123456",
            "万t",
            "kg",
            "1234567890123456781234560",
        ),
        ("alias 吨 to kg", "2", "吨", "kg", "2000"),
        ("alias 公斤 to 吨", "500", "公斤", "吨", "0.5"),
        ("alias 千克", "1000", "千克", "t", "1"),
        ("alias 万吨", "1", "万吨", "t", "10000"),
        ("alias 度", "10000", "度", "万kWh", "1"),
        ("alias 千瓦时", "1", "千瓦时", "kWh", "1"),
        ("alias 万千瓦时", "1", "万千瓦时", "kWh", "10000"),
        ("alias 兆瓦时", "10", "兆瓦时", "万kWh", "1"),
        ("alias 亿千瓦时", "1", "亿千瓦时", "MWh", "100000"),
        ("alias upper KWH", "20000", "KWH", "万kWh", "2"),
        ("alias lower mwh", "3", "mwh", "kWh", "3000"),
        ("ASCII m3", "50000", "m3", "万m³", "5"),
        ("ASCII 万m3", "1", "万m3", "m³", "10000"),
        ("10^4m3", "1", "10^4m3", "m³", "10000"),
        ("立方米", "10000", "立方米", "万m³", "1"),
        ("万立方米", "2", "万立方米", "万m³", "2"),
        ("吉焦", "1", "吉焦", "MJ", "1000"),
        ("兆焦", "1000", "兆焦", "GJ", "1"),
        ("百万千焦 is GJ", "4", "百万千焦", "GJ", "4"),
        ("spaces stripped", "1", " 万 kWh ", "kWh", "10000"),
        ("full-width letters", "1", "ｋＷｈ", "kWh", "1"),
    ],
)
def test_convert(_case, value, from_unit, to_unit, expected):
    result = convert(Decimal(value), from_unit, to_unit)

    assert isinstance(result, Decimal)
    assert result == Decimal(expected)


@pytest.mark.parametrize(
    ("_case", "unit"),
    [
        ("percent", "%"),
        ("full-width percent", "％"),
        ("square metre", "m²"),
        ("megawatt", "MW"),
        ("tonnes of coal equivalent", "tce"),
        ("intensity", "tce/万元"),
        ("an unknown unit equal to itself", "吨CO2/万元"),
    ],
)
def test_pass_through_only_when_equal(_case, unit):
    assert convert(Decimal("12.5"), unit, unit) == Decimal("12.5")


@pytest.mark.parametrize(
    ("_case", "from_unit", "to_unit", "fragment_zh", "fragment_en"),
    [
        (
            "mass into electricity",
            "kg",
            "万kWh",
            "单位“kg”无法换算为“万kWh”",
            "Unit 'kg' cannot be converted to '万kWh'",
        ),
        ("money into mass", "万元", "t", "无法换算", "cannot be converted"),
        ("percent into megawatt", "%", "MW", "“%”", "'%'"),
        ("tce is not converted", "tce", "t", "“tce”", "'tce'"),
        ("square metre into volume", "m²", "m³", "“m²”", "'m²'"),
        ("unknown source unit", "桶", "t", "无法识别单位“桶”", "Unknown unit '桶'"),
        ("unknown target unit", "t", "磅", "无法识别单位“磅”", "Unknown unit '磅'"),
        ("different unknown units", "吨CO2", "tCO2e", "无法识别", "Unknown unit"),
        ("heat into electricity", "GJ", "kWh", "“GJ”", "'GJ'"),
    ],
)
def test_convert_refused(_case, from_unit, to_unit, fragment_zh, fragment_en):
    with pytest.raises(UnitError) as caught:
        convert(Decimal(1), from_unit, to_unit)

    error = caught.value
    assert isinstance(error, ApplicationError)
    assert error.code == "bad_unit"
    assert fragment_zh in error.message_zh
    assert fragment_en in error.message_en
    assert error.as_dict()["message_en"] == error.message_en


@pytest.mark.parametrize(
    ("_case", "value"),
    [("float", 1.5), ("string", "1.5"), ("bool", True)],
)
def test_convert_refuses_non_decimal(_case, value):
    with pytest.raises(TypeError):
        convert(value, "t", "kg")


@pytest.mark.parametrize(
    ("_case", "text", "expected"),
    [
        ("canonical", "万m³", "万m³"),
        ("ASCII m3", "m3", "m³"),
        ("ASCII 万m3", "万m3", "万m³"),
        ("power notation", "10^4m3", "万m³"),
        ("superscript via NFKC", "m³", "m³"),
        ("吨", "吨", "t"),
        ("千克", "千克", "kg"),
        ("公斤", "公斤", "kg"),
        ("万吨", "万吨", "万t"),
        ("千瓦时", "千瓦时", "kWh"),
        ("度", "度", "kWh"),
        ("万千瓦时", "万千瓦时", "万kWh"),
        ("兆瓦时", "兆瓦时", "MWh"),
        ("亿千瓦时", "亿千瓦时", "亿kWh"),
        ("立方米", "立方米", "m³"),
        ("万立方米", "万立方米", "万m³"),
        ("吉焦", "吉焦", "GJ"),
        ("兆焦", "兆焦", "MJ"),
        ("百万千焦", "百万千焦", "GJ"),
        ("upper case", "KWH", "kWh"),
        ("lower case", "mwh", "MWh"),
        ("mixed case", "Gj", "GJ"),
        ("surrounding spaces", "  t  ", "t"),
        ("inner spaces", "万 元", "万元"),
        ("full-width percent", "％", "%"),
        ("unknown is stripped only", "  吨CO2/万元 ", "吨CO2/万元"),
        ("empty", "", ""),
    ],
)
def test_normalize_unit(_case, text, expected):
    assert normalize_unit(text) == expected


@pytest.mark.parametrize(
    ("_case", "unit", "known", "family"),
    [
        ("mass", "吨", True, "mass"),
        ("electricity", "度", True, "electricity"),
        ("volume", "m3", True, "volume"),
        ("heat", "吉焦", True, "heat"),
        ("money", "亿元", True, "money"),
        ("pass-through", "tce", True, None),
        ("unknown", "桶", False, None),
    ],
)
def test_known_units_and_families(_case, unit, known, family):
    assert is_known_unit(unit) is known
    assert unit_family(unit) == family


_FAMILIES = {
    "mass": ["kg", "t", "万t"],
    "electricity": ["kWh", "MWh", "万kWh", "亿kWh"],
    "volume": ["m³", "万m³", "亿m³"],
    "heat": ["MJ", "GJ"],
    "money": ["元", "万元", "亿元"],
}


@settings(max_examples=200, deadline=None)
@given(
    data=st.data(),
    value=st.decimals(
        min_value=Decimal("-1e18"), max_value=Decimal("1e18"), places=6, allow_nan=False
    ),
)
def test_round_trip_is_exact(data, value):
    family = data.draw(st.sampled_from(sorted(_FAMILIES)))
    a = data.draw(st.sampled_from(_FAMILIES[family]))
    b = data.draw(st.sampled_from(_FAMILIES[family]))

    there = convert(value, a, b)

    assert convert(there, b, a) == value

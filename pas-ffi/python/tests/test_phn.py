"""DOMAIN §1 PHN through the FFI: parse, mask, batch checks, typed errors."""
import pytest

import pas


def test_s1_example_phn_parses_with_or_without_spaces():
    for text in ("9698658215", "9698 658 215", " 9698658215 "):
        phn = pas.parse_phn(text)
        assert phn.digits == "9698658215"
        assert phn.masked == "*******215"


def test_s1_phn_prints_masked_only():
    phn = pas.parse_phn("9698658215")
    assert str(phn) == "Phn(*******215)"
    assert "9698658215" not in repr(phn)


@pytest.mark.parametrize("text,code", [
    ("9698658216", "invalid_phn"),   # check digit
    ("8698658215", "invalid_phn"),   # first digit
    ("969865821", "invalid_phn"),    # length
    ("96986582a5", "invalid_phn"),   # non-digit
    ("", "missing_field"),
])
def test_s1_invalid_phn_raises_typed_error_with_field_and_code(text, code):
    with pytest.raises(pas.PasError.InvalidField) as e:
        pas.parse_phn(text)
    assert e.value.field == "phn"
    assert e.value.code == code
    assert isinstance(e.value, pas.PasError)
    if text:
        assert text not in str(e.value)


def test_s1_mask_any_text():
    assert pas.mask_phn("9698 658 215") == "*******215"
    assert pas.mask_phn("12") == "*******"


def test_s1_check_phns_batch_names_each_rule_in_order():
    got = pas.check_phns(["9698658215", "", "96986582a5", "969865821", "8698658215",
                          "9698658216"])
    assert got == [pas.PhnCheck.VALID, pas.PhnCheck.EMPTY, pas.PhnCheck.NON_DIGIT,
                   pas.PhnCheck.WRONG_LENGTH, pas.PhnCheck.FIRST_DIGIT_NOT9,
                   pas.PhnCheck.CHECK_DIGIT_MISMATCH]


def test_s1_no_check_digit_rule():
    # Remainder 0 or 1: find one among consecutive bodies, then check the FFI names the rule.
    checks = pas.check_phns([f"9{body:08d}0" for body in range(200)])
    assert pas.PhnCheck.NO_CHECK_DIGIT in checks


def test_count_valid_phns_agrees_with_check_phns():
    phns = [f"9{body:08d}{d}" for body in range(50) for d in range(10)]
    checks = pas.check_phns(phns)
    assert pas.count_valid_phns(phns) == sum(c == pas.PhnCheck.VALID for c in checks)
    assert pas.count_valid_phns([]) == 0


def test_s1_check_phn_lines_gives_one_code_per_line():
    codes = pas.check_phn_lines("9698658215\r\n\n96986582a5\n9698 658 216\n")
    assert isinstance(codes, bytes)
    assert [pas.PhnCheck(c) for c in codes] == [pas.PhnCheck.VALID, pas.PhnCheck.EMPTY,
                                               pas.PhnCheck.NON_DIGIT,
                                               pas.PhnCheck.CHECK_DIGIT_MISMATCH]
    assert pas.check_phn_lines("") == b""

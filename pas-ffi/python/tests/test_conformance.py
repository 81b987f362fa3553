"""Conformance: thousands of generated records (pas-ffi/examples/conformance_corpus.rs) give,
through the FFI, exactly the verdicts and codes pas-core gives natively."""
import pas

from conftest import AS_OF

# pas-core's PhnError variant (as the corpus names it) for each batch verdict.
RULE = {
    pas.PhnCheck.VALID: "Valid",
    pas.PhnCheck.EMPTY: "Empty",
    pas.PhnCheck.NON_DIGIT: "NonDigit",
    pas.PhnCheck.WRONG_LENGTH: "Length",
    pas.PhnCheck.FIRST_DIGIT_NOT9: "FirstDigit",
    pas.PhnCheck.NO_CHECK_DIGIT: "NoCheckDigit",
    pas.PhnCheck.CHECK_DIGIT_MISMATCH: "CheckDigit",
}


def issue_tuples(issues):
    return [(i.field, i.code, i.detail) for i in issues]


def expected_issues(record):
    return [(i["field"], i["code"], i["detail"]) for i in record["issues"]]


def test_corpus_is_large_and_mixed(corpus):
    assert corpus["as_of"] == AS_OF
    phns, regs = corpus["phns"], corpus["registrations"]
    assert len(phns) + len(regs) + len(corpus["households"]) >= 5000
    assert 500 < sum(p["valid"] for p in phns) < len(phns) - 500
    assert 300 < sum(not r["issues"] for r in regs) < len(regs) - 300
    assert len({r["reasons"][0] for r in regs if r["reasons"]}) >= 8


def test_phn_batch_verdicts_equal_native(corpus):
    phns = corpus["phns"]
    got = pas.check_phns([p["input"] for p in phns])
    assert [RULE[g] for g in got] == [p["rule"] for p in phns]


def test_phn_lines_verdicts_equal_native(corpus):
    # The one-text batch: only inputs without line breaks or surrounding whitespace that
    # `str.splitlines` and Rust's `lines` would treat differently.
    phns = [p for p in corpus["phns"] if "\n" not in p["input"] and "\r" not in p["input"]]
    codes = pas.check_phn_lines("\n".join(p["input"] for p in phns))
    assert len(codes) == len(phns) > 4000
    assert [RULE[pas.PhnCheck(c)] for c in codes] == [p["rule"] for p in phns]


def test_phn_parse_and_mask_equal_native(corpus):
    for p in corpus["phns"]:
        assert pas.mask_phn(p["input"]) == p["mask"]
        if p["valid"]:
            parsed = pas.parse_phn(p["input"])
            assert (parsed.digits, parsed.masked) == (p["digits"], p["masked"])
        else:
            try:
                pas.parse_phn(p["input"])
            except pas.PasError.InvalidField as e:
                assert (e.field, e.code) == ("phn", p["code"])
            else:
                raise AssertionError(f"accepted invalid PHN {pas.mask_phn(p['input'])}")


def test_registration_batch_verdicts_equal_native(corpus):
    regs = corpus["registrations"]
    verdicts = pas.check_registrations([pas.RegistrationInput(**r["input"]) for r in regs], AS_OF)
    assert len(verdicts) == len(regs)
    for v, r in zip(verdicts, regs):
        assert issue_tuples(v.issues) == expected_issues(r)
        assert v.eligibility.reasons == r["reasons"]
        assert v.eligibility.eligible == (not r["reasons"])
        a = r["assessment"]
        if a is None:
            assert v.assessment is None
        else:
            got = v.assessment
            assert (got.age, got.tier, got.complexity.name.lower()) == (a["age"], a["tier"],
                                                                        a["complexity"])
            assert got.tier_rule == a["tier_rule"]["rule"]
            assert got.complexity_rule == a["complexity_rule"]["rule"]
            assert got.tier_explanation == a["tier_explanation"]


def test_single_registration_calls_equal_native(corpus):
    for r in corpus["registrations"]:
        record = pas.RegistrationInput(**r["input"])
        try:
            reg = pas.validate_registration(record, AS_OF)
        except pas.PasError.InvalidRecord as e:
            assert issue_tuples(e.issues) == expected_issues(r)
        else:
            assert r["issues"] == []
            assert reg.eligibility.reasons == r["reasons"]
            assert reg.assessment.tier == r["assessment"]["tier"]
        assert pas.check_eligibility(record, AS_OF).reasons == r["reasons"]


def test_household_verdicts_equal_native(corpus):
    households = corpus["households"]
    assert sum(not h["issues"] for h in households) > 50
    for h in households:
        members = [pas.RegistrationInput(**m) for m in h["members"]]
        try:
            pas.validate_household(members, AS_OF)
        except pas.PasError.InvalidRecord as e:
            assert issue_tuples(e.issues) == expected_issues(h)
        else:
            assert h["issues"] == []

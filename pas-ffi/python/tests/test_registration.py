"""DOMAIN §1–§4 through the FFI: registrations, households, assessment, eligibility."""
import pytest

import pas
from conftest import AS_OF, registrant


def test_s2_valid_registration_is_normalised_with_assessment_and_eligibility():
    reg = pas.validate_registration(registrant(), AS_OF)
    assert reg.registration_id == "R1"
    assert reg.masked_phn == "*******215"
    assert reg.postal_code == "V8W 1P6"
    assert reg.status == "waiting"
    assert reg.assessment.tier == 2
    assert reg.assessment.tier_rule == "chronic"
    assert reg.eligibility == pas.Eligibility(eligible=True, reasons=[])


def test_s1_registration_reports_every_field_issue_at_once():
    bad = registrant(phn="9698658216", given_name="", birth_date="2030-01-01",
                     postal_code="12345", needs="diabetes;flu")
    with pytest.raises(pas.PasError.InvalidRecord) as e:
        pas.validate_registration(bad, AS_OF)
    got = {(i.field, i.code) for i in e.value.issues}
    assert got >= {("phn", "invalid_phn"), ("given_name", "missing_field"),
                   ("birth_date", "invalid_birth_date"), ("postal_code", "invalid_postal_code"),
                   ("needs", "unknown_need")}


def test_errors_carry_no_phi():
    bad = registrant(phn="9698658216", family_name="Zz9", birth_date="2030-01-01")
    with pytest.raises(pas.PasError.InvalidRecord) as e:
        pas.validate_registration(bad, AS_OF)
    text = str(e.value) + " ".join(i.detail for i in e.value.issues)
    for phi in ("9698658216", "Zz9", "2030-01-01", "Amrit", "Sandhu"):
        assert phi not in text


def test_registration_input_prints_without_phi():
    text = str(registrant()) + repr(registrant())
    for phi in ("9698 658 215", "Amrit", "Sandhu", "1980-05-17"):
        assert phi not in text
    assert "*******215" in text


def test_bad_as_of_is_an_invalid_field():
    with pytest.raises(pas.PasError.InvalidField) as e:
        pas.validate_registration(registrant(), "25/11/2026")
    assert (e.value.field, e.value.code) == ("as_of", "invalid_date")


def test_s2_household_valid():
    spouse = registrant(registration_id="R2", relationship="spouse", phn="9135883061",
                        given_name="Harjit", needs="")
    h = pas.validate_household([registrant(), spouse], AS_OF)
    assert h.household_id == "R1"
    assert [m.registration_id for m in h.members] == ["R1", "R2"]


def test_s2_household_errors_are_per_member_and_household_rules():
    twin = registrant(registration_id="R2", relationship="child", birth_date="nope")
    with pytest.raises(pas.PasError.InvalidRecord) as e:
        pas.validate_household([registrant(), twin], AS_OF)
    got = {(i.field, i.code) for i in e.value.issues}
    assert ("members[1].birth_date", "invalid_birth_date") in got
    assert any(code == "duplicate_phn" for _, code in got)
    with pytest.raises(pas.PasError.InvalidRecord) as e:
        pas.validate_household([], AS_OF)
    assert [i.code for i in e.value.issues] == ["empty_household"]


@pytest.mark.parametrize("birth,needs,tier,rule,complexity,crule", [
    ("2026-06-01", "", 1, "infant", pas.Complexity.LOW, "baseline"),
    ("1990-01-01", "pregnant_postpartum", 1, "pregnant_postpartum", pas.Complexity.LOW, "baseline"),
    ("1990-01-01", "diabetes;copd_asthma;cancer", 2, "chronic", pas.Complexity.HIGH,
     "three_or_more_chronic"),
    ("1950-03-02", "diabetes", 2, "chronic", pas.Complexity.HIGH, "age75_plus_with_chronic"),
    ("1950-03-02", "", 2, "age75_plus", pas.Complexity.MEDIUM, "age65_plus"),
    ("1990-01-01", "social_needs", 2, "social_needs", pas.Complexity.MEDIUM, "social_needs"),
    ("1990-01-01", "", 3, "no_priority_need", pas.Complexity.LOW, "baseline"),
])
def test_s4_tier_and_complexity_with_rule(birth, needs, tier, rule, complexity, crule):
    a = pas.assess_person(birth, needs, AS_OF)
    assert (a.tier, a.tier_rule, a.complexity, a.complexity_rule) == (tier, rule, complexity, crule)
    assert a.tier_explanation.startswith(f"Priority {tier}:")


def test_s4_complexity_orders_low_medium_high():
    order = [pas.Complexity.LOW, pas.Complexity.MEDIUM, pas.Complexity.HIGH]
    assert [c.value for c in order] == sorted(c.value for c in order)


def test_s4_assess_person_reports_every_issue():
    with pytest.raises(pas.PasError.InvalidRecord) as e:
        pas.assess_person("1899-01-01", "diabetes;flu;xyz", AS_OF)
    got = [(i.field, i.code) for i in e.value.issues]
    assert got == [("birth_date", "invalid_birth_date"), ("needs", "unknown_need"),
                   ("needs", "unknown_need")]


def test_s3_eligibility_lists_every_reason_in_order():
    e = pas.check_eligibility(registrant(postal_code="T2P 1J9", msp_coverage="false",
                                         has_provider="true", status="offered"), AS_OF)
    assert not e.eligible
    # An Alberta postal code has no BC centroid, so its field rule fails too (§1 unknown_location).
    assert e.reasons == ["not_bc_resident", "no_msp_coverage", "already_attached",
                         "unknown_location", "not_waiting"]


def test_s3_invalid_fields_are_reasons_too():
    e = pas.check_eligibility(registrant(phn="1", msp_coverage="false"), AS_OF)
    assert e.reasons == ["no_msp_coverage", "invalid_phn"]


def test_check_registrations_batch_never_raises_per_record():
    verdicts = pas.check_registrations([registrant(), registrant(registration_id=" R9 ", phn="")],
                                       AS_OF)
    assert [v.registration_id for v in verdicts] == ["R1", "R9"]
    assert verdicts[0].issues == [] and verdicts[0].assessment.tier == 2
    assert verdicts[1].assessment is None
    assert ("phn", "missing_field") in {(i.field, i.code) for i in verdicts[1].issues}

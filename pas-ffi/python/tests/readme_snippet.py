import pas

# §1: one PHN, or a whole column of them in one call
phn = pas.parse_phn("9698 658 215")
print(phn.masked)  # *******215, the only form fit for logs
column = ["9698658215", "9698658216"]
assert pas.check_phns(column) == [pas.PhnCheck.VALID, pas.PhnCheck.CHECK_DIGIT_MISMATCH]
assert pas.check_phn_lines("\n".join(column)).count(0) == 1  # fastest for big columns: 1 byte per PHN

# §1-§4: a registration from the EMR; every field issue at once
patient = pas.RegistrationInput(
    registration_id="R1", household_id="R1", relationship="self", phn="9698 658 215",
    given_name="Amrit", family_name="Sandhu", birth_date="1950-05-17", postal_code="V8W 1P6",
    registered_at="2025-01-15", status="waiting", gender_preference="any", language="en",
    translator_needed="false", travel="20km", needs="diabetes", msp_coverage="true",
    has_provider="false", provider_leaving="false",
)
reg = pas.validate_registration(patient, "2026-11-25")
print(f"tier {reg.assessment.tier}: {reg.assessment.tier_explanation}")  # tier 2: Priority 2: a chronic condition
assert reg.eligibility.eligible and reg.assessment.complexity == pas.Complexity.HIGH
try:
    pas.validate_registration(pas.RegistrationInput(registration_id="R2", phn="123"), "2026-11-25")
except pas.PasError.InvalidRecord as e:
    for issue in e.issues:
        print(f"{issue.field}: {issue.code}")  # phn: invalid_phn, given_name: missing_field, ...

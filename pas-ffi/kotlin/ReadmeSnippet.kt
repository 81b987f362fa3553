import bc.pas.*

fun main() {
    // §1: one PHN, or a whole column of them in one call
    val phn = parsePhn("9698 658 215")
    println(phn.masked) // *******215, the only form fit for logs
    val column = listOf("9698658215", "9698658216")
    check(checkPhns(column) == listOf(PhnCheck.VALID, PhnCheck.CHECK_DIGIT_MISMATCH))
    check(checkPhnLines(column.joinToString("\n")).count { it == 0.toByte() } == 1) // fastest for big columns

    // §1-§4: a registration from the EMR; every field issue at once
    val patient = RegistrationInput(
        registrationId = "R1", householdId = "R1", relationship = "self", phn = "9698 658 215",
        givenName = "Amrit", familyName = "Sandhu", birthDate = "1950-05-17", postalCode = "V8W 1P6",
        registeredAt = "2025-01-15", status = "waiting", genderPreference = "any", language = "en",
        translatorNeeded = "false", travel = "20km", needs = "diabetes", mspCoverage = "true",
        hasProvider = "false", providerLeaving = "false",
    )
    val reg = validateRegistration(patient, "2026-11-25")
    println("tier ${reg.assessment.tier}: ${reg.assessment.tierExplanation}") // tier 2: Priority 2: a chronic condition
    check(reg.eligibility.eligible && reg.assessment.complexity == Complexity.HIGH)
    try {
        validateRegistration(RegistrationInput(registrationId = "R2", phn = "123"), "2026-11-25")
    } catch (e: PasException.InvalidRecord) {
        e.issues.forEach { println("${it.field}: ${it.code}") } // phn: invalid_phn, given_name: missing_field, ...
    }
}

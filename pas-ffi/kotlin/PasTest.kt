// pas-ffi from Kotlin: every exported function and the error mapping, plus the PHN conformance
// cases written by pas-ffi/examples/conformance_corpus.rs. Exits 1 on any failed check.
// Usage: PasTestKt CORPUS_DIR PAS_MATCH_DIR PANELS_DIR FHIR_FIXTURE (see test.sh)
import bc.pas.*
import java.io.File
import java.time.Duration
import java.time.Instant
import kotlin.system.exitProcess

var passed = 0
val failures = mutableListOf<String>()

fun check(name: String, ok: Boolean) {
    if (ok) passed++ else failures.add(name)
}

inline fun <reified E : Throwable> raises(name: String, block: () -> Unit): E? {
    try {
        block()
    } catch (e: Throwable) {
        if (e is E) { passed++; return e }
        failures.add("$name: threw ${e::class.simpleName}")
        return null
    }
    failures.add("$name: did not throw")
    return null
}

const val AS_OF = "2026-11-25"

fun registrant(phn: String = "9698 658 215", id: String = "R1", relationship: String = "self",
               postal: String = "V8W 1P6", msp: String = "true", status: String = "waiting") =
    RegistrationInput(
        registrationId = id, householdId = "R1", relationship = relationship, phn = phn,
        givenName = "Amrit", familyName = "Sandhu", birthDate = "1980-05-17", postalCode = postal,
        registeredAt = "2025-01-15", status = status, genderPreference = "female", language = "pa",
        translatorNeeded = "true", travel = "20km", needs = "diabetes", mspCoverage = msp,
        hasProvider = "false", providerLeaving = "false",
    )

fun phns() {
    val p = parsePhn("9698 658 215")
    check("s1 parse", p.digits == "9698658215" && p.masked == "*******215")
    check("s1 phn prints masked", p.toString() == "Phn(*******215)")
    check("s1 mask", maskPhn("9698658216") == "*******216")
    val e = raises<PasException.InvalidField>("s1 bad check digit raises") { parsePhn("9698658216") }
    check("s1 error field/code", e?.field == "phn" && e.code == "invalid_phn" && !e.message!!.contains("9698658216"))
    val blank = raises<PasException>("s1 blank raises base class") { parsePhn(" ") }
    check("s1 blank is missing_field", blank is PasException.InvalidField && blank.code == "missing_field")
    check("s1 batch", checkPhns(listOf("9698658215", "", "96986582a5", "969865821", "8698658215", "9698658216")) ==
        listOf(PhnCheck.VALID, PhnCheck.EMPTY, PhnCheck.NON_DIGIT, PhnCheck.WRONG_LENGTH,
               PhnCheck.FIRST_DIGIT_NOT9, PhnCheck.CHECK_DIGIT_MISMATCH))
    check("count valid", countValidPhns(listOf("9698658215", "1", "9698 658 215")) == 2uL)
}

fun phnConformance(corpus: File) {
    val rule = mapOf(
        PhnCheck.VALID to "Valid", PhnCheck.EMPTY to "Empty", PhnCheck.NON_DIGIT to "NonDigit",
        PhnCheck.WRONG_LENGTH to "Length", PhnCheck.FIRST_DIGIT_NOT9 to "FirstDigit",
        PhnCheck.NO_CHECK_DIGIT to "NoCheckDigit", PhnCheck.CHECK_DIGIT_MISMATCH to "CheckDigit",
    )
    val cases = File(corpus, "phns.tsv").readLines().filter { it.isNotEmpty() }.map { line ->
        val (expected, hex) = line.split('\t')
        val bytes = hex.chunked(2).map { it.toInt(16).toByte() }.toByteArray()
        expected to String(bytes, Charsets.UTF_8)
    }
    check("corpus has thousands of PHNs", cases.size > 4000)
    val got = checkPhns(cases.map { it.second })
    val mismatches = cases.indices.count { rule[got[it]] != cases[it].first }
    check("PHN conformance: $mismatches of ${cases.size} differ from native", mismatches == 0)
    val lineCases = cases.filter { !it.second.contains('\n') && !it.second.contains('\r') }
    val codes = checkPhnLines(lineCases.joinToString("\n") { it.second })
    val lineMismatches = lineCases.indices.count { rule[PhnCheck.entries[codes[it].toInt()]] != lineCases[it].first }
    check("PHN lines conformance: $lineMismatches of ${lineCases.size} differ", codes.size == lineCases.size && lineMismatches == 0)
}

fun registrations() {
    val reg = validateRegistration(registrant(), AS_OF)
    check("s2 valid", reg.maskedPhn == "*******215" && reg.eligibility.eligible && reg.assessment.tier == 2u)
    check("s4 rule", reg.assessment.tierRule == "chronic" && reg.assessment.complexity == Complexity.MEDIUM)
    val e = raises<PasException.InvalidRecord>("s1 invalid record") {
        validateRegistration(registrant(phn = "9698658216", postal = "12345"), AS_OF)
    }
    val fields = e?.issues?.map { it.field to it.code }.orEmpty()
    check("s1 every issue", fields.containsAll(listOf("phn" to "invalid_phn", "postal_code" to "invalid_postal_code")))
    check("no PHI in issues", e?.issues.orEmpty().none { it.detail.contains("9698658216") || it.detail.contains("Sandhu") })
    val asOf = raises<PasException.InvalidField>("bad as_of") { validateRegistration(registrant(), "yesterday") }
    check("bad as_of code", asOf?.field == "as_of" && asOf.code == "invalid_date")
    check("input prints without PHI", !registrant().toString().contains("Sandhu") && registrant().toString().contains("*******215"))

    val spouse = registrant(phn = "9135883061", id = "R2", relationship = "spouse")
    check("s2 household", validateHousehold(listOf(registrant(), spouse), AS_OF).members.size == 2)
    val h = raises<PasException.InvalidRecord>("s2 household dup phn") {
        validateHousehold(listOf(registrant(), registrant(id = "R2", relationship = "child")), AS_OF)
    }
    check("s2 duplicate_phn", h?.issues.orEmpty().any { it.code == "duplicate_phn" })

    val a = assessPerson("2026-06-01", "", AS_OF)
    check("s4 infant", a.tier == 1u && a.tierRule == "infant" && a.complexity == Complexity.LOW)
    val bad = raises<PasException.InvalidRecord>("s4 unknown need") { assessPerson("1990-01-01", "flu", AS_OF) }
    check("s4 unknown_need", bad?.issues?.map { it.code } == listOf("unknown_need"))

    val el = checkEligibility(registrant(msp = "false", status = "offered"), AS_OF)
    check("s3 reasons", !el.eligible && el.reasons == listOf("no_msp_coverage", "not_waiting"))
    val verdicts = checkRegistrations(listOf(registrant(), registrant(phn = "")), AS_OF)
    check("batch verdicts", verdicts[0].issues.isEmpty() && verdicts[1].assessment == null &&
        verdicts[1].issues.any { it.field == "phn" && it.code == "missing_field" })
}

fun matching(corpus: File, reference: File) {
    val run = runMatch(File(corpus, "patients.csv").path, File(corpus, "providers.csv").path, AS_OF, 7uL)
    val expected = File(reference, "matches.csv").readLines().drop(1).filter { it.isNotEmpty() }
    val got = run.rows.map { r ->
        listOf(r.rank.toString(), r.householdId, r.registrationId, r.tier.toString(), r.providerId ?: "",
               r.distanceKm?.let { String.format(java.util.Locale.ROOT, "%.3f", it) } ?: "").joinToString(",")
    }
    check("s7 matches equal pas match (${got.size} rows)", got.isNotEmpty() && got == expected)
    check("s6 fair", run.summary.fair && run.summary.familiesSplit == 0uL)
    val e = raises<PasException.FileRejected>("missing file") { runMatch("/nonexistent/p.csv", "/nonexistent/q.csv", AS_OF, 0uL) }
    check("file_unreadable", e?.code == "file_unreadable" && e.file == "p.csv")
}

fun journey() {
    val t0 = Instant.parse("2026-01-15T18:00:00Z")
    val j = Journey("R1", t0)
    val step = j.transition(JourneyEvent.Offer(provider = "P7"), t0)
    check("s9 offered", step.journey.status() == "offered" && step.journey.provider() == "P7" && j.status() == "waiting")
    val audit = step.effects.filterIsInstance<Effect.Audit>().single().event
    check("s9 audit", audit.event == "offer" && audit.fromState == "waiting" && audit.toState == "offered" && audit.at == t0)
    check("s9 e-mail to provider", step.effects.any { it is Effect.Email && it.to == Recipient.Provider(providerId = "P7") })
    val lapsed = step.journey.transition(JourneyEvent.Tick, t0.plus(Duration.ofDays(14))).journey
    check("s9 lapse excludes", lapsed.status() == "waiting" && lapsed.excludedProviders() == listOf("P7"))
    val refused = raises<PasException.TransitionRefused>("s9 invalid transition") {
        j.transition(JourneyEvent.AttachmentClaim(practitioner = "A1234"), t0)
    }
    check("s9 invalid_transition", refused?.code == "invalid_transition" &&
        refused.detail == "attachment_claim is not possible in state waiting")
    val back = Journey.fromJson(step.journey.toJson())
    check("journey json", back.status() == "offered" && back.changedAt() == t0)
    raises<PasException.InvalidState>("journey bad json") { Journey.fromJson("[]") }
    raises<PasException.InvalidField>("journey bad id") { Journey("", t0) }
}

fun endorsement() {
    val now = Instant.parse("2026-11-25T09:00:00Z")
    val parties = Parties()
    parties.upsert(Party(id = "dr-lee@bcsc", email = "lee@clinic.ca", licenceStanding = Standing.GOOD))
    parties.upsert(Party(id = "moa-kaur@bcsc", email = "kaur@clinic.ca", licenceStanding = null))
    val book = EndorsementBook()
    val created = book.create(parties, "moa-kaur@bcsc", "LEE@clinic.ca", "0f3c9a7e-5d1b-4c2a-9e8f-7a6b5c4d3e2f", now)
    check("s10 created", created.request == 1uL && book.requests().single().state == "received")
    book.apply(parties, EndorsementEvent.Approve(request = 1uL, party = "dr-lee@bcsc"), now)
    book.apply(parties, EndorsementEvent.Approve(request = 1uL, party = "moa-kaur@bcsc"), now)
    check("s10 moa role", book.holdsMoaRole(parties, "moa-kaur@bcsc") && book.actsFor(parties, "moa-kaur@bcsc") == listOf("dr-lee@bcsc"))
    parties.setStanding("dr-lee@bcsc", Standing.NOT_GOOD)
    val denied = raises<PasException.AccessDenied>("s10 standing") { book.checkAccess(parties, "moa-kaur@bcsc", "dr-lee@bcsc") }
    check("s10 standing_not_good", denied?.code == "standing_not_good")
    val dup = raises<PasException.TransitionRefused>("s10 duplicate") {
        book.create(parties, "dr-lee@bcsc", "kaur@clinic.ca", "1f3c9a7e-5d1b-4c2a-9e8f-7a6b5c4d3e2f", now)
    }
    check("s10 duplicate code", dup?.code == "duplicate")
    val token = raises<PasException.InvalidField>("s10 short token") { book.create(parties, "dr-lee@bcsc", "x@y.ca", "short", now) }
    check("s10 invalid_token", token?.code == "invalid_token")
    check("s10 book json", EndorsementBook.fromJson(book.toJson()).endorsements().single().status == "active")
}

/** A progress bar that remembers every call (a Kotlin object implementing the foreign trait). */
class RecordingProgress : PanelProgress {
    val calls = mutableListOf<Triple<ULong, ULong, ULong>>()
    override fun onProgress(rows: ULong, bytes: ULong, totalBytes: ULong) {
        calls.add(Triple(rows, bytes, totalBytes))
    }
}

const val PANEL_HEADER = "msp_practitioner_number,phn,family_name,given_name,birth_date,gender,postal_code,last_visit_date"

fun panels(panelsDir: File, fhirFixture: File) {
    // §8 codes at their physical lines (header = 1).
    val csv = listOf(
        PANEL_HEADER,
        "A1234,9698658215,Sandhu,Amrit,1980-05-17,female,V8W 1P6,2026-03-01",
        "A1234,9698658215,Sandhu,Amrit,1980-05-17,female,V8W 1P6,2026-03-01",
        "B2345,9698658215,Sandhu,Amrit,1980-05-17,,,2026-01-10",
        "A1234,9698658216,Lee,Ann,1980-01-01,M,12345,2021-05-01",
        "A1234,9123450006,Wong,Li,1975-02-03,male,V8V 2K4,",
    ).joinToString("\n", postfix = "\n").toByteArray()
    val bar = RecordingProgress()
    val r = validatePanelBytes(csv, PanelFormat.CSV, AS_OF, progress = bar)
    check("s8 counts", r.rows == 5uL && r.accepted == 3uL && r.rejected == 2uL)
    check("s8 errors at lines", r.errors.map { Triple(it.line, it.field, it.code) } ==
        listOf(Triple(3uL, "phn", "duplicate_in_panel"), Triple(5uL, "phn", "invalid_phn")))
    check("s8 warnings at lines", r.warnings.map { it.line to it.code } ==
        listOf(5uL to "invalid_gender", 5uL to "invalid_postal_code", 5uL to "stale_last_visit", 6uL to "no_last_visit"))
    check("s8 masked phn and detail", r.errors[0].maskedPhn == "*******215" && r.errors[1].maskedPhn == null &&
        r.errors[0].detail == "this PHN is already on this practitioner's panel")
    check("s8 conflict", r.conflicts.single().practitioners.map { it.practitioner to it.line } ==
        listOf("A1234" to 2uL, "B2345" to 4uL))
    check("s8 no PHI printed", !r.toString().contains("9698658215") && !r.toString().contains("Sandhu"))
    check("progress final call", bar.calls == listOf(Triple(5uL, csv.size.toULong(), csv.size.toULong())))

    // The planted panel with its registry: the planted counts, and the native report's JSON.
    val province = File(panelsDir, "province")
    val big = RecordingProgress()
    val planted = validatePanelFile(File(province, "panel.csv").path, PanelFormat.AUTO, AS_OF,
        registryCsv = File(province, "patients.csv").path, progress = big)
    val expected = File(province, "panel-planted.json").readText()
    fun count(key: String) = Regex("\"$key\":(\\d+)").find(expected)!!.groupValues[1].toULong()
    check("s8 planted counts", planted.rows == count("rows") && planted.accepted == count("accepted") &&
        planted.rejected == count("rejected"))
    check("s8 planted attached/mismatches/conflicts",
        planted.attached.size.toULong() == count("attached_from_waitlist") &&
        planted.mismatches.size.toULong() == count("demographic_mismatch") &&
        planted.conflicts.size.toULong() == count("panel_conflict"))
    check("s8 planted stale", planted.warnings.count { it.code == "stale_last_visit" }.toULong() == count("stale_last_visit"))
    val native = File(panelsDir, "planted-report.json").readText().trim()
    check("s8 report_json equals pas validate-panel", planted.reportJson == native)
    val rows = big.calls.map { it.first }
    check("progress increasing with a final call", rows.size >= 2 && rows == rows.sorted() &&
        rows.last() == planted.rows && big.calls.last().second == big.calls.last().third)

    // FHIR: the fixture gives the native codes; the export round-trips.
    val fhir = validatePanelFile(fhirFixture.path, PanelFormat.AUTO, AS_OF)
    check("s8 FHIR fixture", fhir.rows == 8uL && fhir.accepted == 3uL && fhir.errors[0].pointer == "/entry/5/resource" &&
        fhir.errors[0].code == "invalid_phn" && fhir.errors[0].line == null && fhir.errors[0].entry == 5uL)
    check("s8 FHIR report equals pas validate-panel",
        fhir.reportJson == File(panelsDir, "message-bundle-report.json").readText().trim())
    val exported = panelFileToFhir(File(province, "panel.csv").path, PanelFormat.CSV, AS_OF)
    val back = validatePanelBytes(exported.toByteArray(), PanelFormat.AUTO, AS_OF)
    check("s8 FHIR export round-trips", back.accepted == planted.accepted && back.rejected == 0uL && back.errors.isEmpty())

    // File-level problems: FileRejected with a stable code, no PHI.
    val cols = raises<PasException.FileRejected>("missing columns") {
        validatePanelBytes("phn,family_name\n9698658215,Sandhu\n".toByteArray(), PanelFormat.CSV, AS_OF)
    }
    check("missing_columns", cols?.code == "missing_columns" && cols.file == "panel.csv" && !cols.message!!.contains("9698658215"))
    val empty = raises<PasException.FileRejected>("empty file") { validatePanelBytes(ByteArray(0), PanelFormat.AUTO, AS_OF) }
    check("empty_file", empty?.code == "empty_file")
    val json = raises<PasException.FileRejected>("broken JSON") {
        validatePanelBytes("{\"resourceType\": \"Group\",".toByteArray(), PanelFormat.AUTO, AS_OF)
    }
    check("invalid_json", json?.code == "invalid_json" && json.file == "panel.json")
    val notPanel = raises<PasException.FileRejected>("not a panel") {
        panelBytesToFhir("{\"resourceType\": \"Patient\"}".toByteArray(), PanelFormat.FHIR, AS_OF)
    }
    check("not_a_panel", notPanel?.code == "not_a_panel")
    val missing = raises<PasException.FileRejected>("missing panel file") {
        validatePanelFile("/nonexistent/panel.csv", PanelFormat.AUTO, AS_OF)
    }
    check("panel file_unreadable", missing?.code == "file_unreadable" && missing.file == "panel.csv")
    val asOf = raises<PasException.InvalidField>("panel bad as_of") { validatePanelBytes(csv, PanelFormat.CSV, "2026-02-30") }
    check("panel as_of", asOf?.field == "as_of" && asOf.code == "invalid_date")
}

fun main(args: Array<String>) {
    val corpus = File(args.getOrElse(0) { "." })
    val reference = File(args.getOrElse(1) { "." })
    val panelsDir = File(args.getOrElse(2) { "." })
    val fhirFixture = File(args.getOrElse(3) { "tests/fixtures/fhir/message-bundle.json" })
    val sections = listOf<Pair<String, () -> Unit>>(
        "phn" to ::phns, "phn conformance" to { phnConformance(corpus) }, "registration" to ::registrations,
        "matching" to { matching(corpus, reference) }, "journey" to ::journey, "endorsement" to ::endorsement,
        "panels" to { panels(panelsDir, fhirFixture) },
    )
    for ((name, section) in sections) {
        try {
            section()
        } catch (e: Throwable) {
            failures.add("$name: unexpected ${e::class.qualifiedName}: ${e.message}")
        }
    }
    failures.forEach { System.err.println("FAILED: $it") }
    println("${passed} passed, ${failures.size} failed")
    exitProcess(if (failures.isEmpty()) 0 else 1)
}

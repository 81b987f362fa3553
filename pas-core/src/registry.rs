//! Clinic and Provider Registry records: clinics with their hours and people, and each
//! provider's capacity, which sets the places a match run may fill (DOMAIN §5, §7, §11).
//!
//! Providers and medical directors keep these records up to date through web forms, so
//! validation takes text ([`ClinicInput`], [`CapacityInput`]) and returns every [`FieldError`]
//! at once, like registrations. The number that matters most to patients, `open_places`, is
//! not entered but derived ([`ProviderCapacity::open_places`]): a provider states what they want
//! (new patients per month, a desired panel size) and the Panel Registry supplies the current
//! panel size. Every change yields an audit event naming the fields that changed.
//!
//! Opening hours use a subset of OpenStreetMap's `opening_hours` syntax, which clinic staff
//! can read and type: weekly `Mo-Fr 08:00-17:00; Sa 09:00-12:00,13:00-16:00; Su off` and date
//! exceptions `2026-12-25 off; 2026-12-24 09:00-12:00`. Times are the clinic's local time
//! (pas-core has no time-zone data); `24:00` closes at midnight. Days not named are closed.

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, Timelike, Utc, Weekday};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

use crate::contact::Phone;
use crate::date::parse_iso_date;
use crate::error::{ErrorCode, FieldError, FieldRule, ValidationErrors};
use crate::identifiers::{BcProviderId, FacilityNumber, ProviderId};
use crate::priority::Complexity;
use crate::provider::{Provider, parse_count, parse_languages};
use crate::registration::{Language, keep, optional_text, parse_bool, required};
use crate::workflow::{Actor, AuditEvent, Effect, Subject};

code_enum!(
    /// A person's role at a clinic (DOMAIN §11).
    ClinicRole, ErrorCode::InvalidRole, "role" {
        /// Physician or nurse practitioner.
        Provider = "provider",
        /// Clinic staff such as an MOA (acting for endorsers, §10).
        Staff = "staff",
        /// Keeps the clinic's record in the registry.
        MedicalDirector = "medical_director",
    }
);

/// Minutes in a day: `24:00`.
const DAY_MINUTES: u16 = 24 * 60;

/// Opening time to closing time on one day, in minutes since midnight, `open < close ≤ 24:00`.
/// Written `08:00-17:00`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TimeRange {
    open: u16,
    close: u16,
}

impl TimeRange {
    /// From minutes since midnight; `None` unless `open < close ≤ 1440`.
    pub const fn new(open: u16, close: u16) -> Option<Self> {
        if open < close && close <= DAY_MINUTES {
            Some(Self { open, close })
        } else {
            None
        }
    }

    /// Opening, minutes since midnight.
    pub const fn open(self) -> u16 {
        self.open
    }

    /// Closing, minutes since midnight.
    pub const fn close(self) -> u16 {
        self.close
    }

    /// Open at `minute` (closing minute excluded).
    pub const fn contains(self, minute: u16) -> bool {
        self.open <= minute && minute < self.close
    }

    /// Parse `HH:MM-HH:MM`.
    pub fn parse(raw: &str) -> Option<Self> {
        let (a, b) = raw.trim().split_once('-')?;
        Self::new(parse_hhmm(a)?, parse_hhmm(b)?)
    }
}

fn parse_hhmm(raw: &str) -> Option<u16> {
    let b = raw.trim().as_bytes();
    let [h1, h2, b':', m1, m2] = b else { return None };
    if ![h1, h2, m1, m2].iter().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let h = u16::from(h1 - b'0') * 10 + u16::from(h2 - b'0');
    let m = u16::from(m1 - b'0') * 10 + u16::from(m2 - b'0');
    let total = h * 60 + m;
    (m < 60 && total <= DAY_MINUTES).then_some(total)
}

impl fmt::Display for TimeRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hm = |t: u16| format!("{:02}:{:02}", t / 60, t % 60);
        write!(f, "{}-{}", hm(self.open), hm(self.close))
    }
}

impl fmt::Debug for TimeRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TimeRange({self})")
    }
}

impl TryFrom<String> for TimeRange {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        Self::parse(&s).ok_or_else(|| "a time range is HH:MM-HH:MM, closing after opening".to_owned())
    }
}

impl From<TimeRange> for String {
    fn from(t: TimeRange) -> String {
        t.to_string()
    }
}

const DAY_CODES: [&str; 7] = ["Mo", "Tu", "We", "Th", "Fr", "Sa", "Su"];

/// A clinic's weekly opening hours and their exceptions on given dates.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct OpeningHours {
    /// Monday first; each day's ranges sorted and not overlapping; empty = closed.
    weekly: [Vec<TimeRange>; 7],
    /// Dates with other hours than their weekday (holidays); empty = closed.
    exceptions: BTreeMap<NaiveDate, Vec<TimeRange>>,
}

fn hours_error(field: &str, what: &str) -> FieldError {
    FieldError::new(field, ErrorCode::InvalidHours, format!("{field}: {what}"))
}

/// `off`, or comma-separated time ranges, sorted and checked for overlap.
fn parse_ranges(field: &str, raw: &str) -> Result<Vec<TimeRange>, FieldError> {
    if raw.trim().eq_ignore_ascii_case("off") {
        return Ok(Vec::new());
    }
    let mut ranges = raw
        .split(',')
        .map(|r| {
            TimeRange::parse(r)
                .ok_or_else(|| hours_error(field, "each time range is HH:MM-HH:MM and closes after it opens"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    ranges.sort_unstable();
    if ranges.windows(2).any(|w| w[1].open < w[0].close) {
        return Err(hours_error(field, "time ranges on one day may not overlap"));
    }
    Ok(ranges)
}

fn day_index(code: &str) -> Option<usize> {
    DAY_CODES.iter().position(|d| d.eq_ignore_ascii_case(code.trim()))
}

/// `Mo`, `Mo-Fr` (wrapping: `Fr-Mo`), `Mo,We,Fr`: the weekday indexes (Monday = 0).
fn parse_days(field: &str, raw: &str) -> Result<Vec<usize>, FieldError> {
    let bad = || hours_error(field, "days are Mo Tu We Th Fr Sa Su, as Mo-Fr or Mo,We,Fr");
    let mut days = Vec::new();
    for item in raw.split(',') {
        match item.split_once('-') {
            Some((a, b)) => {
                let (a, b) = (day_index(a).ok_or_else(bad)?, day_index(b).ok_or_else(bad)?);
                let len = (b + 7 - a) % 7 + 1;
                days.extend((0..len).map(|k| (a + k) % 7));
            }
            None => days.push(day_index(item).ok_or_else(bad)?),
        }
    }
    Ok(days)
}

/// The parts of a `;`-separated rule list, each split at its first space into (head, ranges).
fn rule_parts<'a>(field: &'a str, raw: &'a str) -> impl Iterator<Item = Result<(&'a str, &'a str), FieldError>> + 'a {
    raw.split(';').map(str::trim).filter(|p| !p.is_empty()).map(move |p| {
        p.split_once(char::is_whitespace)
            .map(|(head, rest)| (head, rest.trim()))
            .ok_or_else(|| hours_error(field, "each rule is days or a date, a space, then times or off"))
    })
}

impl OpeningHours {
    /// Parse the weekly hours (required) of field `hours`, e.g. `Mo-Fr 08:00-17:00; Sa 09:00-12:00`.
    pub fn parse_weekly(raw: &str) -> Result<[Vec<TimeRange>; 7], FieldError> {
        let field = "hours";
        required(field, raw)?;
        let mut weekly: [Option<Vec<TimeRange>>; 7] = Default::default();
        for part in rule_parts(field, raw) {
            let (days, times) = part?;
            let ranges = parse_ranges(field, times)?;
            for d in parse_days(field, days)? {
                if weekly[d].replace(ranges.clone()).is_some() {
                    return Err(hours_error(field, "a day may be named only once"));
                }
            }
        }
        Ok(weekly.map(Option::unwrap_or_default))
    }

    /// Parse the date exceptions (optional) of field `hours_exceptions`, e.g.
    /// `2026-12-25 off; 2026-12-24 09:00-12:00`.
    pub fn parse_exceptions(raw: &str) -> Result<BTreeMap<NaiveDate, Vec<TimeRange>>, FieldError> {
        let field = "hours_exceptions";
        let mut out = BTreeMap::new();
        for part in rule_parts(field, raw) {
            let (date, times) = part?;
            let date = parse_iso_date(date).ok_or_else(|| hours_error(field, "dates are written YYYY-MM-DD"))?;
            if out.insert(date, parse_ranges(field, times)?).is_some() {
                return Err(hours_error(field, "a date may be named only once"));
            }
        }
        Ok(out)
    }

    /// From parsed parts.
    pub fn new(weekly: [Vec<TimeRange>; 7], exceptions: BTreeMap<NaiveDate, Vec<TimeRange>>) -> Self {
        Self { weekly, exceptions }
    }

    /// The regular hours of a weekday.
    pub fn weekly(&self, day: Weekday) -> &[TimeRange] {
        &self.weekly[day.num_days_from_monday() as usize]
    }

    /// The hours on a date: its exception if it has one, else its weekday's.
    pub fn on(&self, date: NaiveDate) -> &[TimeRange] {
        self.exceptions
            .get(&date)
            .map_or_else(|| self.weekly(date.weekday()), Vec::as_slice)
    }

    /// Open at this local time.
    pub fn is_open(&self, at: NaiveDateTime) -> bool {
        let minute = u16::try_from(at.hour() * 60 + at.minute()).unwrap_or(DAY_MINUTES);
        self.on(at.date()).iter().any(|r| r.contains(minute))
    }

    /// The weekly hours in the input syntax, one rule per day (`Mo 08:00-17:00; …; Su off`).
    pub fn weekly_text(&self) -> String {
        DAY_CODES
            .iter()
            .zip(&self.weekly)
            .map(|(d, r)| format!("{d} {}", ranges_text(r)))
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// The exceptions in the input syntax.
    pub fn exceptions_text(&self) -> String {
        self.exceptions
            .iter()
            .map(|(d, r)| format!("{d} {}", ranges_text(r)))
            .collect::<Vec<_>>()
            .join("; ")
    }
}

fn ranges_text(ranges: &[TimeRange]) -> String {
    if ranges.is_empty() {
        "off".to_owned()
    } else {
        ranges.iter().map(TimeRange::to_string).collect::<Vec<_>>().join(",")
    }
}

/// One person at a clinic, as entered: a BC Provider ID and `;`-separated roles.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct MemberInput {
    /// BC Provider ID.
    pub party: String,
    /// `provider`, `staff`, `medical_director`, `;`-separated.
    pub roles: String,
}

/// A clinic as entered on the registry form.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ClinicInput {
    /// MSP facility number.
    pub facility_number: String,
    /// Clinic name.
    pub name: String,
    /// Street address, one line.
    pub address: String,
    /// Phone.
    pub phone: String,
    /// Weekly hours, e.g. `Mo-Fr 08:00-17:00; Sa 09:00-12:00`.
    pub hours: String,
    /// Date exceptions, e.g. `2026-12-25 off`; may be blank.
    pub hours_exceptions: String,
    /// Providers and staff.
    pub members: Vec<MemberInput>,
}

/// A person at a clinic with their roles (sorted, at least one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    /// BC Provider ID.
    pub party: BcProviderId,
    /// Roles at this clinic.
    pub roles: Vec<ClinicRole>,
}

/// A valid clinic of the Clinic and Provider Registry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Clinic {
    /// MSP facility number.
    pub facility_number: FacilityNumber,
    /// Name.
    pub name: String,
    /// Street address.
    pub address: String,
    /// Phone.
    pub phone: Phone,
    /// Opening hours.
    pub hours: OpeningHours,
    /// Providers and staff, in input order, each once.
    pub members: Vec<Member>,
}

fn required_text(field: &str, raw: &str) -> Result<String, FieldError> {
    optional_text(field, required(field, raw)?)?.ok_or_else(|| FieldError::missing(field))
}

fn parse_roles(field: &str, raw: &str) -> Result<Vec<ClinicRole>, FieldError> {
    required(field, raw)?;
    let mut roles = raw
        .split(';')
        .filter(|r| !r.trim().is_empty())
        .map(|r| {
            r.parse::<ClinicRole>().map_err(|mut e| {
                e.field = field.to_owned();
                e
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    roles.sort_unstable();
    roles.dedup();
    Ok(roles)
}

impl Clinic {
    /// Validate a clinic, returning every field error (members' as `members[i].field`).
    ///
    /// ```
    /// use pas_core::registry::{Clinic, ClinicInput, ClinicRole, MemberInput};
    /// let c = Clinic::validate(&ClinicInput {
    ///     facility_number: "ab123".into(), name: "Fernwood Family Practice".into(),
    ///     address: "1234 Fernwood Rd, Victoria".into(), phone: "250-555-0142".into(),
    ///     hours: "Mo-Fr 08:30-17:00; Sa 09:00-12:00".into(),
    ///     members: vec![MemberInput { party: "dr-lee@bcsc".into(), roles: "provider;medical_director".into() }],
    ///     ..Default::default()
    /// }).unwrap();
    /// assert_eq!(c.facility_number.as_str(), "AB123");
    /// assert!(c.may_edit(&"dr-lee@bcsc".parse().unwrap()));
    /// ```
    pub fn validate(input: &ClinicInput) -> Result<Self, ValidationErrors> {
        let mut errors = Vec::new();
        let facility_number = keep(
            &mut errors,
            FacilityNumber::parse(&input.facility_number).map_err(|e| e.at("facility_number")),
        );
        let name = keep(&mut errors, required_text("name", &input.name));
        let address = keep(&mut errors, required_text("address", &input.address));
        let phone = keep(&mut errors, Phone::parse(&input.phone).map_err(|e| e.at("phone")));
        let weekly = keep(&mut errors, OpeningHours::parse_weekly(&input.hours));
        let exceptions = keep(&mut errors, OpeningHours::parse_exceptions(&input.hours_exceptions));
        let mut members = Vec::with_capacity(input.members.len());
        for (i, m) in input.members.iter().enumerate() {
            let at = |field: &str| format!("members[{i}].{field}");
            let party = keep(
                &mut errors,
                BcProviderId::parse(&m.party).map_err(|e| e.at(at("party"))),
            );
            if let Some(p) = &party {
                if input.members[..i].iter().any(|o| o.party.trim() == p.as_str()) {
                    errors.push(FieldError::new(
                        at("party"),
                        ErrorCode::DuplicateProviderId,
                        "a person is listed once per clinic, with all their roles",
                    ));
                }
            }
            let roles = keep(&mut errors, parse_roles(&at("roles"), &m.roles));
            if let (Some(party), Some(roles)) = (party, roles) {
                members.push(Member { party, roles });
            }
        }
        let built = (|| {
            Some(Self {
                facility_number: facility_number?,
                name: name?,
                address: address?,
                phone: phone?,
                hours: OpeningHours::new(weekly?, exceptions?),
                members,
            })
        })();
        match built {
            Some(c) if errors.is_empty() => Ok(c),
            _ => Err(ValidationErrors(errors)),
        }
    }

    /// The people holding `role`.
    pub fn members_with(&self, role: ClinicRole) -> impl Iterator<Item = &BcProviderId> {
        self.members
            .iter()
            .filter(move |m| m.roles.contains(&role))
            .map(|m| &m.party)
    }

    /// Whether `party` is one of this clinic's members (any role): they may read its record,
    /// which names every member's BC Provider ID.
    pub fn is_member(&self, party: &BcProviderId) -> bool {
        self.members.iter().any(|m| &m.party == party)
    }

    /// Whether `party` may change this record: one of its medical directors (§11).
    pub fn may_edit(&self, party: &BcProviderId) -> bool {
        self.members_with(ClinicRole::MedicalDirector).any(|p| p == party)
    }

    /// The names of the fields that differ from `other`.
    pub fn changed_fields(&self, other: &Self) -> Vec<&'static str> {
        let mut out = Vec::new();
        let mut check = |same: bool, name| {
            if !same {
                out.push(name);
            }
        };
        check(self.facility_number == other.facility_number, "facility_number");
        check(self.name == other.name, "name");
        check(self.address == other.address, "address");
        check(self.phone == other.phone, "phone");
        check(self.hours.weekly == other.hours.weekly, "hours");
        check(self.hours.exceptions == other.hours.exceptions, "hours_exceptions");
        check(self.members == other.members, "members");
        out
    }

    /// The audit effect of saving `after` over `before` (`None`: a new clinic) by `actor`;
    /// `None` when nothing changed.
    pub fn audit_change(
        before: Option<&Self>,
        after: &Self,
        actor: &BcProviderId,
        now: DateTime<Utc>,
    ) -> Option<Effect> {
        change_audit(
            Subject::Clinic(after.facility_number),
            actor,
            now,
            before.map(|b| b.changed_fields(after)),
            &ALL_CLINIC_FIELDS,
        )
    }
}

const ALL_CLINIC_FIELDS: [&str; 7] = [
    "facility_number",
    "name",
    "address",
    "phone",
    "hours",
    "hours_exceptions",
    "members",
];

const ALL_CAPACITY_FIELDS: [&str; 8] = [
    "provider_id",
    "accepting",
    "max_new_per_month",
    "desired_panel_size",
    "current_panel_size",
    "max_complexity",
    "accepts_families",
    "languages",
];

fn change_audit(
    subject: Subject,
    actor: &BcProviderId,
    now: DateTime<Utc>,
    changed: Option<Vec<&'static str>>,
    all: &[&'static str],
) -> Option<Effect> {
    let (event, fields) = match changed {
        None => ("create", all.to_vec()),
        Some(f) if f.is_empty() => return None,
        Some(f) => ("update", f),
    };
    Some(Effect::Audit(AuditEvent {
        at: now,
        subject,
        actor: Actor::Party(actor.clone()),
        event: event.to_owned(),
        from: None,
        to: None,
        fields: fields.into_iter().map(str::to_owned).collect(),
    }))
}

/// A provider's capacity settings as entered (the provider's form, plus the current panel
/// size from the Panel Registry).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
#[allow(missing_docs)] // each field is documented on ProviderCapacity
pub struct CapacityInput {
    pub provider_id: String,
    pub accepting: String,
    pub max_new_per_month: String,
    pub desired_panel_size: String,
    pub current_panel_size: String,
    pub max_complexity: String,
    pub accepts_families: String,
    pub languages: String,
}

/// A provider's capacity: what they want to take, which sets the places a match may fill.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderCapacity {
    /// The provider (as in `providers.csv`).
    pub provider_id: ProviderId,
    /// Accepting new patients at all.
    pub accepting: bool,
    /// At most this many new patients a month.
    pub max_new_per_month: u32,
    /// The panel size the provider aims for.
    pub desired_panel_size: u32,
    /// Patients on the panel now (Panel Registry).
    pub current_panel_size: u32,
    /// The highest complexity accepted (§4).
    pub max_complexity: Complexity,
    /// Takes households of more than one person.
    pub accepts_families: bool,
    /// Languages spoken, sorted, at least one.
    pub languages: Vec<Language>,
}

impl ProviderCapacity {
    /// Validate capacity settings, returning every field error.
    pub fn validate(input: &CapacityInput) -> Result<Self, ValidationErrors> {
        let mut errors = Vec::new();
        let provider_id = keep(
            &mut errors,
            ProviderId::parse(&input.provider_id).map_err(|e| e.at("provider_id")),
        );
        let accepting = keep(&mut errors, parse_bool("accepting", &input.accepting));
        let max_new_per_month = keep(&mut errors, parse_count("max_new_per_month", &input.max_new_per_month));
        let desired_panel_size = keep(
            &mut errors,
            parse_count("desired_panel_size", &input.desired_panel_size),
        );
        let current_panel_size = keep(
            &mut errors,
            parse_count("current_panel_size", &input.current_panel_size),
        );
        let max_complexity = keep(
            &mut errors,
            required("max_complexity", &input.max_complexity).and_then(|s| s.parse()),
        );
        let accepts_families = keep(&mut errors, parse_bool("accepts_families", &input.accepts_families));
        let languages = keep(&mut errors, parse_languages("languages", &input.languages));
        let built = (|| {
            Some(Self {
                provider_id: provider_id?,
                accepting: accepting?,
                max_new_per_month: max_new_per_month?,
                desired_panel_size: desired_panel_size?,
                current_panel_size: current_panel_size?,
                max_complexity: max_complexity?,
                accepts_families: accepts_families?,
                languages: languages?,
            })
        })();
        match built {
            Some(c) if errors.is_empty() => Ok(c),
            _ => Err(ValidationErrors(errors)),
        }
    }

    /// New patients a match may give this provider now:
    /// `min(max_new_per_month, max(0, desired_panel_size − current_panel_size))` when
    /// accepting, else 0.
    ///
    /// ```
    /// # use pas_core::registry::{CapacityInput, ProviderCapacity};
    /// let mut c = ProviderCapacity::validate(&CapacityInput {
    ///     provider_id: "P1".into(), accepting: "true".into(), max_new_per_month: "20".into(),
    ///     desired_panel_size: "1250".into(), current_panel_size: "1238".into(),
    ///     max_complexity: "high".into(), accepts_families: "true".into(), languages: "en;pa".into(),
    /// }).unwrap();
    /// assert_eq!(c.open_places(), 12);
    /// c.current_panel_size = 1300;
    /// assert_eq!(c.open_places(), 0);
    /// ```
    pub const fn open_places(&self) -> u32 {
        if !self.accepting {
            return 0;
        }
        let room = self.desired_panel_size.saturating_sub(self.current_panel_size);
        if room < self.max_new_per_month {
            room
        } else {
            self.max_new_per_month
        }
    }

    /// Copy these settings into the provider record a match run uses (accepting, open places,
    /// complexity, families, languages). `false`, and nothing copied, for another provider.
    pub fn apply_to(&self, provider: &mut Provider) -> bool {
        if provider.provider_id != self.provider_id {
            return false;
        }
        provider.accepting = self.accepting;
        provider.open_places = self.open_places();
        provider.max_complexity = self.max_complexity;
        provider.accepts_families = self.accepts_families;
        provider.languages.clone_from(&self.languages);
        true
    }

    /// The names of the fields that differ from `other`.
    pub fn changed_fields(&self, other: &Self) -> Vec<&'static str> {
        let mut out = Vec::new();
        let mut check = |same: bool, name| {
            if !same {
                out.push(name);
            }
        };
        check(self.provider_id == other.provider_id, "provider_id");
        check(self.accepting == other.accepting, "accepting");
        check(self.max_new_per_month == other.max_new_per_month, "max_new_per_month");
        check(
            self.desired_panel_size == other.desired_panel_size,
            "desired_panel_size",
        );
        check(
            self.current_panel_size == other.current_panel_size,
            "current_panel_size",
        );
        check(self.max_complexity == other.max_complexity, "max_complexity");
        check(self.accepts_families == other.accepts_families, "accepts_families");
        check(self.languages == other.languages, "languages");
        out
    }

    /// The audit effect of saving `after` over `before` (`None`: first settings) by `actor`;
    /// `None` when nothing changed.
    pub fn audit_change(
        before: Option<&Self>,
        after: &Self,
        actor: &BcProviderId,
        now: DateTime<Utc>,
    ) -> Option<Effect> {
        change_audit(
            Subject::ProviderCapacity(after.provider_id.clone()),
            actor,
            now,
            before.map(|b| b.changed_fields(after)),
            &ALL_CAPACITY_FIELDS,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn clinic_input() -> ClinicInput {
        ClinicInput {
            facility_number: "ab123".into(),
            name: "Fernwood Family Practice".into(),
            address: "1234 Fernwood Rd, Victoria".into(),
            phone: "(250) 555-0142".into(),
            hours: "Mo-Fr 08:30-12:00,13:00-17:00; Sa 09:00-12:00; Su off".into(),
            hours_exceptions: "2026-12-25 off; 2026-12-24 09:00-12:00".into(),
            members: vec![
                MemberInput {
                    party: "dr-lee@bcsc".into(),
                    roles: "provider; medical_director".into(),
                },
                MemberInput {
                    party: "moa-kaur@bcsc".into(),
                    roles: "staff".into(),
                },
            ],
        }
    }

    fn capacity_input() -> CapacityInput {
        CapacityInput {
            provider_id: "P1".into(),
            accepting: "true".into(),
            max_new_per_month: "20".into(),
            desired_panel_size: "1250".into(),
            current_panel_size: "1238".into(),
            max_complexity: "medium".into(),
            accepts_families: "false".into(),
            languages: "pa;en".into(),
        }
    }

    fn local(y: i32, m: u32, d: u32, h: u32, min: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, m, d)
            .unwrap()
            .and_hms_opt(h, min, 0)
            .unwrap()
    }

    #[test]
    fn valid_clinic_with_hours_and_roles() {
        let c = Clinic::validate(&clinic_input()).unwrap();
        assert_eq!(c.facility_number.as_str(), "AB123");
        assert_eq!(c.phone.to_string(), "250-555-0142");
        assert_eq!(c.members[0].roles, [ClinicRole::Provider, ClinicRole::MedicalDirector]);
        let dr = BcProviderId::parse("dr-lee@bcsc").unwrap();
        let moa = BcProviderId::parse("moa-kaur@bcsc").unwrap();
        assert!(c.may_edit(&dr));
        assert!(!c.may_edit(&moa));
        assert_eq!(c.members_with(ClinicRole::Staff).collect::<Vec<_>>(), [&moa]);
        // 2026-12-21 is a Monday.
        assert!(c.hours.is_open(local(2026, 12, 21, 8, 30)));
        assert!(!c.hours.is_open(local(2026, 12, 21, 12, 30)));
        assert!(!c.hours.is_open(local(2026, 12, 21, 17, 0)), "closing minute is closed");
        assert!(c.hours.is_open(local(2026, 12, 26, 10, 0)), "Saturday");
        assert!(!c.hours.is_open(local(2026, 12, 27, 10, 0)), "Sunday off");
        assert!(!c.hours.is_open(local(2026, 12, 25, 10, 0)), "exception: off");
        assert!(c.hours.is_open(local(2026, 12, 24, 11, 0)), "exception hours");
        assert!(
            !c.hours.is_open(local(2026, 12, 24, 14, 0)),
            "exception replaces the weekday"
        );
        assert_eq!(
            c.hours.weekly_text(),
            "Mo 08:30-12:00,13:00-17:00; Tu 08:30-12:00,13:00-17:00; We 08:30-12:00,13:00-17:00; \
             Th 08:30-12:00,13:00-17:00; Fr 08:30-12:00,13:00-17:00; Sa 09:00-12:00; Su off"
        );
        assert_eq!(c.hours.exceptions_text(), "2026-12-24 09:00-12:00; 2026-12-25 off");
        let again = OpeningHours::new(
            OpeningHours::parse_weekly(&c.hours.weekly_text()).unwrap(),
            OpeningHours::parse_exceptions(&c.hours.exceptions_text()).unwrap(),
        );
        assert_eq!(again, c.hours, "the text forms read back");
        let json = serde_json::to_string(&c).unwrap();
        assert_eq!(serde_json::from_str::<Clinic>(&json).unwrap(), c);
    }

    #[test]
    fn hours_syntax() {
        let w = OpeningHours::parse_weekly("fr-mo 22:00-24:00").unwrap();
        assert_eq!(
            w.iter().map(Vec::len).collect::<Vec<_>>(),
            [1, 0, 0, 0, 1, 1, 1],
            "ranges wrap around the week"
        );
        assert_eq!(w[0][0].to_string(), "22:00-24:00");
        let w = OpeningHours::parse_weekly("Mo,We 13:00-17:00,08:00-12:00").unwrap();
        assert_eq!(w[2][0].to_string(), "08:00-12:00", "sorted");
        for bad in [
            "",
            "Mo",
            "Mo 8:00-17:00",
            "Mo 17:00-08:00",
            "Mo 08:00-24:01",
            "Mo 08:00-12:00,11:00-13:00",
            "Mo-Fr 08:00-17:00; Fr 09:00-10:00",
            "Xx 08:00-17:00",
        ] {
            let e = OpeningHours::parse_weekly(bad).unwrap_err();
            assert_eq!(e.field, "hours", "{bad:?}");
            let expected = if bad.is_empty() {
                ErrorCode::MissingField
            } else {
                ErrorCode::InvalidHours
            };
            assert_eq!(e.code, expected, "{bad:?}");
        }
        assert!(OpeningHours::parse_exceptions(" ").unwrap().is_empty());
        for bad in ["2026-02-30 off", "2026-12-25 off; 2026-12-25 09:00-10:00", "2026-12-25"] {
            let e = OpeningHours::parse_exceptions(bad).unwrap_err();
            assert_eq!(
                (e.field.as_str(), e.code),
                ("hours_exceptions", ErrorCode::InvalidHours),
                "{bad}"
            );
        }
        assert_eq!(TimeRange::new(600, 600), None);
        assert!(TimeRange::new(0, 1440).unwrap().contains(1439));
    }

    #[test]
    fn every_clinic_error_at_once() {
        let input = ClinicInput {
            facility_number: "12-45".into(),
            name: " ".into(),
            address: "x".repeat(101),
            phone: "555".into(),
            hours: "Mo 9-5".into(),
            hours_exceptions: "Christmas off".into(),
            members: vec![
                MemberInput {
                    party: "dr-lee@bcsc".into(),
                    roles: "provider;boss".into(),
                },
                MemberInput {
                    party: "dr-lee@bcsc".into(),
                    roles: "".into(),
                },
            ],
        };
        let e = Clinic::validate(&input).unwrap_err();
        let got: Vec<_> = e.errors().iter().map(|e| (e.field.as_str(), e.code)).collect();
        use ErrorCode::*;
        assert_eq!(
            got,
            [
                ("facility_number", InvalidFacilityNumber),
                ("name", MissingField),
                ("address", InvalidText),
                ("phone", InvalidPhone),
                ("hours", InvalidHours),
                ("hours_exceptions", InvalidHours),
                ("members[0].roles", InvalidRole),
                ("members[1].party", DuplicateProviderId),
                ("members[1].roles", MissingField),
            ]
        );
    }

    #[test]
    fn capacity_validation_and_open_places() {
        let c = ProviderCapacity::validate(&capacity_input()).unwrap();
        assert_eq!(c.open_places(), 12);
        assert_eq!(c.languages, [Language::ENGLISH, Language::parse("pa").unwrap()]);
        // (accepting, max_new, desired, current) → open places
        for (accepting, max_new, desired, current, open) in [
            (true, 20, 1250, 1238, 12),
            (true, 5, 1250, 1238, 5),
            (true, 20, 1250, 1250, 0),
            (true, 20, 1000, 1250, 0),
            (true, 0, 1250, 0, 0),
            (false, 20, 1250, 0, 0),
            (true, u32::MAX, u32::MAX, 0, u32::MAX),
        ] {
            let c = ProviderCapacity {
                accepting,
                max_new_per_month: max_new,
                desired_panel_size: desired,
                current_panel_size: current,
                ..c.clone()
            };
            assert_eq!(c.open_places(), open, "{accepting} {max_new} {desired} {current}");
        }
        let e = ProviderCapacity::validate(&CapacityInput {
            provider_id: "P 1".into(),
            accepting: "yes".into(),
            max_new_per_month: "-1".into(),
            desired_panel_size: "".into(),
            current_panel_size: "12.5".into(),
            max_complexity: "extreme".into(),
            accepts_families: "".into(),
            languages: "english".into(),
        })
        .unwrap_err();
        let got: Vec<_> = e.errors().iter().map(|e| (e.field.as_str(), e.code)).collect();
        use ErrorCode::*;
        assert_eq!(
            got,
            [
                ("provider_id", InvalidId),
                ("accepting", InvalidBoolean),
                ("max_new_per_month", InvalidNumber),
                ("desired_panel_size", MissingField),
                ("current_panel_size", InvalidNumber),
                ("max_complexity", InvalidComplexity),
                ("accepts_families", MissingField),
                ("languages", InvalidLanguage),
            ]
        );
    }

    #[test]
    fn capacity_sets_the_match_providers_places() {
        let c = ProviderCapacity::validate(&capacity_input()).unwrap();
        let mut p = Provider::validate(&crate::provider::ProviderInput {
            provider_id: "P1".into(),
            clinic_id: "C1".into(),
            given_name: "Mei".into(),
            family_name: "Chen".into(),
            gender: "female".into(),
            accepting: "false".into(),
            open_places: "0".into(),
            max_complexity: "high".into(),
            accepts_families: "true".into(),
            postal_code: "V5K0A1".into(),
            ..Default::default()
        })
        .unwrap();
        assert!(c.apply_to(&mut p));
        assert_eq!(
            (p.accepting, p.places_offered(), p.max_complexity, p.accepts_families),
            (true, 12, Complexity::Medium, false)
        );
        assert_eq!(p.languages, c.languages);
        p.provider_id = ProviderId::parse("P2").unwrap();
        assert!(!c.apply_to(&mut p));
    }

    #[test]
    fn changes_produce_audit_events() {
        let now = Utc.with_ymd_and_hms(2026, 11, 25, 9, 0, 0).unwrap();
        let dr = BcProviderId::parse("dr-lee@bcsc").unwrap();
        let a = Clinic::validate(&clinic_input()).unwrap();
        let created = Clinic::audit_change(None, &a, &dr, now).unwrap();
        let audit = created.audit().unwrap();
        assert_eq!(audit.event, "create");
        assert_eq!(audit.fields.len(), ALL_CLINIC_FIELDS.len());
        assert_eq!(audit.subject, Subject::Clinic(a.facility_number));
        assert_eq!(Clinic::audit_change(Some(&a), &a, &dr, now), None);
        let mut b = a.clone();
        b.hours = OpeningHours::new(
            OpeningHours::parse_weekly("Mo-Fr 09:00-17:00").unwrap(),
            BTreeMap::new(),
        );
        b.members.pop();
        let audit = Clinic::audit_change(Some(&a), &b, &dr, now).unwrap();
        let audit = audit.audit().unwrap();
        assert_eq!(
            (audit.event.as_str(), audit.fields.clone()),
            (
                "update",
                vec!["hours".to_owned(), "hours_exceptions".to_owned(), "members".to_owned()]
            )
        );
        assert_eq!(audit.actor, Actor::Party(dr.clone()));
        let c = ProviderCapacity::validate(&capacity_input()).unwrap();
        let mut d = c.clone();
        d.current_panel_size = 1240;
        let e = ProviderCapacity::audit_change(Some(&c), &d, &dr, now).unwrap();
        assert_eq!(e.audit().unwrap().fields, ["current_panel_size"]);
        assert_eq!(
            ProviderCapacity::audit_change(None, &c, &dr, now)
                .unwrap()
                .audit()
                .unwrap()
                .fields
                .len(),
            8
        );
    }
}

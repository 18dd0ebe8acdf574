//! Codes and identifiers of the registry's domain: ISO 3166-1 regions, Nice
//! classes, trademark offices (WIPO ST.3) and the territories they protect,
//! slugs, and bounded free text.
//!
//! Every type here is a validated value. Its `parse` constructor is the way
//! in from untrusted input: it rejects anything invalid with a lowercase
//! message that names the offending value, and never panics, whatever the
//! input. The module is pure: no I/O, no global state.

#![forbid(unsafe_code)]

use std::borrow::Borrow;
use std::fmt;
use std::iter::FusedIterator;
use std::str::FromStr;
use std::sync::Arc;

/// At most this many characters of an offending value are quoted in an
/// error message; longer values are cut and marked with `…`.
const QUOTE_MAX_CHARS: usize = 64;

/// Quotes `value` for an error message as a JSON string, so that it can be
/// pasted back into a request (grpcurl's `-d`): `"`, `\\` and control
/// characters escaped, and so is every character that shows nothing or
/// draws over its neighbour (a zero-width space is `\u200b`, not an
/// invisible character in the message), as `\uXXXX` (two for a character
/// beyond the BMP, as JSON writes it). Cut after [`QUOTE_MAX_CHARS`]
/// characters, marked with `…`.
pub fn quote(value: &str) -> String {
    use std::fmt::Write;
    let (shown, cut) = match value.char_indices().nth(QUOTE_MAX_CHARS) {
        Some((cut, _)) => (value.get(..cut).unwrap_or_default(), true),
        None => (value, false),
    };
    let mut quoted = String::with_capacity(shown.len() + 2);
    quoted.push('"');
    for c in shown.chars() {
        match c {
            '"' => quoted.push_str("\\\""),
            '\\' => quoted.push_str("\\\\"),
            '\n' => quoted.push_str("\\n"),
            '\r' => quoted.push_str("\\r"),
            '\t' => quoted.push_str("\\t"),
            // What Rust's own quoting escapes (control, format and
            // unassigned characters, whitespace but the space, combining
            // marks), in JSON's syntax.
            c if c != '\'' && c.escape_debug().len() > 1 => {
                let mut units = [0; 2];
                for unit in c.encode_utf16(&mut units) {
                    let _ = write!(quoted, "\\u{unit:04x}");
                }
            }
            c => quoted.push(c),
        }
    }
    quoted.push('"');
    if cut {
        quoted.push('…');
    }
    quoted
}

/// Quotes a value the registry has read and validated as printable (a
/// seller account as read: [`seller_account`], in NFC) for a sentence meant
/// for people: between double quotes, as it reads, not escaped as
/// [`quote`] escapes what it cannot trust (`"Café"`, not `"Cafe\u0301"`,
/// whatever spelling was sent). Only `"` and `\` are escaped, so that the
/// quotes still end where the value does. A character such a value never
/// holds (a control or format character, a line or paragraph separator,
/// a private-use, surrogate or unassigned code point, a bidi control) is
/// shown as U+FFFD, so a log line that holds the sentence is one line,
/// shown in order, whatever it was given. Not cut: the value is bounded
/// by the rule it was read by.
pub fn quote_as_read(value: &str) -> String {
    let mut quoted = String::with_capacity(value.len() + 2);
    quoted.push('"');
    for c in value.chars() {
        match c {
            '"' => quoted.push_str("\\\""),
            '\\' => quoted.push_str("\\\\"),
            c if c.is_control() || is_bidi_control(c) || is_unprintable(c) => {
                quoted.push(char::REPLACEMENT_CHARACTER)
            }
            c => quoted.push(c),
        }
    }
    quoted.push('"');
    quoted
}

/// `"1 character"`, `"2 characters"`.
fn characters(count: usize) -> String {
    if count == 1 {
        "1 character".to_owned()
    } else {
        format!("{count} characters")
    }
}

// ---------------------------------------------------------------------------
// Region
// ---------------------------------------------------------------------------

/// A country or territory: an officially assigned ISO 3166-1 alpha-2 code,
/// always stored in upper case (`CN`, `US`, `FR`).
///
/// User-assigned codes (`XX`, `ZZ`), exceptionally reserved codes (`EU`,
/// `UK`) and codes that are not assigned at all are rejected. The list of
/// assigned codes comes from the `rust_iso3166` crate.
#[derive(Copy, Clone, Eq, PartialEq, Hash)]
pub struct Region([u8; 2]);

/// Alphabetical, as the codes' letters: compared as one big-endian number
/// (the byte arrays' derived order calls `memcmp` for two bytes, on every
/// region a listing check compares).
impl Ord for Region {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        u16::from_be_bytes(self.0).cmp(&u16::from_be_bytes(other.0))
    }
}

impl PartialOrd for Region {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Region {
    /// The country whose registrations and authorizations extend to this
    /// territory ([`DEPENDENT_TERRITORIES`]): `US` for `PR`, `FR` for `GP`.
    pub fn country_of_territory(self) -> Option<Region> {
        DEPENDENT_TERRITORIES
            .binary_search_by_key(&self, |&(territory, _)| territory)
            .ok()
            .map(|i| DEPENDENT_TERRITORIES[i].1)
    }

    /// Parses an ISO 3166-1 alpha-2 code: exactly two ASCII letters, in
    /// either case (no surrounding whitespace), normalized to upper case.
    ///
    /// # Errors
    ///
    /// If `value` is not two ASCII letters, or is not an officially assigned
    /// ISO 3166-1 alpha-2 code, e.g. `"ZZ" is not an assigned ISO 3166-1
    /// alpha-2 code`.
    pub fn parse(value: &str) -> Result<Region, String> {
        let region = Self::from_letters(value).ok_or_else(|| {
            format!(
                "{} is not an ISO 3166-1 alpha-2 code: expected two letters",
                quote(value)
            )
        })?;
        if rust_iso3166::from_alpha2(region.as_str()).is_none() {
            return Err(format!(
                "{} is not an assigned ISO 3166-1 alpha-2 code{}",
                quote(value),
                Self::hint(region)
            ));
        }
        Ok(region)
    }

    /// What a code that ISO 3166-1 leaves unassigned is often meant for,
    /// where other lists use it: the code to write instead.
    fn hint(region: Region) -> &'static str {
        match &region.0 {
            b"UK" => " (the United Kingdom is GB)",
            b"EL" => " (Greece is GR)",
            b"EU" => {
                " (the European Union is no country: name its member states, or EM where an EU \
                 trade mark is meant)"
            }
            _ => "",
        }
    }

    /// Two ASCII letters in upper case, not checked against the ISO list.
    fn from_letters(value: &str) -> Option<Region> {
        match value.as_bytes() {
            &[a, b] if a.is_ascii_alphabetic() && b.is_ascii_alphabetic() => {
                Some(Region([a.to_ascii_uppercase(), b.to_ascii_uppercase()]))
            }
            _ => None,
        }
    }

    /// A region from a code known to be assigned; only for this module's
    /// constant tables, which the tests check against the ISO list.
    const fn known(code: [u8; 2]) -> Region {
        Region(code)
    }

    /// The code, two upper-case ASCII letters.
    pub fn as_str(&self) -> &str {
        // Two ASCII letters by construction, so always valid UTF-8.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }

    /// The code's two letters, as bytes.
    pub(crate) fn letters(self) -> [u8; 2] {
        self.0
    }
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

impl fmt::Debug for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Region({})", self.as_str())
    }
}

impl FromStr for Region {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        Region::parse(value)
    }
}

// ---------------------------------------------------------------------------
// Nice classes
// ---------------------------------------------------------------------------

/// A class of the Nice Classification of goods and services: 1 to 45
/// (classes 1–34 are goods, 35–45 services).
#[derive(Copy, Clone, Eq, PartialEq, Hash, Ord, PartialOrd, Debug)]
pub struct NiceClass(u8);

impl NiceClass {
    /// The first class.
    pub const MIN: u8 = 1;
    /// The last class.
    pub const MAX: u8 = 45;

    /// Parses a class number.
    ///
    /// # Errors
    ///
    /// If `value` is not in 1 to 45, e.g. `class 46 is outside the Nice
    /// classification (1 to 45)`.
    pub fn parse(value: i32) -> Result<NiceClass, String> {
        match u8::try_from(value) {
            Ok(class) if (Self::MIN..=Self::MAX).contains(&class) => Ok(NiceClass(class)),
            _ => Err(format!(
                "class {value} is outside the Nice classification ({} to {})",
                Self::MIN,
                Self::MAX
            )),
        }
    }

    /// The class number, 1 to 45.
    pub const fn get(self) -> u8 {
        self.0
    }
}

impl fmt::Display for NiceClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

/// Bits 1 to 45: the only bits a [`NiceClassSet`] may have set.
const NICE_BITS: u64 = ((1 << (NiceClass::MAX as u64 + 1)) - 1) & !1;

/// A set of Nice classes, as a bitmask: bit `n` is set for class `n`.
///
/// `Copy`, one machine word, iterated in ascending class order.
#[derive(Copy, Clone, Default, Eq, PartialEq, Hash)]
pub struct NiceClassSet(u64);

impl NiceClassSet {
    /// The empty set.
    pub const fn empty() -> NiceClassSet {
        NiceClassSet(0)
    }

    /// Parses a list of class numbers into a set.
    ///
    /// # Errors
    ///
    /// If a value is outside 1 to 45 (`class 46 is outside the Nice
    /// classification (1 to 45)`) or is listed more than once (`class 9 is
    /// listed twice`). The first offending value is reported.
    pub fn parse_list(values: &[i32]) -> Result<NiceClassSet, String> {
        let mut set = NiceClassSet::empty();
        for &value in values {
            let class = NiceClass::parse(value)?;
            if !set.insert(class) {
                return Err(format!("class {value} is listed twice"));
            }
        }
        Ok(set)
    }

    /// A set from its bitmask, as returned by [`NiceClassSet::bits`].
    ///
    /// # Errors
    ///
    /// If a bit other than 1 to 45 is set.
    pub fn from_bits(bits: u64) -> Result<NiceClassSet, String> {
        if bits & !NICE_BITS != 0 {
            return Err(format!(
                "bitmask {bits:#x} has bits outside the Nice classification (1 to 45)"
            ));
        }
        Ok(NiceClassSet(bits))
    }

    /// The bitmask: bit `n` is set for class `n`, bit 0 and bits above 45
    /// are never set.
    pub const fn bits(&self) -> u64 {
        self.0
    }

    /// Adds `class`; returns whether it was not already in the set.
    pub fn insert(&mut self, class: NiceClass) -> bool {
        let bit = 1u64 << class.0;
        let added = self.0 & bit == 0;
        self.0 |= bit;
        added
    }

    /// Removes `class`; returns whether it was in the set.
    pub fn remove(&mut self, class: NiceClass) -> bool {
        let bit = 1u64 << class.0;
        let present = self.0 & bit != 0;
        self.0 &= !bit;
        present
    }

    /// Whether `class` is in the set.
    pub const fn contains(&self, class: NiceClass) -> bool {
        self.0 & (1u64 << class.0) != 0
    }

    /// Whether the set has no class.
    pub const fn is_empty(&self) -> bool {
        self.0 == 0
    }

    /// The number of classes in the set.
    pub const fn len(&self) -> usize {
        self.0.count_ones() as usize
    }

    /// The classes in either set.
    #[must_use]
    pub const fn union(self, other: NiceClassSet) -> NiceClassSet {
        NiceClassSet(self.0 | other.0)
    }

    /// Whether the two sets have a class in common.
    pub const fn intersects(&self, other: &NiceClassSet) -> bool {
        self.0 & other.0 != 0
    }

    /// The classes, in ascending order.
    pub fn iter(&self) -> NiceClassIter {
        NiceClassIter(self.0)
    }
}

impl fmt::Debug for NiceClassSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set()
            .entries(self.iter().map(NiceClass::get))
            .finish()
    }
}

impl FromIterator<NiceClass> for NiceClassSet {
    fn from_iter<I: IntoIterator<Item = NiceClass>>(iter: I) -> Self {
        let mut set = NiceClassSet::empty();
        set.extend(iter);
        set
    }
}

impl Extend<NiceClass> for NiceClassSet {
    fn extend<I: IntoIterator<Item = NiceClass>>(&mut self, iter: I) {
        for class in iter {
            self.insert(class);
        }
    }
}

impl IntoIterator for NiceClassSet {
    type Item = NiceClass;
    type IntoIter = NiceClassIter;

    fn into_iter(self) -> NiceClassIter {
        self.iter()
    }
}

impl IntoIterator for &NiceClassSet {
    type Item = NiceClass;
    type IntoIter = NiceClassIter;

    fn into_iter(self) -> NiceClassIter {
        self.iter()
    }
}

/// Iterator over the classes of a [`NiceClassSet`], in ascending order.
#[derive(Clone, Debug)]
pub struct NiceClassIter(u64);

impl Iterator for NiceClassIter {
    type Item = NiceClass;

    fn next(&mut self) -> Option<NiceClass> {
        if self.0 == 0 {
            return None;
        }
        let class = u8::try_from(self.0.trailing_zeros()).ok()?;
        self.0 &= self.0 - 1;
        Some(NiceClass(class))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let len = self.0.count_ones() as usize;
        (len, Some(len))
    }
}

impl DoubleEndedIterator for NiceClassIter {
    fn next_back(&mut self) -> Option<NiceClass> {
        if self.0 == 0 {
            return None;
        }
        // Not zero (checked above), so `ilog2` is defined.
        let top = self.0.ilog2();
        self.0 &= !(1u64 << top);
        Some(NiceClass(u8::try_from(top).ok()?))
    }
}

impl ExactSizeIterator for NiceClassIter {}

impl FusedIterator for NiceClassIter {}

// ---------------------------------------------------------------------------
// Offices and territories
// ---------------------------------------------------------------------------

/// The 27 member states of the European Union (as of 2026), sorted by code.
/// Greece is `GR` in ISO 3166-1 (the EU itself writes `EL`).
pub const EU_MEMBER_STATES: [Region; 27] = [
    Region::known(*b"AT"), // Austria
    Region::known(*b"BE"), // Belgium
    Region::known(*b"BG"), // Bulgaria
    Region::known(*b"CY"), // Cyprus
    Region::known(*b"CZ"), // Czechia
    Region::known(*b"DE"), // Germany
    Region::known(*b"DK"), // Denmark
    Region::known(*b"EE"), // Estonia
    Region::known(*b"ES"), // Spain
    Region::known(*b"FI"), // Finland
    Region::known(*b"FR"), // France
    Region::known(*b"GR"), // Greece
    Region::known(*b"HR"), // Croatia
    Region::known(*b"HU"), // Hungary
    Region::known(*b"IE"), // Ireland
    Region::known(*b"IT"), // Italy
    Region::known(*b"LT"), // Lithuania
    Region::known(*b"LU"), // Luxembourg
    Region::known(*b"LV"), // Latvia
    Region::known(*b"MT"), // Malta
    Region::known(*b"NL"), // Netherlands
    Region::known(*b"PL"), // Poland
    Region::known(*b"PT"), // Portugal
    Region::known(*b"RO"), // Romania
    Region::known(*b"SE"), // Sweden
    Region::known(*b"SI"), // Slovenia
    Region::known(*b"SK"), // Slovakia
];

/// Territories with ISO 3166-1 codes of their own that a country's
/// registrations extend to, with that country: a listing offered there is
/// in the territory of a mark of that country, and of an authorization
/// for it ([`Region::country_of_territory`]).
///
/// - United States: Puerto Rico, Guam, the U.S. Virgin Islands, American
///   Samoa, the Northern Mariana Islands and the Minor Outlying Islands.
/// - France: the overseas departments and regions (Guadeloupe, Martinique,
///   French Guiana, Réunion, Mayotte) and the collectivities where a French
///   mark applies (Saint-Pierre-et-Miquelon, Saint-Barthélemy,
///   Saint-Martin, Wallis and Futuna, the French Southern Territories);
///   not New Caledonia or French Polynesia, which have registers of their
///   own.
/// - Finland: Åland.
/// - United Kingdom: the Isle of Man (not Jersey or Guernsey, which have
///   registers of their own).
pub const DEPENDENT_TERRITORIES: [(Region, Region); 18] = [
    (Region::known(*b"AS"), Region::known(*b"US")), // American Samoa
    (Region::known(*b"AX"), Region::known(*b"FI")), // Åland
    (Region::known(*b"BL"), Region::known(*b"FR")), // Saint-Barthélemy
    (Region::known(*b"GF"), Region::known(*b"FR")), // French Guiana
    (Region::known(*b"GP"), Region::known(*b"FR")), // Guadeloupe
    (Region::known(*b"GU"), Region::known(*b"US")), // Guam
    (Region::known(*b"IM"), Region::known(*b"GB")), // Isle of Man
    (Region::known(*b"MF"), Region::known(*b"FR")), // Saint-Martin
    (Region::known(*b"MP"), Region::known(*b"US")), // Northern Mariana Islands
    (Region::known(*b"MQ"), Region::known(*b"FR")), // Martinique
    (Region::known(*b"PM"), Region::known(*b"FR")), // Saint-Pierre-et-Miquelon
    (Region::known(*b"PR"), Region::known(*b"US")), // Puerto Rico
    (Region::known(*b"RE"), Region::known(*b"FR")), // Réunion
    (Region::known(*b"TF"), Region::known(*b"FR")), // French Southern Territories
    (Region::known(*b"UM"), Region::known(*b"US")), // U.S. Minor Outlying Islands
    (Region::known(*b"VI"), Region::known(*b"US")), // U.S. Virgin Islands
    (Region::known(*b"WF"), Region::known(*b"FR")), // Wallis and Futuna
    (Region::known(*b"YT"), Region::known(*b"FR")), // Mayotte
];

/// The territories of [`DEPENDENT_TERRITORIES`] that are part of the
/// European Union (its outermost regions with codes of their own, and
/// Åland): an EU trade mark extends to them, and to no other.
pub const EU_TERRITORIES: [Region; 7] = [
    Region::known(*b"AX"), // Åland
    Region::known(*b"GF"), // French Guiana
    Region::known(*b"GP"), // Guadeloupe
    Region::known(*b"MF"), // Saint-Martin
    Region::known(*b"MQ"), // Martinique
    Region::known(*b"RE"), // Réunion
    Region::known(*b"YT"), // Mayotte
];

/// The Benelux countries, covered by a Benelux (BOIP) registration, sorted
/// by code.
pub const BENELUX_STATES: [Region; 3] = [
    Region::known(*b"BE"), // Belgium
    Region::known(*b"LU"), // Luxembourg
    Region::known(*b"NL"), // Netherlands
];

/// The 17 member states of OAPI (Bangui Agreement), all covered by every
/// OAPI registration, sorted by code.
pub const OAPI_MEMBER_STATES: [Region; 17] = [
    Region::known(*b"BF"), // Burkina Faso
    Region::known(*b"BJ"), // Benin
    Region::known(*b"CF"), // Central African Republic
    Region::known(*b"CG"), // Congo
    Region::known(*b"CI"), // Côte d'Ivoire
    Region::known(*b"CM"), // Cameroon
    Region::known(*b"GA"), // Gabon
    Region::known(*b"GN"), // Guinea
    Region::known(*b"GQ"), // Equatorial Guinea
    Region::known(*b"GW"), // Guinea-Bissau
    Region::known(*b"KM"), // Comoros
    Region::known(*b"ML"), // Mali
    Region::known(*b"MR"), // Mauritania
    Region::known(*b"NE"), // Niger
    Region::known(*b"SN"), // Senegal
    Region::known(*b"TD"), // Chad
    Region::known(*b"TG"), // Togo
];

/// The contracting states of ARIPO's Banjul Protocol on Marks, the only
/// states an ARIPO trademark can designate, sorted by code.
///
/// The ten long-standing parties, plus Mozambique (2020), The Gambia (2021)
/// and Cabo Verde (in force 14 October 2022). Other ARIPO members (Kenya,
/// Ghana, Zambia, …) are parties to ARIPO's patent protocol only. A later
/// accession needs a line here.
pub const BANJUL_PROTOCOL_STATES: [Region; 13] = [
    Region::known(*b"BW"), // Botswana
    Region::known(*b"CV"), // Cabo Verde
    Region::known(*b"GM"), // Gambia
    Region::known(*b"LR"), // Liberia
    Region::known(*b"LS"), // Lesotho
    Region::known(*b"MW"), // Malawi
    Region::known(*b"MZ"), // Mozambique
    Region::known(*b"NA"), // Namibia
    Region::known(*b"ST"), // Sao Tome and Principe
    Region::known(*b"SZ"), // Eswatini
    Region::known(*b"TZ"), // Tanzania
    Region::known(*b"UG"), // Uganda
    Region::known(*b"ZW"), // Zimbabwe
];

/// A trademark office, by its WIPO ST.3 code.
///
/// A national office has its country's ISO 3166-1 alpha-2 code; the regional
/// and international offices have ST.3 codes that ISO 3166-1 leaves
/// unassigned, so the two never clash.
#[derive(Copy, Clone, Eq, PartialEq, Hash, Ord, PartialOrd, Debug)]
pub enum Office {
    /// A country's own office (`US`, `CN`, `FR`, …).
    National(Region),
    /// The EU Intellectual Property Office (`EM`): EU trade marks.
    Euipo,
    /// WIPO (`WO`): international registrations under the Madrid system.
    Wipo,
    /// The Benelux Office for Intellectual Property (`BX`).
    Benelux,
    /// The African Intellectual Property Organization (`OA`).
    Oapi,
    /// The African Regional Intellectual Property Organization (`AP`).
    Aripo,
}

impl Office {
    /// Parses a WIPO ST.3 office code: two letters in either case, either an
    /// assigned ISO 3166-1 alpha-2 country code (a national office) or one
    /// of `EM`, `WO`, `BX`, `OA`, `AP`.
    ///
    /// # Errors
    ///
    /// If `value` is neither; the message lists what is accepted.
    pub fn parse(value: &str) -> Result<Office, String> {
        let rejected = || {
            format!(
                "{} is not a trademark office code: expected an assigned ISO 3166-1 \
                 alpha-2 country code for a national office, or EM (EUIPO), \
                 WO (WIPO, Madrid system), BX (Benelux), OA (OAPI) or AP (ARIPO)",
                quote(value)
            )
        };
        let letters = Region::from_letters(value).ok_or_else(rejected)?;
        match &letters.0 {
            b"EM" => Ok(Office::Euipo),
            b"WO" => Ok(Office::Wipo),
            b"BX" => Ok(Office::Benelux),
            b"OA" => Ok(Office::Oapi),
            b"AP" => Ok(Office::Aripo),
            _ => Region::parse(value)
                .map(Office::National)
                .map_err(|_| rejected()),
        }
    }

    /// The ST.3 code, two upper-case letters.
    pub fn as_str(&self) -> &str {
        match self {
            Office::National(region) => region.as_str(),
            Office::Euipo => "EM",
            Office::Wipo => "WO",
            Office::Benelux => "BX",
            Office::Oapi => "OA",
            Office::Aripo => "AP",
        }
    }

    /// Why `designation` cannot be one of a mark of this office (EUIPO
    /// takes none; ARIPO only Banjul Protocol states), if it cannot: one
    /// entry's refusal, where [`Office::territories`] refuses the list.
    ///
    /// # Errors
    ///
    /// `"FR": an EU trade mark is unitary: …`.
    pub fn check_designation(&self, designation: Designation) -> Result<(), String> {
        match (self, designation) {
            (Office::Euipo, _) => Err(format!("\"{designation}\": {EU_UNITARY}")),
            (Office::Aripo, Designation::Country(region)) => {
                members_only(&[region], &BANJUL_PROTOCOL_STATES, BANJUL_ONLY).map(drop)
            }
            (Office::Aripo, Designation::EuropeanUnion) => {
                Err(format!("\"{designation}\" is not {BANJUL_ONLY}"))
            }
            _ => Ok(()),
        }
    }

    /// The countries a designation of a regional office stands for, in an
    /// international registration's designated countries (Madrid
    /// designates Benelux and OAPI as one each): `BX` or `OA` (in either
    /// case); `None` for any other code. Their marks protect exactly their
    /// member states, as national marks of each would (no dependent
    /// territory tells the two apart), so they are stored as those. `EM` is
    /// not among them: the EU is designated as itself
    /// ([`Designation::EuropeanUnion`]), since its territorial scope is
    /// not its member states' ([`Designation::extends_to`]).
    pub fn designated_members(code: &str) -> Option<&'static [Region]> {
        match code.to_ascii_uppercase().as_str() {
            "BX" => Some(&BENELUX_STATES),
            "OA" => Some(&OAPI_MEMBER_STATES),
            _ => None,
        }
    }

    /// The regions a registration at this office protects, given its
    /// designations; sorted by code, without duplicates. A listing may also
    /// be offered in a territory of one of them
    /// ([`Designation::extends_to`]).
    ///
    /// - National office: its own country; nothing may be designated.
    /// - EUIPO: all 27 EU member states (an EU trade mark is unitary);
    ///   nothing may be designated.
    /// - Benelux: Belgium, Luxembourg and the Netherlands; nothing may be
    ///   designated.
    /// - OAPI: its 17 member states; nothing may be designated.
    /// - WIPO (Madrid): exactly the designated countries, at least one
    ///   designation; the EU stands for its 27 member states.
    /// - ARIPO: exactly the designated countries, at least one, each a party
    ///   to the Banjul Protocol ([`BANJUL_PROTOCOL_STATES`]).
    ///
    /// # Errors
    ///
    /// If designations are given where none are allowed, missing where they
    /// are required, or name a country the office cannot cover.
    pub fn territories(&self, designated: &[Designation]) -> Result<Vec<Region>, String> {
        match self {
            Office::National(region) => {
                require_none(
                    designated,
                    "a national office's territory is its own country; \
                     designated_countries must be empty",
                )?;
                Ok(vec![*region])
            }
            Office::Euipo => {
                require_none(designated, EU_UNITARY)?;
                Ok(EU_MEMBER_STATES.to_vec())
            }
            Office::Benelux => {
                require_none(
                    designated,
                    "a Benelux registration covers Belgium, Luxembourg and the Netherlands; \
                     designated_countries must be empty",
                )?;
                Ok(BENELUX_STATES.to_vec())
            }
            Office::Oapi => {
                require_none(
                    designated,
                    "an OAPI registration covers all 17 OAPI member states; \
                     designated_countries must be empty",
                )?;
                Ok(OAPI_MEMBER_STATES.to_vec())
            }
            Office::Wipo => {
                require_some(
                    designated,
                    "an international registration protects only its designated countries; \
                     designated_countries must not be empty",
                )?;
                Ok(sorted_unique(&members_of(designated)))
            }
            Office::Aripo => {
                require_some(
                    designated,
                    "an ARIPO registration protects only its designated countries; \
                     designated_countries must not be empty",
                )?;
                if let Some(eu) = designated
                    .iter()
                    .find(|d| **d == Designation::EuropeanUnion)
                {
                    return Err(format!("\"{eu}\" is not {BANJUL_ONLY}"));
                }
                members_only(
                    &members_of(designated),
                    &BANJUL_PROTOCOL_STATES,
                    BANJUL_ONLY,
                )
            }
        }
    }
}

impl fmt::Display for Office {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

impl FromStr for Office {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        Office::parse(value)
    }
}

/// Why an EU trade mark takes no designations.
const EU_UNITARY: &str = "an EU trade mark is unitary: it covers all 27 EU member states; designated_countries must be empty";

/// What an ARIPO trademark's designations must be.
const BANJUL_ONLY: &str = "a party to the Banjul Protocol; an ARIPO trademark can designate only \
                           Banjul Protocol states";

/// The countries `designated` protect in, in order, repeats and all.
fn members_of(designated: &[Designation]) -> Vec<Region> {
    designated
        .iter()
        .flat_map(|d| d.members())
        .copied()
        .collect()
}

fn require_none(designated: &[Designation], message: &str) -> Result<(), String> {
    if designated.is_empty() {
        Ok(())
    } else {
        Err(message.to_owned())
    }
}

fn require_some(designated: &[Designation], message: &str) -> Result<(), String> {
    if designated.is_empty() {
        Err(message.to_owned())
    } else {
        Ok(())
    }
}

/// `designated`, sorted and deduplicated, if each is in `members`; else an
/// error `"<code> is not <what>"` for the first that is not.
fn members_only(
    designated: &[Region],
    members: &[Region],
    what: &str,
) -> Result<Vec<Region>, String> {
    match designated.iter().find(|region| !members.contains(region)) {
        Some(outsider) => Err(format!("\"{outsider}\" is not {what}")),
        None => Ok(sorted_unique(designated)),
    }
}

fn sorted_unique(regions: &[Region]) -> Vec<Region> {
    let mut regions = regions.to_vec();
    regions.sort_unstable();
    regions.dedup();
    regions
}

/// One designation of an international (Madrid) or ARIPO registration: a
/// country, or the European Union designated as one (`EM`).
///
/// The two protect differently beyond their members. A country designated
/// on its own is protected as by a national mark: in the country and in the
/// territories its marks extend to ([`DEPENDENT_TERRITORIES`]). The EU
/// designated under Madrid is an EU trade mark: in the 27 member states,
/// with the EU's territorial scope, so only in the territories that are
/// part of the EU ([`EU_TERRITORIES`]), not in Saint-Pierre-et-Miquelon or
/// Saint-Barthélemy. A mark designating both `EM` and `FR` holds both
/// rights in France, and the national one reaches all of France's
/// territories. The designation is therefore kept as the EU's, never as
/// its 27 members.
///
/// Written as its code: the country's ISO 3166-1 alpha-2 code, or `EM`;
/// ordered by that code.
#[derive(Copy, Clone, Eq, PartialEq, Hash)]
pub enum Designation {
    /// A country, designated on its own.
    Country(Region),
    /// The European Union (`EM`), designated as one.
    EuropeanUnion,
}

impl Designation {
    /// Parses a designation: `EM` (in either case) for the EU, else a
    /// country as [`Region::parse`] takes it.
    ///
    /// # Errors
    ///
    /// [`Region::parse`]'s, when `value` is neither.
    pub fn parse(value: &str) -> Result<Designation, String> {
        if value.eq_ignore_ascii_case("EM") {
            return Ok(Designation::EuropeanUnion);
        }
        Region::parse(value).map(Designation::Country)
    }

    /// The code, two upper-case ASCII letters.
    pub fn as_str(&self) -> &str {
        match self {
            Designation::Country(region) => region.as_str(),
            Designation::EuropeanUnion => "EM",
        }
    }

    /// The countries it protects in: the country, or the 27 EU member
    /// states.
    pub fn members(&self) -> &[Region] {
        match self {
            Designation::Country(region) => std::slice::from_ref(region),
            Designation::EuropeanUnion => &EU_MEMBER_STATES,
        }
    }

    /// Whether its protection reaches `territory`, a territory with a code
    /// of its own ([`Region::country_of_territory`]) outside its members: a
    /// country's reaches all of its own; the EU's only those that are part
    /// of the EU ([`EU_TERRITORIES`]).
    pub fn extends_to(self, territory: Region) -> bool {
        match self {
            Designation::Country(country) => territory.country_of_territory() == Some(country),
            Designation::EuropeanUnion => EU_TERRITORIES.binary_search(&territory).is_ok(),
        }
    }

    /// Whether it protects in `region`: one of its members, or a territory
    /// it extends to.
    pub fn covers(self, region: Region) -> bool {
        self.members().contains(&region) || self.extends_to(region)
    }
}

impl Ord for Designation {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl PartialOrd for Designation {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Designation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

impl fmt::Debug for Designation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Designation({})", self.as_str())
    }
}

impl FromStr for Designation {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        Designation::parse(value)
    }
}

impl From<Region> for Designation {
    fn from(region: Region) -> Self {
        Designation::Country(region)
    }
}

// ---------------------------------------------------------------------------
// Slugs
// ---------------------------------------------------------------------------

/// The id of a member or a brand: 2 to 63 characters, lowercase ASCII
/// letters, digits and single hyphens, starting with a letter and not ending
/// with a hyphen (`acme`, `acme-sports`, `brand-2`).
///
/// Cheap to clone: the text is shared.
#[derive(Clone, Eq, PartialEq, Hash, Ord, PartialOrd, Debug)]
pub struct Slug(Arc<str>);

impl Slug {
    /// The shortest slug, in characters.
    pub const MIN_LEN: usize = 2;
    /// The longest slug, in characters.
    pub const MAX_LEN: usize = 63;

    /// Parses a slug.
    ///
    /// # Errors
    ///
    /// If `value` breaks any rule of [`Slug`]; the message names the value
    /// and the rule, e.g. `"Acme" is not a valid slug: must contain only
    /// lowercase letters a-z, digits 0-9 and hyphens, found "A"`.
    pub fn parse(value: &str) -> Result<Slug, String> {
        Self::check(value)
            .map_err(|rule| format!("{} is not a valid slug: {rule}", quote(value)))?;
        Ok(Slug(Arc::from(value)))
    }

    /// The first rule `value` breaks, if any.
    fn check(value: &str) -> Result<(), String> {
        let count = value.chars().count();
        if !(Self::MIN_LEN..=Self::MAX_LEN).contains(&count) {
            return Err(format!(
                "must be {} to {} characters, got {count}",
                Self::MIN_LEN,
                Self::MAX_LEN
            ));
        }
        if let Some(bad) = value
            .chars()
            .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
        {
            return Err(format!(
                "must contain only lowercase letters a-z, digits 0-9 and hyphens, found {}",
                quote(bad.encode_utf8(&mut [0; 4]))
            ));
        }
        if !value.starts_with(|c: char| c.is_ascii_lowercase()) {
            return Err("must start with a letter".to_owned());
        }
        if value.ends_with('-') {
            return Err("must not end with a hyphen".to_owned());
        }
        if value.contains("--") {
            return Err("must not contain two hyphens in a row".to_owned());
        }
        Ok(())
    }

    /// The slug's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Slug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&self.0)
    }
}

impl Borrow<str> for Slug {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Slug {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl FromStr for Slug {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        Slug::parse(value)
    }
}

// ---------------------------------------------------------------------------
// Free text
// ---------------------------------------------------------------------------

/// Whether `value` shows nothing: it is empty, or every character is
/// whitespace (Unicode White_Space), invisible (Default_Ignorable_Code_Point:
/// zero-width spaces and joiners, soft hyphens, variation selectors, Hangul
/// fillers…), a control character (Cc: NUL, escape), or U+2800 BRAILLE
/// PATTERN BLANK, a symbol that draws as a blank and is used as one.
pub fn is_blank(value: &str) -> bool {
    let invisible =
        icu_properties::CodePointSetData::new::<icu_properties::props::DefaultIgnorableCodePoint>();
    value
        .chars()
        .all(|c| c.is_whitespace() || c.is_control() || c == '\u{2800}' || invisible.contains(c))
}

/// Checks an identifier another system gave (a seller account): as
/// [`bounded_text`], and every character printable: no format character
/// (Unicode Cf: zero-width space, bidi controls, byte order mark), line or
/// paragraph separator, private-use, surrogate or unassigned code point.
/// Such an identifier could look like another (`ab\u{200B}c` like `abc`)
/// while never being equal to it.
///
/// # Errors
///
/// [`bounded_text`]'s, then `must be printable characters, found U+200B at
/// character 3`.
pub fn printable_identifier(value: &str, min_chars: usize, max_chars: usize) -> Result<(), String> {
    bounded_text(value, min_chars, max_chars)?;
    if let Some((index, c)) = first_unprintable(value) {
        return Err(format!(
            "must be printable characters, found U+{:04X} at character {}",
            u32::from(c),
            index + 1
        ));
    }
    Ok(())
}

/// Most characters in a seller account.
pub const MAX_SELLER_ACCOUNT_CHARS: usize = 128;

/// A seller account as the registry keeps and compares it, the one rule
/// for every request that names one (an authorization written or imported,
/// a check, a list filter): [`printable_identifier`], `min_chars` to
/// [`MAX_SELLER_ACCOUNT_CHARS`] characters as given, then in Unicode
/// Normalization Form C ([`nfc_seller_account`]).
///
/// # Errors
///
/// [`printable_identifier`]'s; or `is 130 characters once normalized
/// (NFC), more than 128` for the few characters that NFC decomposes.
pub fn seller_account(value: &str, min_chars: usize) -> Result<String, String> {
    printable_identifier(value, min_chars, MAX_SELLER_ACCOUNT_CHARS)?;
    let normalized = nfc_seller_account(value);
    let count = normalized.chars().count();
    if count > MAX_SELLER_ACCOUNT_CHARS {
        return Err(format!(
            "is {count} characters once normalized (NFC), more than {MAX_SELLER_ACCOUNT_CHARS}"
        ));
    }
    Ok(normalized.into_owned())
}

/// `value` in Unicode Normalization Form C: canonically equivalent
/// spellings of one account (`Café` with a precomposed `é`, as macOS and
/// most keyboards write it, or with `e` and a combining acute accent, as
/// some file systems and databases return it) are one account. Only NFC:
/// compatibility forms (full-width `ＡＢＣ`, `ﬁ`) may be other accounts on a
/// platform, and are kept as given. Borrowed when already in NFC (every
/// ASCII account).
pub fn nfc_seller_account(value: &str) -> std::borrow::Cow<'_, str> {
    use unicode_normalization::UnicodeNormalization;
    if unicode_normalization::is_nfc(value) {
        std::borrow::Cow::Borrowed(value)
    } else {
        std::borrow::Cow::Owned(value.nfc().collect())
    }
}

/// The first character (with its index) that an identifier may not hold:
/// a format character (zero-width, bidi control), a line or paragraph
/// separator, a private-use, surrogate or unassigned code point.
pub fn first_unprintable(value: &str) -> Option<(usize, char)> {
    value.chars().enumerate().find(|&(_, c)| is_unprintable(c))
}

/// Whether `c` is a format character (zero-width, bidi control), a line or
/// paragraph separator, or a private-use, surrogate or unassigned code
/// point: what no identifier may hold ([`first_unprintable`]).
fn is_unprintable(c: char) -> bool {
    use icu_properties::props::GeneralCategory as Gc;
    matches!(
        icu_properties::CodePointMapData::<Gc>::new().get(c),
        Gc::Format
            | Gc::LineSeparator
            | Gc::ParagraphSeparator
            | Gc::PrivateUse
            | Gc::Surrogate
            | Gc::Unassigned
    )
}

/// The bidi embeddings, overrides and isolates (U+202A–U+202E,
/// U+2066–U+2069): shown to others, a name holding one reorders what
/// follows it (`Foo\u{202E}Bar` shows `FooraB`). The marks U+200E, U+200F
/// and U+061C reorder nothing and stay allowed.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Checks that `value` has no control character (Unicode Cc: NUL, tab,
/// line feed…).
///
/// # Errors
///
/// `must not contain control characters, found U+0000 at character 3`.
pub fn no_control_characters(value: &str) -> Result<(), String> {
    match value.chars().enumerate().find(|(_, c)| c.is_control()) {
        Some((index, control)) => Err(format!(
            "must not contain control characters, found U+{:04X} at character {}",
            u32::from(control),
            index + 1
        )),
        None => Ok(()),
    }
}

/// Checks a free-text field (a display name, a mark's text, a reference):
/// `min_chars` to `max_chars` Unicode scalar values, no control character
/// (Unicode category Cc, which includes tab and newline), line or
/// paragraph separator (U+2028, U+2029) nor bidi embedding, override or
/// isolate (`is_bidi_control`), not blank
/// ([`is_blank`]) when it is required (`min_chars` above 0), and no leading
/// or trailing whitespace.
///
/// The messages do not name the field or quote the value; the caller
/// prefixes the field's name.
///
/// # Errors
///
/// The first rule broken, checked in that order, e.g. `must be 1 to 200
/// characters, got 240`, `must not contain control characters, found U+0007
/// at character 4`, `must not be blank`, `must not start or end with
/// whitespace`.
pub fn bounded_text(value: &str, min_chars: usize, max_chars: usize) -> Result<(), String> {
    let count = value.chars().count();
    if count < min_chars || count > max_chars {
        return Err(if min_chars == max_chars {
            format!("must be exactly {}, got {count}", characters(min_chars))
        } else {
            format!("must be {min_chars} to {max_chars} characters, got {count}")
        });
    }
    no_control_characters(value)?;
    if let Some((index, separator)) = value
        .chars()
        .enumerate()
        .find(|&(_, c)| matches!(c, '\u{2028}' | '\u{2029}'))
    {
        return Err(format!(
            "must not contain line or paragraph separators, found U+{:04X} at character {}",
            u32::from(separator),
            index + 1
        ));
    }
    if let Some((index, control)) = value.chars().enumerate().find(|&(_, c)| is_bidi_control(c)) {
        return Err(format!(
            "must not contain bidi embeddings, overrides or isolates, which change the order the \
             text around them is shown in, found U+{:04X} at character {}",
            u32::from(control),
            index + 1
        ));
    }
    if min_chars > 0 && is_blank(value) {
        return Err("must not be blank".to_owned());
    }
    if value.starts_with(char::is_whitespace) || value.ends_with(char::is_whitespace) {
        return Err("must not start or end with whitespace".to_owned());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A quoted value reads back as JSON (grpcurl's `-d`) to the value, and
    /// shows what does not show itself as an escape.
    #[test]
    fn quoted_values_are_json_strings_that_show_the_invisible() {
        assert_eq!(quote("Vel\u{200b}lano"), r#""Vel\u200blano""#);
        assert_eq!(quote("a\"b\\c\n"), r#""a\"b\\c\n""#);
        assert_eq!(quote("\u{e0001}x"), r#""\udb40\udc01x""#);
        assert_eq!(quote("奥瑞尔 it's 👜"), "\"奥瑞尔 it's 👜\"");
        for value in [
            "Vel\u{200b}lano",
            "tab\tand\u{7}bell",
            "\u{202e}reversed\u{2066}",
            "e\u{301} \u{e000} \u{e0001} \u{ad}",
            "quote \" and \\",
        ] {
            let quoted = quote(value);
            assert_eq!(
                serde_json::from_str::<String>(&quoted).expect("JSON"),
                value,
                "{quoted}"
            );
            assert!(
                quoted
                    .chars()
                    .all(|c| c == ' ' || !c.is_whitespace() && !c.is_control()),
                "{quoted}"
            );
        }
        let long = "x".repeat(100);
        assert_eq!(quote(&long), format!("\"{}\"…", "x".repeat(64)));
    }
    #[test]
    fn values_quoted_as_read_show_their_characters_and_nothing_unprintable() {
        let nfd = "Cafe\u{301} 奥瑞尔 👜";
        let read = seller_account(nfd, 1).expect("a seller account");
        assert_eq!(quote_as_read(&read), "\"Caf\u{e9} 奥瑞尔 👜\"");
        // A combining mark with no precomposed form stays a mark.
        assert_eq!(quote_as_read("q\u{301}"), "\"q\u{301}\"");
        assert_eq!(quote_as_read("a\"b\\c"), r#""a\"b\\c""#);
        for unprintable in [
            "\n", "\u{7}", "\u{200b}", "\u{202e}", "\u{2028}", "\u{e000}",
        ] {
            assert_eq!(
                quote_as_read(&format!("a{unprintable}b")),
                "\"a\u{fffd}b\"",
                "{unprintable:?}"
            );
        }
    }

    use std::collections::{BTreeSet, HashSet};

    #[test]
    fn territories_name_their_country_and_the_table_is_sorted() {
        assert!(DEPENDENT_TERRITORIES.windows(2).all(|w| w[0].0 < w[1].0));
        assert!(EU_TERRITORIES.windows(2).all(|w| w[0] < w[1]));
        for &(territory, _) in &DEPENDENT_TERRITORIES {
            assert!(Region::parse(territory.as_str()).is_ok(), "{territory:?}");
        }
        assert_eq!(region("PR").country_of_territory(), Some(region("US")));
        assert_eq!(region("GP").country_of_territory(), Some(region("FR")));
        assert_eq!(region("AX").country_of_territory(), Some(region("FI")));
        assert_eq!(region("US").country_of_territory(), None);
        assert_eq!(region("NC").country_of_territory(), None);
        assert!(Designation::EuropeanUnion.extends_to(region("GP")));
        assert!(!Designation::EuropeanUnion.extends_to(region("PM")));
        assert!(Designation::Country(region("FR")).extends_to(region("PM")));
        for territory in EU_TERRITORIES {
            let country = territory.country_of_territory().expect("a territory");
            assert!(EU_MEMBER_STATES.contains(&country), "{territory:?}");
        }
    }

    fn region(code: &str) -> Region {
        Region::parse(code).unwrap()
    }

    /// Codes other lists use for a country, or for the EU, name the code
    /// to write instead.
    #[test]
    fn an_unassigned_code_in_common_use_names_the_one_meant() {
        let refused = |code: &str| Region::parse(code).expect_err(code);
        assert!(refused("UK").ends_with("(the United Kingdom is GB)"));
        assert!(refused("el").ends_with("(Greece is GR)"));
        assert!(refused("EU").contains("EM where an EU trade mark is meant"));
        assert!(Designation::parse("EU").expect_err("EU").contains("EM"));
        assert_eq!(
            refused("ZZ"),
            "\"ZZ\" is not an assigned ISO 3166-1 alpha-2 code"
        );
    }

    #[test]
    fn regions_order_as_their_codes() {
        for a in rust_iso3166::ALL_ALPHA2 {
            for b in rust_iso3166::ALL_ALPHA2 {
                assert_eq!(region(a).cmp(&region(b)), a.cmp(b), "{a} {b}");
            }
        }
    }

    fn regions(codes: &[&str]) -> Vec<Region> {
        codes.iter().map(|code| region(code)).collect()
    }

    fn designations(codes: &[&str]) -> Vec<Designation> {
        codes
            .iter()
            .map(|code| Designation::parse(code).unwrap())
            .collect()
    }

    fn class(n: i32) -> NiceClass {
        NiceClass::parse(n).unwrap()
    }

    // ----- Region -----

    #[test]
    fn region_accepts_assigned_codes_in_either_case() {
        for (input, code) in [
            ("CN", "CN"),
            ("US", "US"),
            ("FR", "FR"),
            ("gb", "GB"),
            ("De", "DE"),
            ("jP", "JP"),
            ("GR", "GR"),
            ("AQ", "AQ"),
            ("SS", "SS"),
        ] {
            let parsed = Region::parse(input).unwrap();
            assert_eq!(parsed.as_str(), code, "{input}");
            assert_eq!(parsed.to_string(), code);
        }
    }

    #[test]
    fn region_rejects_unassigned_and_reserved_codes() {
        for code in [
            "XX", "ZZ", "EU", "UK", "EL", "AA", "QM", "XK", "AN", "YU", "EM", "WO", "BX", "OA",
            "AP", "zz",
        ] {
            let err = Region::parse(code).unwrap_err();
            assert!(
                err.starts_with(&format!(
                    "\"{code}\" is not an assigned ISO 3166-1 alpha-2 code"
                )),
                "{err}"
            );
        }
    }

    #[test]
    fn region_rejects_anything_but_two_letters() {
        for input in [
            "",
            "C",
            "CHN",
            " CN",
            "CN ",
            "C1",
            "12",
            "C-",
            "ÄB",
            "É",
            "\u{0}\u{0}",
            "ＣＮ",
        ] {
            let err = Region::parse(input).unwrap_err();
            assert!(
                err.ends_with("is not an ISO 3166-1 alpha-2 code: expected two letters"),
                "{input:?}: {err}"
            );
        }
        assert_eq!(
            Region::parse("USA").unwrap_err(),
            "\"USA\" is not an ISO 3166-1 alpha-2 code: expected two letters"
        );
    }

    #[test]
    fn region_accepts_exactly_the_249_assigned_codes() {
        let assigned: BTreeSet<&str> = rust_iso3166::ALL_ALPHA2.iter().copied().collect();
        assert_eq!(assigned.len(), 249);
        let mut accepted = 0;
        for a in b'A'..=b'Z' {
            for b in b'A'..=b'Z' {
                let code = String::from_utf8(vec![a, b]).unwrap();
                let parsed = Region::parse(&code);
                assert_eq!(parsed.is_ok(), assigned.contains(code.as_str()), "{code}");
                if let Ok(region) = parsed {
                    accepted += 1;
                    assert_eq!(region.as_str(), code);
                }
            }
        }
        assert_eq!(accepted, 249);
    }

    #[test]
    fn region_orders_and_hashes_by_code() {
        assert!(region("AT") < region("BE"));
        assert!(region("BE") < region("BG"));
        assert_eq!(region("fr"), region("FR"));
        let set: HashSet<Region> = regions(&["FR", "fr", "Fr"]).into_iter().collect();
        assert_eq!(set.len(), 1);
        assert_eq!(format!("{:?}", region("cn")), "Region(CN)");
        assert_eq!(format!("[{:>4}]", region("CN")), "[  CN]");
        assert_eq!("us".parse::<Region>(), Ok(region("US")));
    }

    #[test]
    fn error_messages_quote_safely_and_briefly() {
        let err = Region::parse("a\nb").unwrap_err();
        assert!(err.starts_with("\"a\\nb\""), "{err}");
        let long = "x".repeat(10_000);
        let err = Region::parse(&long).unwrap_err();
        assert!(err.len() < 200, "{err}");
        assert!(
            err.starts_with(&format!("\"{}\"…", "x".repeat(64))),
            "{err}"
        );
    }

    // ----- NiceClass -----

    #[test]
    fn nice_class_accepts_1_to_45() {
        for n in 1..=45 {
            assert_eq!(i32::from(NiceClass::parse(n).unwrap().get()), n);
        }
        assert_eq!(class(9).to_string(), "9");
        assert!(class(1) < class(45));
    }

    #[test]
    fn nice_class_rejects_out_of_range() {
        for n in [0, 46, -1, 255, 256, 257, 301, i32::MIN, i32::MAX] {
            assert_eq!(
                NiceClass::parse(n).unwrap_err(),
                format!("class {n} is outside the Nice classification (1 to 45)")
            );
        }
    }

    // ----- NiceClassSet -----

    #[test]
    fn nice_class_set_basics() {
        let mut set = NiceClassSet::empty();
        assert!(set.is_empty());
        assert_eq!(set.len(), 0);
        assert_eq!(set, NiceClassSet::default());
        assert!(set.insert(class(25)));
        assert!(set.insert(class(9)));
        assert!(!set.insert(class(9)));
        assert!(set.contains(class(9)));
        assert!(set.contains(class(25)));
        assert!(!set.contains(class(1)));
        assert!(!set.is_empty());
        assert_eq!(set.len(), 2);
        assert_eq!(set.bits(), (1 << 9) | (1 << 25));
        assert!(set.remove(class(25)));
        assert!(!set.remove(class(25)));
        assert_eq!(set.iter().map(NiceClass::get).collect::<Vec<_>>(), [9]);
        assert_eq!(format!("{set:?}"), "{9}");
    }

    #[test]
    fn nice_class_set_iterates_in_ascending_order() {
        let set: NiceClassSet = [45, 1, 25, 9, 35].into_iter().map(class).collect();
        let forward: Vec<u8> = set.iter().map(NiceClass::get).collect();
        assert_eq!(forward, [1, 9, 25, 35, 45]);
        let backward: Vec<u8> = set.iter().rev().map(NiceClass::get).collect();
        assert_eq!(backward, [45, 35, 25, 9, 1]);
        assert_eq!(set.iter().len(), 5);
        let by_ref: Vec<u8> = (&set).into_iter().map(NiceClass::get).collect();
        assert_eq!(by_ref, forward);
        let by_value: Vec<u8> = set.into_iter().map(NiceClass::get).collect();
        assert_eq!(by_value, forward);
        assert_eq!(format!("{set:?}"), "{1, 9, 25, 35, 45}");
    }

    #[test]
    fn nice_class_set_holds_all_45() {
        let all: NiceClassSet = (1..=45).map(class).collect();
        assert_eq!(all.len(), 45);
        assert_eq!(all.bits(), NICE_BITS);
        assert_eq!(all.iter().count(), 45);
        assert!(all.iter().map(NiceClass::get).eq(1..=45));
        assert!(all.iter().rev().map(NiceClass::get).eq((1..=45).rev()));
    }

    #[test]
    fn nice_class_set_intersects() {
        let a = NiceClassSet::parse_list(&[9, 25]).unwrap();
        let b = NiceClassSet::parse_list(&[25, 35]).unwrap();
        let c = NiceClassSet::parse_list(&[3]).unwrap();
        assert!(a.intersects(&b));
        assert!(!a.intersects(&c));
        assert!(!a.intersects(&NiceClassSet::empty()));
    }

    #[test]
    fn nice_class_set_parse_list() {
        let set = NiceClassSet::parse_list(&[25, 9, 3]).unwrap();
        assert_eq!(
            set.iter().map(NiceClass::get).collect::<Vec<_>>(),
            [3, 9, 25]
        );
        assert_eq!(NiceClassSet::parse_list(&[]), Ok(NiceClassSet::empty()));
        assert_eq!(
            NiceClassSet::parse_list(&[9, 46]).unwrap_err(),
            "class 46 is outside the Nice classification (1 to 45)"
        );
        assert_eq!(
            NiceClassSet::parse_list(&[0]).unwrap_err(),
            "class 0 is outside the Nice classification (1 to 45)"
        );
        assert_eq!(
            NiceClassSet::parse_list(&[9, 25, 9]).unwrap_err(),
            "class 9 is listed twice"
        );
        assert_eq!(
            NiceClassSet::parse_list(&[9, 9, 99]).unwrap_err(),
            "class 9 is listed twice"
        );
    }

    #[test]
    fn nice_class_set_from_bits() {
        let set = NiceClassSet::parse_list(&[1, 45]).unwrap();
        assert_eq!(NiceClassSet::from_bits(set.bits()), Ok(set));
        assert_eq!(NiceClassSet::from_bits(0), Ok(NiceClassSet::empty()));
        assert_eq!(NiceClassSet::from_bits(NICE_BITS).unwrap().len(), 45);
        for bad in [1u64, 1 << 46, 1 << 63, u64::MAX] {
            let err = NiceClassSet::from_bits(bad).unwrap_err();
            assert!(err.contains("outside the Nice classification"), "{err}");
        }
    }

    // ----- Office -----

    #[test]
    fn office_parses_regional_codes_in_either_case() {
        for (input, office) in [
            ("EM", Office::Euipo),
            ("em", Office::Euipo),
            ("WO", Office::Wipo),
            ("wO", Office::Wipo),
            ("BX", Office::Benelux),
            ("OA", Office::Oapi),
            ("AP", Office::Aripo),
            ("ap", Office::Aripo),
        ] {
            assert_eq!(Office::parse(input), Ok(office), "{input}");
        }
    }

    #[test]
    fn office_parses_national_codes() {
        assert_eq!(Office::parse("US"), Ok(Office::National(region("US"))));
        assert_eq!(Office::parse("cn"), Ok(Office::National(region("CN"))));
        assert_eq!("fr".parse::<Office>(), Ok(Office::National(region("FR"))));
    }

    #[test]
    fn office_rejects_other_codes_and_lists_what_is_accepted() {
        for input in ["ZZ", "EU", "XX", "", "E", "EMX", "USA", " EM", "É1"] {
            let err = Office::parse(input).unwrap_err();
            assert!(
                err.starts_with(&format!("{input:?} is not a trademark office code")),
                "{err}"
            );
            for accepted in ["ISO 3166-1", "EM", "WO", "BX", "OA", "AP"] {
                assert!(err.contains(accepted), "{err}");
            }
        }
    }

    #[test]
    fn office_codes_round_trip() {
        for code in ["EM", "WO", "BX", "OA", "AP", "US", "CN", "DE"] {
            let office = Office::parse(code).unwrap();
            assert_eq!(office.as_str(), code);
            assert_eq!(office.to_string(), code);
            assert_eq!(Office::parse(office.as_str()), Ok(office));
        }
    }

    #[test]
    fn regional_office_codes_are_not_country_codes() {
        for code in ["EM", "WO", "BX", "OA", "AP"] {
            assert!(Region::parse(code).is_err(), "{code}");
        }
    }

    #[test]
    fn national_territory_is_its_country() {
        let office = Office::parse("US").unwrap();
        assert_eq!(office.territories(&[]), Ok(regions(&["US"])));
        assert_eq!(
            office.territories(&designations(&["CA"])).unwrap_err(),
            "a national office's territory is its own country; designated_countries must be empty"
        );
    }

    #[test]
    fn euipo_defaults_to_the_27_member_states() {
        let territories = Office::Euipo.territories(&[]).unwrap();
        assert_eq!(territories.len(), 27);
        assert_eq!(territories, EU_MEMBER_STATES.to_vec());
        for code in ["GR", "HU", "HR", "DE", "FR", "IE", "CY", "MT"] {
            assert!(territories.contains(&region(code)), "{code}");
        }
        for code in ["GB", "CH", "NO", "IS"] {
            assert!(!territories.contains(&region(code)), "{code}");
        }
    }

    #[test]
    fn an_eu_trade_mark_takes_no_designations() {
        for designated in [&["FR"][..], &["FR", "GB"]] {
            assert_eq!(
                Office::Euipo
                    .territories(&designations(designated))
                    .unwrap_err(),
                EU_UNITARY
            );
        }
        let refused = Office::Euipo
            .check_designation(region("FR").into())
            .unwrap_err();
        assert!(refused.contains("unitary"), "{refused}");
    }

    #[test]
    fn benelux_covers_three_countries() {
        assert_eq!(
            Office::Benelux.territories(&[]),
            Ok(regions(&["BE", "LU", "NL"]))
        );
        assert!(
            Office::Benelux
                .territories(&designations(&["BE"]))
                .unwrap_err()
                .ends_with("designated_countries must be empty")
        );
    }

    #[test]
    fn oapi_covers_its_17_member_states() {
        let territories = Office::Oapi.territories(&[]).unwrap();
        assert_eq!(territories.len(), 17);
        assert!(territories.contains(&region("CM")));
        assert!(territories.contains(&region("SN")));
        assert!(
            Office::Oapi
                .territories(&designations(&["CM"]))
                .unwrap_err()
                .ends_with("designated_countries must be empty")
        );
    }

    #[test]
    fn wipo_requires_designations() {
        assert_eq!(
            Office::Wipo.territories(&[]).unwrap_err(),
            "an international registration protects only its designated countries; \
             designated_countries must not be empty"
        );
        assert_eq!(
            Office::Wipo.territories(&designations(&["US", "CN", "JP", "CN"])),
            Ok(regions(&["CN", "JP", "US"]))
        );
    }

    #[test]
    fn a_madrid_mark_may_designate_the_eu_as_one() {
        assert_eq!(
            Office::Wipo.territories(&designations(&["JP", "EM"])),
            Ok(sorted_unique(
                &[&EU_MEMBER_STATES[..], &regions(&["JP"])].concat()
            ))
        );
        // France designated beside the EU is one country of the 27.
        assert_eq!(
            Office::Wipo
                .territories(&designations(&["EM", "FR"]))
                .map(|t| t.len()),
            Ok(27)
        );
        assert_eq!(
            Office::Wipo.check_designation(Designation::EuropeanUnion),
            Ok(())
        );
        assert_eq!(
            Office::Aripo
                .territories(&designations(&["BW", "EM"]))
                .unwrap_err(),
            format!("\"EM\" is not {BANJUL_ONLY}")
        );
        assert_eq!(
            Office::Aripo.check_designation(Designation::EuropeanUnion),
            Err(format!("\"EM\" is not {BANJUL_ONLY}"))
        );
        assert!(
            Office::Euipo
                .check_designation(Designation::EuropeanUnion)
                .unwrap_err()
                .contains("unitary")
        );
        // Benelux and OAPI still stand for their members; the EU does not.
        assert_eq!(Office::designated_members("bx"), Some(&BENELUX_STATES[..]));
        assert_eq!(Office::designated_members("OA").map(<[_]>::len), Some(17));
        assert_eq!(Office::designated_members("EM"), None);
    }

    #[test]
    fn designations_parse_as_countries_or_the_eu() {
        assert_eq!(Designation::parse("em"), Ok(Designation::EuropeanUnion));
        assert_eq!(
            Designation::parse("fr"),
            Ok(Designation::Country(region("FR")))
        );
        assert!(
            Designation::parse("EU")
                .unwrap_err()
                .starts_with("\"EU\" is not an assigned ISO 3166-1 alpha-2 code (")
        );
        for code in ["WO", "BX", "OA", "ZZ", "", "EMM"] {
            assert!(Designation::parse(code).is_err(), "{code:?}");
        }
        for code in ["EM", "FR", "JP"] {
            let designation = Designation::parse(code).unwrap();
            assert_eq!(designation.as_str(), code);
            assert_eq!(designation.to_string(), code);
        }
        let mut sorted = designations(&["FR", "EM", "DE", "ES"]);
        sorted.sort();
        assert_eq!(sorted, designations(&["DE", "EM", "ES", "FR"]));
        assert_eq!(
            format!("{:?}", Designation::EuropeanUnion),
            "Designation(EM)"
        );
    }

    /// An EU designation (directly at EUIPO or through Madrid) has the EU's
    /// territorial scope: the territories that are part of the EU, not the
    /// others of its member states; a country designated on its own reaches
    /// all of its own.
    #[test]
    fn the_eu_reaches_only_territories_in_the_eu() {
        let eu = Designation::EuropeanUnion;
        let france = Designation::Country(region("FR"));
        for code in ["FR", "DE", "GR"] {
            assert!(eu.covers(region(code)), "{code}");
            assert!(
                !eu.extends_to(region(code)),
                "{code} is a member, not a territory"
            );
        }
        for code in ["GP", "MQ", "GF", "RE", "YT", "MF", "AX"] {
            assert!(eu.covers(region(code)), "{code}");
        }
        for code in ["PM", "BL", "WF", "TF", "IM", "PR", "US", "GB", "NC"] {
            assert!(!eu.covers(region(code)), "{code}");
        }
        for code in ["FR", "GP", "PM", "BL", "WF", "TF"] {
            assert!(france.covers(region(code)), "{code}");
        }
        for code in ["AX", "DE", "NC", "PF"] {
            assert!(!france.covers(region(code)), "{code}");
        }
        assert!(Designation::Country(region("FI")).covers(region("AX")));
        assert!(!Designation::Country(region("US")).covers(region("GP")));
    }

    #[test]
    fn aripo_requires_banjul_protocol_designations() {
        assert!(
            Office::Aripo
                .territories(&[])
                .unwrap_err()
                .ends_with("designated_countries must not be empty")
        );
        assert_eq!(
            Office::Aripo.territories(&designations(&["ZW", "BW", "ZW"])),
            Ok(regions(&["BW", "ZW"]))
        );
        assert_eq!(
            Office::Aripo
                .territories(&designations(&["BW", "KE"]))
                .unwrap_err(),
            "\"KE\" is not a party to the Banjul Protocol; an ARIPO trademark can designate \
             only Banjul Protocol states"
        );
        assert_eq!(
            Office::Aripo
                .territories(&BANJUL_PROTOCOL_STATES.map(Designation::from))
                .unwrap()
                .len(),
            13
        );
    }

    #[test]
    fn member_tables_are_assigned_sorted_and_unique() {
        for table in [
            &EU_MEMBER_STATES[..],
            &BENELUX_STATES[..],
            &OAPI_MEMBER_STATES[..],
            &BANJUL_PROTOCOL_STATES[..],
        ] {
            for member in table {
                assert_eq!(Region::parse(member.as_str()), Ok(*member));
            }
            assert!(table.windows(2).all(|pair| pair[0] < pair[1]), "{table:?}");
        }
        assert!(BENELUX_STATES.iter().all(|r| EU_MEMBER_STATES.contains(r)));
    }

    // ----- Slug -----

    #[test]
    fn slug_accepts_valid_ids() {
        for input in [
            "ab",
            "acme",
            "acme-sports",
            "brand-2",
            "a1",
            "x-1-y-2",
            "nike",
        ] {
            let slug = Slug::parse(input).unwrap();
            assert_eq!(slug.as_str(), input);
            assert_eq!(slug.to_string(), input);
        }
        let longest = format!("a{}", "b".repeat(62));
        assert_eq!(Slug::parse(&longest).unwrap().as_str().len(), 63);
    }

    #[test]
    fn slug_rejects_invalid_ids() {
        let too_long = format!("a{}", "b".repeat(63));
        for (input, rule) in [
            ("", "must be 2 to 63 characters, got 0"),
            ("a", "must be 2 to 63 characters, got 1"),
            (too_long.as_str(), "must be 2 to 63 characters, got 64"),
            (
                "Acme",
                "must contain only lowercase letters a-z, digits 0-9 and hyphens, found \"A\"",
            ),
            (
                "acme_sports",
                "must contain only lowercase letters a-z, digits 0-9 and hyphens, found \"_\"",
            ),
            (
                "acme sports",
                "must contain only lowercase letters a-z, digits 0-9 and hyphens, found \" \"",
            ),
            (
                "café",
                "must contain only lowercase letters a-z, digits 0-9 and hyphens, found \"é\"",
            ),
            (
                "ab\n",
                "must contain only lowercase letters a-z, digits 0-9 and hyphens, found \"\\n\"",
            ),
            ("1acme", "must start with a letter"),
            ("-acme", "must start with a letter"),
            ("acme-", "must not end with a hyphen"),
            ("acme--sports", "must not contain two hyphens in a row"),
        ] {
            assert_eq!(
                Slug::parse(input).unwrap_err(),
                format!("{} is not a valid slug: {rule}", quote(input)),
                "{input:?}"
            );
        }
        assert_eq!(
            Slug::parse("Acme").unwrap_err(),
            "\"Acme\" is not a valid slug: must contain only lowercase letters a-z, \
             digits 0-9 and hyphens, found \"A\""
        );
    }

    #[test]
    fn slug_counts_characters_not_bytes() {
        // 32 two-byte characters: 64 bytes but 32 characters, so the length
        // passes and the character rule is what rejects it.
        let err = Slug::parse(&"é".repeat(32)).unwrap_err();
        assert!(err.ends_with("found \"é\""), "{err}");
    }

    #[test]
    fn slug_is_cheap_to_clone_and_borrows_as_str() {
        let slug = Slug::parse("acme").unwrap();
        let clone = slug.clone();
        assert!(Arc::ptr_eq(&slug.0, &clone.0));
        let set: HashSet<Slug> = [slug.clone()].into_iter().collect();
        assert!(set.contains("acme"));
        let ordered: BTreeSet<Slug> = ["beta", "alpha", "gamma"]
            .into_iter()
            .map(|s| Slug::parse(s).unwrap())
            .collect();
        assert!(ordered.contains("beta"));
        assert_eq!(
            ordered.iter().map(Slug::as_str).collect::<Vec<_>>(),
            ["alpha", "beta", "gamma"]
        );
        assert_eq!("acme".parse::<Slug>(), Ok(slug.clone()));
        let as_ref: &str = slug.as_ref();
        assert_eq!(as_ref, "acme");
        assert_eq!(format!("{slug:?}"), "Slug(\"acme\")");
    }

    // ----- bounded_text -----

    #[test]
    fn bounded_text_refuses_bidi_controls_that_reorder_text() {
        for control in ['\u{202A}', '\u{202E}', '\u{2066}', '\u{2069}'] {
            let value = format!("Foo{control}Bar");
            let error = bounded_text(&value, 1, 200).expect_err("a bidi control");
            assert!(
                error.contains(&format!("U+{:04X} at character 4", u32::from(control))),
                "{error}"
            );
        }
        // The marks reorder nothing: right-to-left names may need them.
        assert_eq!(bounded_text("שלום\u{200F} Acme", 1, 200), Ok(()));
        assert_eq!(bounded_text("\u{200E}Acme", 1, 200), Ok(()));
    }

    #[test]
    fn bounded_text_accepts_valid_text() {
        assert_eq!(bounded_text("Acme Sports", 1, 200), Ok(()));
        assert_eq!(bounded_text("", 0, 10), Ok(()));
        assert_eq!(bounded_text("耐克 Nike", 1, 7), Ok(()));
        assert_eq!(bounded_text("a b", 3, 3), Ok(()));
        assert_eq!(bounded_text("Ünïcödé ✓", 9, 9), Ok(()));
    }

    #[test]
    fn bounded_text_counts_unicode_scalar_values() {
        // 4 characters, 12 bytes.
        assert_eq!(bounded_text("日本語字", 1, 4), Ok(()));
        assert_eq!(
            bounded_text("日本語字", 1, 3),
            Err("must be 1 to 3 characters, got 4".to_owned())
        );
        // One emoji with a skin-tone modifier is two scalar values.
        assert_eq!(
            bounded_text("👍🏽", 1, 1),
            Err("must be exactly 1 character, got 2".to_owned())
        );
    }

    #[test]
    fn bounded_text_rejects_bad_lengths() {
        assert_eq!(
            bounded_text(&"x".repeat(240), 1, 200),
            Err("must be 1 to 200 characters, got 240".to_owned())
        );
        assert_eq!(
            bounded_text("", 1, 200),
            Err("must be 1 to 200 characters, got 0".to_owned())
        );
        assert_eq!(
            bounded_text("abcd", 3, 3),
            Err("must be exactly 3 characters, got 4".to_owned())
        );
    }

    #[test]
    fn bounded_text_rejects_control_characters() {
        for (input, code, position) in [
            ("ab\u{7}c", "0007", 3),
            ("a\nb", "000A", 2),
            ("a\tb", "0009", 2),
            ("\u{0}", "0000", 1),
            ("ab\u{7f}", "007F", 3),
            ("é\u{85}", "0085", 2),
            ("\u{9f}", "009F", 1),
        ] {
            assert_eq!(
                bounded_text(input, 0, 100),
                Err(format!(
                    "must not contain control characters, found U+{code} at character {position}"
                )),
                "{input:?}"
            );
        }
        // Format characters (Cf) such as a zero-width joiner are not controls.
        assert_eq!(bounded_text("a\u{200d}b", 1, 10), Ok(()));
        // Line and paragraph separators break a line as a newline does.
        assert_eq!(
            bounded_text("a\u{2028}b", 1, 10),
            Err(
                "must not contain line or paragraph separators, found U+2028 at character 2".into()
            )
        );
    }

    #[test]
    fn identifiers_are_printable() {
        assert_eq!(printable_identifier("seller-42 Ltd.", 1, 128), Ok(()));
        assert_eq!(printable_identifier("店铺-旗舰", 1, 128), Ok(()));
        for (input, code, position) in [
            ("ab\u{200B}c", "200B", 3),
            ("\u{FEFF}abc", "FEFF", 1),
            ("ab\u{2060}c", "2060", 3),
            ("a\u{E000}", "E000", 2),
            ("a\u{0378}", "0378", 2),
        ] {
            assert_eq!(
                printable_identifier(input, 1, 128),
                Err(format!(
                    "must be printable characters, found U+{code} at character {position}"
                )),
                "{input:?}"
            );
        }
        // The free-text rules first.
        assert_eq!(
            printable_identifier(" ", 1, 128),
            Err("must not be blank".to_owned())
        );
    }

    /// Canonically equivalent spellings of an account are one account;
    /// compatibility forms stay other accounts.
    #[test]
    fn a_seller_account_is_kept_in_nfc() {
        let composed = "Caf\u{E9}";
        let decomposed = "Cafe\u{301}";
        assert_eq!(seller_account(decomposed, 1).as_deref(), Ok(composed));
        assert_eq!(seller_account(composed, 1).as_deref(), Ok(composed));
        assert!(matches!(
            nfc_seller_account("seller-42"),
            std::borrow::Cow::Borrowed(_)
        ));
        assert_eq!(
            seller_account("\u{FF21}\u{FF22}", 1).as_deref(),
            Ok("\u{FF21}\u{FF22}")
        );
        assert_eq!(seller_account("", 0).as_deref(), Ok(""));
        assert!(seller_account("", 1).is_err());
        // U+0958 is two characters in NFC: 128 of them are too many.
        assert_eq!(
            seller_account(&"\u{958}".repeat(128), 1),
            Err("is 256 characters once normalized (NFC), more than 128".to_owned())
        );
        assert_eq!(
            seller_account("ab\u{200B}c", 1),
            Err("must be printable characters, found U+200B at character 3".to_owned())
        );
    }

    #[test]
    fn bounded_text_rejects_surrounding_whitespace() {
        for input in [" acme", "acme ", "\u{a0}acme", "acme\u{3000}", "\u{2003}x"] {
            assert_eq!(
                bounded_text(input, 1, 100),
                Err("must not start or end with whitespace".to_owned()),
                "{input:?}"
            );
        }
        assert_eq!(bounded_text("acme  sports", 1, 100), Ok(()));
        // Optional text that is only whitespace is refused for that.
        assert_eq!(
            bounded_text(" ", 0, 100),
            Err("must not start or end with whitespace".to_owned())
        );
    }

    #[test]
    fn required_text_must_not_be_blank() {
        for input in [
            " ",
            "   ",
            "\u{3000}",
            "\u{200b}",
            "\u{200b}\u{200d}\u{feff}",
            " \u{200b} ",
            "\u{ad}",
        ] {
            assert!(is_blank(input), "{input:?}");
            assert_eq!(
                bounded_text(input, 1, 100),
                Err("must not be blank".to_owned()),
                "{input:?}"
            );
        }
        assert!(is_blank(""));
        // Blank-drawing and control characters show nothing either (a
        // title of them is blank; bounded_text names control characters
        // first).
        for input in ["\u{2800}", "\u{3164}", "\u{ffa0}", "\0", "\u{1b} \u{2800}"] {
            assert!(is_blank(input), "{input:?}");
        }
        assert!(!is_blank("\u{2800}Aurelle"));
        // Invisible characters beside visible ones are another matter.
        assert!(!is_blank("a\u{200b}"));
        assert_eq!(bounded_text("a\u{200d}b", 1, 10), Ok(()));
        // Optional text may be invisible.
        assert_eq!(bounded_text("\u{200b}", 0, 10), Ok(()));
    }

    // ----- robustness -----

    #[test]
    fn parsers_never_panic() {
        let long = "é".repeat(5_000);
        let mut inputs: Vec<String> = [
            "",
            " ",
            "\0",
            "\u{feff}",
            "🇺🇸",
            "ＵＳ",
            "us",
            "U",
            "USA",
            "--",
            "a-",
            "-",
            "é",
            "\u{10ffff}",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
        inputs.push(long);
        for c in ['a', 'Z', '0', '-', 'é', '\u{0}', '日', '🙂'] {
            for d in ['a', 'Z', '0', '-', 'é', '\u{0}', '日', '🙂'] {
                inputs.push(format!("{c}{d}"));
            }
        }
        for input in &inputs {
            let _ = Region::parse(input);
            let _ = Office::parse(input);
            let _ = Designation::parse(input);
            let _ = Slug::parse(input);
            let _ = bounded_text(input, 0, 10);
            let _ = bounded_text(input, 10, 0);
        }
        for n in [i32::MIN, -1, 0, 1, 45, 46, 63, 64, 65, 255, 256, i32::MAX] {
            let _ = NiceClass::parse(n);
            let _ = NiceClassSet::parse_list(&[n, n]);
        }
        for bits in [0, 1, u64::MAX, 1 << 63] {
            let _ = NiceClassSet::from_bits(bits);
        }
        for office in [
            Office::Euipo,
            Office::Wipo,
            Office::Benelux,
            Office::Oapi,
            Office::Aripo,
        ] {
            let _ = office.territories(&[]);
            let _ = office.territories(&EU_MEMBER_STATES.map(Designation::from));
            let _ = office.territories(&[Designation::EuropeanUnion]);
        }
    }
}

//! Community reports by SMS: in many mission areas a basic phone and a text message are all a
//! villager has. This module reads such a message into a [`NewReport`] (and says, in a reply
//! short enough for one SMS, what it could not read); [`at`] reads what a GSM modem prints in
//! SMS text mode. The modem itself is driven by `vigil_station::sms`.
//!
//! # The message
//! `CATEGORY PLACE [N people] [free text]`, words separated by spaces, case and accents
//! ignored (`Tirs`, `TIRS` and `tirs` are one word; so are `enlèvement` and `enlevement`):
//! - `CATEGORY`: one word (see [`Category::from_word`]), English or French: `armed`/`armes`,
//!   `shooting`/`tirs`, `fire`/`feu`, `looting`/`pillage`, `displacement`/`deplacement`,
//!   `abduction`/`enlevement`, `gathering`/`rassemblement`, `other`/`autre`, and a few
//!   synonyms. A `:` may follow it (`FIRE: Keradu`); after `armed`, `men`/`hommes` is skipped,
//!   and so are `at`, `in`, `near`, `a`, `au`, `pres`, `vers` before the place.
//! - `PLACE`: either a position `lat,lon` in decimal degrees (`9.0084,31.0157`; a space after
//!   the comma, or `9.0084 31.0157` with decimal points, also read; with `;` between them the
//!   numbers may use decimal commas: `9,0084;31,0157`), or a place name of up to
//!   [`MAX_PLACE_WORDS`] words that the caller's gazetteer knows (the protected sites' names,
//!   see [`Gazetteer`]); the longest run of words it knows wins (`Keradu market` before
//!   `Keradu`).
//! - `N people` (optional): a whole number and `people`, `ppl`, `pers`, `persons`,
//!   `personnes` or `gens` (`12 people`, `12ppl`), directly after the place or later in the text.
//! - the rest is the description, prefixed with the place name when the place was a name.
//!
//! A message that cannot be read gives an [`SmsReportError`] whose
//! [`reply`](SmsReportError::reply) says what was wrong and how to write it, e.g. `Vigil: could
//! not read the place 'Kerdu'. Send: CATEGORY PLACE [N people] [text]`.
//!
//! # The sender's number
//! It is sensitive: it goes into the report's `reporter` field only (which redaction removes
//! before anything is shared), never into `origin` (`sms:<storage index>`), the description,
//! an error or its reply. [`PhoneNumber`]'s `Debug` shows its last two digits only, and a
//! sender who types their own number in the text finds it replaced by `[number]`.

pub mod at;

use vigil_core::time::TimeUs;

use crate::LatLon;
use crate::reports::NewReport;
use crate::sites::Site;
pub use at::ReceivedSms;

/// How to write a report, as every reply for a message that could not be read ends.
pub const HELP: &str = "Send: CATEGORY PLACE [N people] [text]";
/// A place name is at most this many words.
pub const MAX_PLACE_WORDS: usize = 6;
/// A description is cut to this many characters.
pub const MAX_DESCRIPTION_CHARS: usize = 1000;
/// The channel reports from here carry.
pub const CHANNEL: &str = "sms";
/// At most this many characters of the sender's words are quoted back in a reply.
const QUOTE_CHARS: usize = 20;
/// A run of digits holding the sender's number's last this many digits is taken for it.
const NUMBER_DIGITS: usize = 7;

/// What happened, as a villager names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Category {
    ArmedMen,
    Shooting,
    Fire,
    Looting,
    Displacement,
    Abduction,
    Gathering,
    Other,
}

impl Category {
    /// The category as report files write it.
    pub fn label(self) -> &'static str {
        match self {
            Self::ArmedMen => "armed_men",
            Self::Shooting => "shooting",
            Self::Fire => "fire",
            Self::Looting => "looting",
            Self::Displacement => "displacement",
            Self::Abduction => "abduction",
            Self::Gathering => "gathering",
            Self::Other => "other",
        }
    }

    /// Reads one word, case and accents ignored: the English and French names and a few
    /// synonyms.
    pub fn from_word(word: &str) -> Option<Self> {
        let category = match fold(word).as_str() {
            "armed" | "arms" | "armes" | "arme" | "armedmen" | "armed_men" | "gun" | "guns"
            | "weapons" | "militia" | "milice" => Self::ArmedMen,
            "shooting" | "shots" | "shot" | "gunfire" | "tirs" | "tir" | "fusillade" => {
                Self::Shooting
            }
            "fire" | "fires" | "burning" | "feu" | "feux" | "incendie" | "incendies" => Self::Fire,
            "looting" | "loot" | "looted" | "pillage" | "pillages" | "pille" => Self::Looting,
            "displacement" | "displaced" | "fleeing" | "deplacement" | "deplacements"
            | "deplaces" | "fuite" => Self::Displacement,
            "abduction" | "abductions" | "abducted" | "kidnapping" | "kidnap" | "enlevement"
            | "enlevements" | "enleve" | "rapt" => Self::Abduction,
            "gathering" | "crowd" | "rassemblement" | "rassemblements" | "foule" => Self::Gathering,
            "other" | "autre" | "autres" => Self::Other,
            _ => return None,
        };
        Some(category)
    }
}

/// A sender's number as the modem gives it. Its `Debug` shows the last two digits only, so
/// that no log line carries it by accident.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PhoneNumber(String);

impl PhoneNumber {
    pub fn new(text: &str) -> Self {
        Self(text.trim().to_owned())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Digits with an optional leading `+`, at least [`NUMBER_DIGITS`] of them (a person's
    /// phone, not a short code or an operator's name): only these get answers.
    pub fn is_personal(&self) -> bool {
        let digits = self.0.strip_prefix('+').unwrap_or(&self.0);
        (NUMBER_DIGITS..=20).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit())
    }

    fn digits(&self) -> String {
        self.0.chars().filter(char::is_ascii_digit).collect()
    }
}

impl std::fmt::Debug for PhoneNumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let digits = self.digits();
        let tail = digits.get(digits.len().saturating_sub(2)..).unwrap_or("");
        write!(f, "PhoneNumber(…{tail})")
    }
}

/// Why a message could not be read; the texts quote at most [`QUOTE_CHARS`] characters of it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SmsReportError {
    #[error("the message is empty")]
    Empty,
    #[error("could not read the category '{0}'")]
    Category(String),
    #[error("no place after the category")]
    NoPlace,
    #[error("could not read the place '{0}'")]
    Place(String),
    #[error("the position '{0}' is not on the map")]
    Position(String),
}

impl SmsReportError {
    /// The answer for the sender, at most 160 characters.
    pub fn reply(&self) -> String {
        format!("Vigil: {self}. {HELP}")
    }
}

/// Place names and their positions: the protected sites (by name and by their feature id),
/// compared as [`fold`] folds them.
#[derive(Debug, Clone, Default)]
pub struct Gazetteer {
    places: Vec<(String, LatLon)>,
}

impl Gazetteer {
    pub fn from_sites(sites: &[Site]) -> Self {
        let mut gazetteer = Self::default();
        for site in sites {
            gazetteer.add(&site.name, site.centre);
            if let Some(id) = &site.feature_id {
                gazetteer.add(id, site.centre);
            }
        }
        gazetteer
    }

    pub fn add(&mut self, name: &str, position: LatLon) {
        let key = fold(name);
        if !key.is_empty() && !self.places.iter().any(|(k, _)| *k == key) {
            self.places.push((key, position));
        }
    }

    pub fn lookup(&self, name: &str) -> Option<LatLon> {
        let key = fold(name);
        self.places.iter().find(|(k, _)| *k == key).map(|(_, p)| *p)
    }
}

/// Lower case, accents taken off (`é` → `e`, `œ` → `oe`), anything but letters and digits
/// made one space: how words and place names are compared.
pub fn fold(text: &str) -> String {
    let mut folded = String::with_capacity(text.len());
    for c in text.chars().flat_map(char::to_lowercase) {
        let plain = match c {
            'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' => "a",
            'ç' => "c",
            'è' | 'é' | 'ê' | 'ë' => "e",
            'ì' | 'í' | 'î' | 'ï' => "i",
            'ñ' => "n",
            'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' => "o",
            'ù' | 'ú' | 'û' | 'ü' => "u",
            'ý' | 'ÿ' => "y",
            'œ' => "oe",
            'æ' => "ae",
            'ß' => "ss",
            '_' => "_",
            // Combining accents (text in decomposed form).
            '\u{300}'..='\u{36f}' => "",
            c if c.is_alphanumeric() => {
                folded.push(c);
                continue;
            }
            _ => " ",
        };
        if plain == " " && (folded.is_empty() || folded.ends_with(' ')) {
            continue;
        }
        folded.push_str(plain);
    }
    folded.truncate(folded.trim_end().len());
    folded
}

/// Reads a stored message into a report. `received_at` is its time when the modem gave none;
/// `gazetteer` resolves place names.
pub fn parse_report(
    sms: &ReceivedSms,
    received_at: TimeUs,
    gazetteer: &dyn Fn(&str) -> Option<LatLon>,
) -> Result<NewReport, SmsReportError> {
    let quote = |text: &str| quote(text, &sms.sender);
    let tokens: Vec<&str> = sms.text.split_whitespace().collect();
    let (first, rest) = tokens.split_first().ok_or(SmsReportError::Empty)?;
    // `FIRE:Keradu` is two words.
    let (word, glued) = match first.split_once(':') {
        Some((word, after)) if !after.is_empty() => (word, Some(after)),
        _ => (*first, None),
    };
    let category = Category::from_word(word.trim_matches(is_punctuation))
        .ok_or_else(|| SmsReportError::Category(quote(word)))?;
    let mut words: Vec<&str> = glued.into_iter().chain(rest.iter().copied()).collect();
    let mut skip = 0;
    if category == Category::ArmedMen
        && words
            .first()
            .is_some_and(|w| matches!(fold(w).as_str(), "men" | "hommes"))
    {
        skip += 1;
    }
    while words.get(skip).is_some_and(|w| {
        matches!(
            fold(w).as_str(),
            "at" | "in" | "near" | "a" | "au" | "pres" | "vers"
        )
    }) {
        skip += 1;
    }
    words.drain(..skip);
    if words.is_empty() {
        return Err(SmsReportError::NoPlace);
    }
    let (position, name, used) = match coordinates(&words) {
        Some((Ok(position), used)) => (position, None, used),
        Some((Err(()), used)) => {
            return Err(SmsReportError::Position(quote(&words[..used].join(" "))));
        }
        None => {
            let (position, used) = named_place(&words, gazetteer).ok_or_else(|| {
                SmsReportError::Place(quote(words[0].trim_matches(is_punctuation)))
            })?;
            let name = words[..used].join(" ");
            let name = name.trim_matches(is_punctuation).to_owned();
            (position, Some(name), used)
        }
    };
    let mut rest: Vec<&str> = words[used..].to_vec();
    let people = match people(&rest) {
        Some((count, 0, len)) => {
            rest.drain(..len);
            Some(count)
        }
        Some((count, _, _)) => Some(count),
        None => None,
    };
    let text = redact_number(&rest.join(" "), &sms.sender);
    let description = match name {
        Some(name) if text.is_empty() => name,
        Some(name) => format!("{name}: {text}"),
        None => text,
    };
    Ok(NewReport {
        time: sms.time.unwrap_or(received_at),
        position,
        category: category.label().to_owned(),
        description: printable(&description, MAX_DESCRIPTION_CHARS),
        reporter: sms.sender.as_str().to_owned(),
        channel: CHANNEL.to_owned(),
        people,
        origin: format!("{CHANNEL}:{}", sms.index),
    })
}

fn is_punctuation(c: char) -> bool {
    matches!(
        c,
        ':' | ',' | '.' | ';' | '!' | '?' | '-' | '#' | '*' | '(' | ')'
    )
}

/// A position at the start of `words`: the position (or `Err` when it is off the map) and how
/// many words it took; `None` when the words are not numbers.
fn coordinates(words: &[&str]) -> Option<(Result<LatLon, ()>, usize)> {
    let first = *words.first()?;
    let second = words.get(1).copied().unwrap_or("");
    let third = words.get(2).copied().unwrap_or("");
    // `;` first: with it, commas are decimal commas.
    let seps = [';', '/', ','];
    let (lat, lon, used) = if let Some((lat, lon)) = split_pair(first, &seps) {
        (lat, lon, 1)
    } else if let Some(sep) = first.strip_suffix(seps) {
        // `9.0084, 31.0157`
        let separator = first.chars().last().unwrap_or(',');
        (number(sep, separator)?, number(second, separator)?, 2)
    } else if let Some(lon) = second.strip_prefix(seps) {
        let separator = second.chars().next().unwrap_or(',');
        if lon.is_empty() {
            (number(first, separator)?, number(third, separator)?, 3)
        } else {
            (number(first, separator)?, number(lon, separator)?, 2)
        }
    } else if first.contains('.') && second.contains('.') {
        (number(first, ' ')?, number(second, ' ')?, 2)
    } else {
        return None;
    };
    let position = LatLon {
        lat_deg: lat,
        lon_deg: lon,
    };
    Some((Some(position).filter(LatLon::is_valid).ok_or(()), used))
}

/// `lat<sep>lon` in one word.
fn split_pair(word: &str, seps: &[char]) -> Option<(f64, f64)> {
    let word = word.trim_end_matches(['.', ',', ';']);
    let separator = seps.iter().copied().find(|s| word.contains(*s))?;
    let (lat, lon) = word.split_once(separator)?;
    Some((number(lat, separator)?, number(lon, separator)?))
}

/// A decimal number of degrees; with `;` between the two numbers, a decimal comma is read too.
fn number(text: &str, separator: char) -> Option<f64> {
    let text = if separator == ';' {
        text.replace(',', ".")
    } else {
        text.to_owned()
    };
    let text = text.trim_end_matches('.');
    let valid = !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'+'));
    text.parse::<f64>().ok().filter(|v| valid && v.is_finite())
}

/// The longest run of words at the start that the gazetteer knows: its position and length.
fn named_place(
    words: &[&str],
    gazetteer: &dyn Fn(&str) -> Option<LatLon>,
) -> Option<(LatLon, usize)> {
    (1..=words.len().min(MAX_PLACE_WORDS)).rev().find_map(|n| {
        let name = words[..n].join(" ");
        let name = name.trim_matches(is_punctuation);
        if name.is_empty() {
            return None;
        }
        gazetteer(name).filter(LatLon::is_valid).map(|p| (p, n))
    })
}

/// The first `N people` in `words`: the count, where it starts and how many words it takes.
fn people(words: &[&str]) -> Option<(u32, usize, usize)> {
    const UNITS: [&str; 9] = [
        "people",
        "ppl",
        "pers",
        "person",
        "persons",
        "personne",
        "personnes",
        "gens",
        "pple",
    ];
    let count = |text: &str| -> Option<u32> {
        text.trim_start_matches('~')
            .trim_end_matches('+')
            .parse()
            .ok()
    };
    words.iter().enumerate().find_map(|(i, word)| {
        let digits_end = word
            .find(|c: char| !(c.is_ascii_digit() || c == '~' || c == '+'))
            .unwrap_or(word.len());
        let (digits, unit) = word.split_at(digits_end);
        let n = count(digits)?;
        if !unit.is_empty() {
            return UNITS.contains(&fold(unit).as_str()).then_some((n, i, 1));
        }
        let next = fold(words.get(i + 1)?);
        UNITS.contains(&next.as_str()).then_some((n, i, 2))
    })
}

/// Replaces a run of digits that holds the sender's number (they typed it, maybe against other
/// digits) by `[number]`.
fn redact_number(text: &str, sender: &PhoneNumber) -> String {
    let own = sender.digits();
    if own.len() < NUMBER_DIGITS {
        return text.to_owned();
    }
    let own_tail = &own[own.len() - NUMBER_DIGITS..];
    let mut out = String::with_capacity(text.len());
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        let digits: String = run.chars().filter(char::is_ascii_digit).collect();
        let trailing = run.len() - run.trim_end().len();
        // Anywhere in the run: a number typed against other digits is still the number.
        if digits.len() >= NUMBER_DIGITS && digits.contains(own_tail) {
            out.push_str("[number]");
            out.push_str(&run[run.len() - trailing..]);
        } else {
            out.push_str(run);
        }
        run.clear();
    };
    for c in text.chars() {
        let continues = c.is_ascii_digit() || (!run.is_empty() && matches!(c, ' ' | '-' | '.'));
        if continues || (run.is_empty() && c == '+') {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
    out
}

/// The sender's words as a reply may quote them: printable, cut short, their number taken out.
fn quote(text: &str, sender: &PhoneNumber) -> String {
    let text = redact_number(text, sender);
    let mut quoted = printable(&text.replace('\'', " "), QUOTE_CHARS);
    if text.chars().count() > QUOTE_CHARS {
        quoted.push_str("...");
    }
    quoted
}

/// Control characters made spaces, cut to `max_chars`.
fn printable(text: &str, max_chars: usize) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(max_chars)
        .collect::<String>()
        .trim()
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SENDER: &str = "+211912345678";

    fn sms(text: &str) -> ReceivedSms {
        ReceivedSms {
            index: 3,
            status: "REC UNREAD".into(),
            sender: PhoneNumber::new(SENDER),
            time: Some(TimeUs(1_000_000)),
            text: text.into(),
        }
    }

    fn places(name: &str) -> Option<LatLon> {
        let mut g = Gazetteer::default();
        g.add(
            "Keradu",
            LatLon {
                lat_deg: 9.0084,
                lon_deg: 31.0157,
            },
        );
        g.add(
            "Keradu market",
            LatLon {
                lat_deg: 9.01,
                lon_deg: 31.02,
            },
        );
        g.add(
            "Ambaro displacement camp",
            LatLon {
                lat_deg: 8.99,
                lon_deg: 31.01,
            },
        );
        g.lookup(name)
    }

    fn parse(text: &str) -> Result<NewReport, SmsReportError> {
        parse_report(&sms(text), TimeUs(5), &places)
    }

    #[test]
    fn coordinates_people_and_text_are_read() {
        let r = parse("SHOOTING 9.0084,31.0157 12 people near the well").expect("valid");
        assert_eq!(r.category, "shooting");
        assert_eq!(
            r.position,
            LatLon {
                lat_deg: 9.0084,
                lon_deg: 31.0157
            }
        );
        assert_eq!(r.people, Some(12));
        assert_eq!(r.description, "near the well");
        assert_eq!(r.channel, "sms");
        assert_eq!(r.reporter, SENDER);
        assert_eq!(r.origin, "sms:3");
        assert_eq!(r.time, TimeUs(1_000_000));
        for text in [
            "fire 9.0084, 31.0157",
            "fire 9.0084 31.0157",
            "fire 9.0084 , 31.0157",
            "fire 9,0084;31,0157",
            "Fire: 9.0084,31.0157.",
        ] {
            let r = parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert!((r.position.lat_deg - 9.0084).abs() < 1e-9, "{text}");
            assert!((r.position.lon_deg - 31.0157).abs() < 1e-9, "{text}");
        }
        let r = parse("fire -1.5,-170").expect("negative");
        assert_eq!(r.position.lon_deg, -170.0);
    }

    #[test]
    fn french_words_accents_and_names_of_several_words_are_read() {
        let r = parse("Tirs à Keradu 30 personnes maisons brûlées").expect("valid");
        assert_eq!(r.category, "shooting");
        assert_eq!(r.people, Some(30));
        assert_eq!(r.description, "Keradu: maisons brûlées");
        let r = parse("ENLÈVEMENT keradu MARKET 2ppl").expect("valid");
        assert_eq!(r.category, "abduction");
        assert_eq!(r.position.lat_deg, 9.01);
        assert_eq!(r.people, Some(2));
        assert_eq!(r.description, "keradu MARKET");
        let r = parse("armed men near Ambaro displacement camp, about 20 men").expect("valid");
        assert_eq!(r.category, "armed_men");
        assert_eq!(r.position.lat_deg, 8.99);
        assert_eq!(r.people, None);
        let r = parse("FEU:Keradu cases brulees 3 pers. blesses").expect("glued");
        assert_eq!(r.category, "fire");
        assert_eq!(r.people, Some(3));
        assert_eq!(r.description, "Keradu: cases brulees 3 pers. blesses");
        for (word, label) in [
            ("armes", "armed_men"),
            ("pillage", "looting"),
            ("déplacement", "displacement"),
            ("rassemblement", "gathering"),
            ("autre", "other"),
            ("INCENDIE", "fire"),
        ] {
            assert_eq!(
                Category::from_word(word).map(Category::label),
                Some(label),
                "{word}"
            );
        }
    }

    #[test]
    fn what_cannot_be_read_is_answered_with_the_help() {
        let err = parse("fire Kerdu 3 people").expect_err("unknown place");
        assert_eq!(err, SmsReportError::Place("Kerdu".into()));
        assert_eq!(
            err.reply(),
            "Vigil: could not read the place 'Kerdu'. Send: CATEGORY PLACE [N people] [text]"
        );
        assert!(matches!(parse("   "), Err(SmsReportError::Empty)));
        assert!(matches!(parse("fire"), Err(SmsReportError::NoPlace)));
        assert!(matches!(parse("fire at"), Err(SmsReportError::NoPlace)));
        assert!(matches!(
            parse("hello Keradu"),
            Err(SmsReportError::Category(w)) if w == "hello"
        ));
        assert!(matches!(
            parse("fire 91.5,31"),
            Err(SmsReportError::Position(p)) if p == "91.5,31"
        ));
        assert!(matches!(
            parse("fire 9,0084,31,0157"),
            Err(SmsReportError::Place(_))
        ));
        let long = "x".repeat(500);
        let err = parse(&format!("{long} Keradu")).expect_err("long category");
        assert!(err.reply().chars().count() <= 160, "{}", err.reply());
    }

    #[test]
    fn the_senders_number_never_leaves_the_reporter_field() {
        let r = parse("fire Keradu call me on 0912 345 678 please").expect("valid");
        assert_eq!(r.description, "Keradu: call me on [number] please");
        assert!(!r.origin.contains("912") && !r.description.contains("345"));
        let err = parse("fire 0912345678").expect_err("a number is no place");
        assert!(!err.reply().contains("345"), "{}", err.reply());
        let err = parse("+211912345678 Keradu").expect_err("a number is no category");
        assert!(!err.to_string().contains("345678"), "{err}");
        assert_eq!(
            format!("{:?}", PhoneNumber::new(SENDER)),
            "PhoneNumber(…78)"
        );
        // Other numbers stay.
        let r = parse("fire Keradu 12 houses, road 1234567").expect("valid");
        assert!(r.description.ends_with("1234567"), "{}", r.description);
        assert!(PhoneNumber::new(SENDER).is_personal());
        assert!(!PhoneNumber::new("MTN").is_personal());
        assert!(!PhoneNumber::new("1234").is_personal());
    }

    #[test]
    fn garbled_input_gives_errors_never_panics() {
        let samples = [
            "\u{0}\u{1b}\u{7f}",
            "fire \u{202e}Keradu",
            "fire ,",
            "fire ;;;",
            "fire 1e400,3",
            "fire NaN,NaN",
            "fire inf 3.",
            "fire . .",
            "fire Keradu 99999999999999 people",
            "fire Keradu ~+ people",
            "fire Keradu 12",
            "fire Keradu ppl",
            ":",
            "::::",
            "feu \u{202e}\u{202d} 😀 \u{202d}",
            "armed men",
            "shooting - - - -",
            "shooting 9.0,",
            "shooting ,9.0",
            "Ç€£",
        ];
        for text in samples {
            let _ = parse(text);
        }
        let r = parse("fire Keradu 99999999999999 people").expect("valid place");
        assert_eq!(r.people, None);
        let r = parse("fire Keradu a\u{7}b").expect("valid");
        assert_eq!(r.description, "Keradu: a b");
    }

    #[test]
    fn the_gazetteer_folds_names_and_knows_feature_ids() {
        let mut sites = crate::SiteSet::demo().sites;
        sites.truncate(2);
        sites[1].feature_id = Some("lomisa-village".into());
        let g = Gazetteer::from_sites(&sites);
        assert_eq!(g.lookup("KERADU"), Some(sites[0].centre));
        assert_eq!(g.lookup(" lomisa-village "), Some(sites[1].centre));
        assert_eq!(g.lookup("Lomisa Village"), Some(sites[1].centre));
        assert_eq!(g.lookup(""), None);
        assert_eq!(fold("  Kéradu -- Nord-Est! "), "keradu nord est");
    }
}

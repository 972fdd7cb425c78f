//! What a GSM modem prints in SMS text mode (3GPP TS 27.005, `AT+CMGF=1`): final result
//! codes, new-message notifications (`+CMTI`), and stored messages as `AT+CMGR` and
//! `AT+CMGL` give them, their text in the character set chosen with `AT+CSCS`. The driver
//! (`vigil_station::sms`) hands over lines as bytes without their CR LF, echo and
//! notifications taken out.
//!
//! - `+CMGR: <stat>,<oa>,[<alpha>],<scts>[,...]` then the text; `+CMGL: <index>,<stat>,<oa>,
//!   [<alpha>],[<scts>][,...]` then the text, for each message. `<scts>` is
//!   `yy/MM/dd,hh:mm:ss±zz`, local time with its zone in quarter hours ([`parse_scts`]).
//! - `AT+CSCS="UCS2"`: the text, the sender and other strings are hexadecimal UTF-16BE
//!   (`00E9` for `é`). This is how accents arrive whole, and the text cannot hold a line that
//!   looks like `OK`.
//! - `AT+CSCS="GSM"`: the text is the GSM 03.38 default alphabet, one byte per character
//!   (`0x05` is `é`, `0x00` is `@`); a message the phone sent in UCS2 (characters outside that
//!   alphabet) is printed in hexadecimal even so, which [`decode_text`] recognises: no valid
//!   report is made of hexadecimal digits only (every category word has other letters). A
//!   line of the text that reads `OK` or `ERROR` would end the answer early: that is text
//!   mode's own limit, and one reason to prefer UCS2.
//!
//! Nothing here panics on any input, and no error copies a header: it holds the sender's
//! number, which only [`ReceivedSms::sender`] carries.

use std::fmt;

use vigil_core::time::{TimeUs, parse_utc};

use super::PhoneNumber;

/// The character set the modem was set to (`AT+CSCS`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Charset {
    Gsm,
    Ucs2,
}

impl Charset {
    /// As `AT+CSCS` names it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Gsm => "GSM",
            Self::Ucs2 => "UCS2",
        }
    }

    /// A string parameter of a command in this character set (without its quotes).
    pub fn encode_parameter(self, text: &str) -> String {
        match self {
            Self::Gsm => text.to_owned(),
            Self::Ucs2 => encode_ucs2_hex(text),
        }
    }
}

/// How a command ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Final {
    Ok,
    Error,
    /// `+CMS ERROR: <n or text>` (an SMS error: 321 is an empty or invalid index).
    Cms(String),
    /// `+CME ERROR: <n or text>`.
    Cme(String),
}

impl Final {
    /// `+CMS ERROR: 321`: nothing is stored at that index.
    pub fn is_invalid_index(&self) -> bool {
        matches!(self, Self::Cms(code) if code == "321" || code.eq_ignore_ascii_case("invalid memory index"))
    }
}

impl fmt::Display for Final {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Ok => f.write_str("OK"),
            Self::Error => f.write_str("ERROR"),
            Self::Cms(code) => write!(f, "+CMS ERROR: {code}"),
            Self::Cme(code) => write!(f, "+CME ERROR: {code}"),
        }
    }
}

/// The final result code a line is, if it is one.
pub fn final_result(line: &[u8]) -> Option<Final> {
    let line = trim(line);
    let text = |rest: &[u8]| -> String {
        String::from_utf8_lossy(trim(rest))
            .chars()
            .take(40)
            .collect()
    };
    match line {
        b"OK" => Some(Final::Ok),
        b"ERROR" | b"COMMAND NOT SUPPORT" | b"TOO MANY PARAMETERS" => Some(Final::Error),
        _ => {
            if let Some(rest) = line.strip_prefix(b"+CMS ERROR:") {
                Some(Final::Cms(text(rest)))
            } else {
                line.strip_prefix(b"+CME ERROR:")
                    .map(|rest| Final::Cme(text(rest)))
            }
        }
    }
}

/// A new message stored at `index` of `memory` (`+CMTI: "SM",3`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMessage {
    pub memory: String,
    pub index: u32,
}

/// Reads a `+CMTI` notification.
pub fn new_message(line: &[u8]) -> Option<NewMessage> {
    let rest = trim(line).strip_prefix(b"+CMTI:")?;
    let fields = fields(&String::from_utf8_lossy(rest))?;
    let [memory, index] = fields.as_slice() else {
        return None;
    };
    let memory = memory.trim();
    let memory = decode_ucs2_hex(memory)
        .filter(|m| m.len() == 2)
        .unwrap_or_else(|| memory.to_owned());
    Some(NewMessage {
        memory: memory.chars().take(8).collect(),
        index: index.trim().parse().ok()?,
    })
}

/// Other unsolicited lines a modem prints on its own (a call, registration, signal strength,
/// start-up), which are part of no answer. (In GSM mode a line of a message's text that
/// starts like one, e.g. with `Ü`, printed as `^`, is taken for one: UCS2 has no such case.)
pub fn is_unsolicited(line: &[u8]) -> bool {
    const PREFIXES: [&[u8]; 13] = [
        b"^",
        b"+CREG:",
        b"+CGREG:",
        b"+CEREG:",
        b"+CUSD:",
        b"+CDSI:",
        b"+CDS:",
        b"+CBM:",
        b"+CIEV:",
        b"+CFUN:",
        b"+CPIN:",
        b"+PBREADY",
        b"+QIND:",
    ];
    let line = trim(line);
    matches!(
        line,
        b"RING" | b"NO CARRIER" | b"RDY" | b"Call Ready" | b"SMS Ready"
    ) || PREFIXES.iter().any(|p| line.starts_with(p))
}

/// A message as the modem stored it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedSms {
    /// Where it is stored (for `AT+CMGR` and `AT+CMGD`).
    pub index: u32,
    /// `REC UNREAD`, `REC READ`, `STO UNSENT`, `STO SENT`.
    pub status: String,
    pub sender: PhoneNumber,
    /// When the network's service centre took it, in UTC.
    pub time: Option<TimeUs>,
    pub text: String,
}

impl ReceivedSms {
    /// A message received (not one stored to be sent).
    pub fn is_incoming(&self) -> bool {
        self.status.starts_with("REC")
    }
}

/// A stored message that could not be read; it names the index when it could be read, never
/// the sender.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AtParseError {
    #[error("a message header without a readable index")]
    NoIndex,
    #[error("message {index}: {reason}")]
    Message { index: u32, reason: &'static str },
}

impl AtParseError {
    pub fn index(&self) -> Option<u32> {
        match self {
            Self::NoIndex => None,
            Self::Message { index, .. } => Some(*index),
        }
    }
}

/// The answer to `AT+CMGR=<index>` (its lines before `OK`); `None` when it holds no message
/// (some modems answer an empty index with a bare `OK`).
pub fn parse_cmgr(
    index: u32,
    lines: &[Vec<u8>],
    charset: Charset,
) -> Result<Option<ReceivedSms>, AtParseError> {
    let Some(start) = lines.iter().position(|l| trim(l).starts_with(b"+CMGR:")) else {
        return if lines.is_empty() {
            Ok(None)
        } else {
            Err(AtParseError::Message {
                index,
                reason: "the answer has no +CMGR header",
            })
        };
    };
    let header = trim(&lines[start])
        .strip_prefix(b"+CMGR:")
        .unwrap_or_default();
    let fields = fields(&String::from_utf8_lossy(header)).ok_or(AtParseError::Message {
        index,
        reason: "the header has a quote that is not closed",
    })?;
    let message = read_message(index, &fields, &lines[start + 1..], charset)?;
    Ok(Some(message))
}

/// The answer to `AT+CMGL=...`: each message, or why it could not be read.
pub fn parse_cmgl(lines: &[Vec<u8>], charset: Charset) -> Vec<Result<ReceivedSms, AtParseError>> {
    let starts: Vec<usize> = lines
        .iter()
        .enumerate()
        .filter(|(_, l)| trim(l).starts_with(b"+CMGL:"))
        .map(|(i, _)| i)
        .collect();
    starts
        .iter()
        .enumerate()
        .map(|(n, &start)| {
            let end = starts.get(n + 1).copied().unwrap_or(lines.len());
            let header = trim(&lines[start])
                .strip_prefix(b"+CMGL:")
                .unwrap_or_default();
            let fields = fields(&String::from_utf8_lossy(header)).ok_or(AtParseError::NoIndex)?;
            let (index, rest) = fields.split_first().ok_or(AtParseError::NoIndex)?;
            let index: u32 = index.trim().parse().map_err(|_| AtParseError::NoIndex)?;
            read_message(index, rest, &lines[start + 1..end], charset)
        })
        .collect()
}

/// `<stat>,<oa>,[<alpha>],[<scts>]...` and the text's lines.
fn read_message(
    index: u32,
    fields: &[String],
    body: &[Vec<u8>],
    charset: Charset,
) -> Result<ReceivedSms, AtParseError> {
    let bad = |reason| AtParseError::Message { index, reason };
    let status = fields.first().ok_or(bad("the header has no status"))?;
    let sender = fields
        .get(1)
        .map(|s| decode_field(s, charset))
        .filter(|s| !s.trim().is_empty())
        .ok_or(bad("the header has no sender"))?;
    // The time is the fourth field; a modem that leaves out the name puts it third.
    let time = fields
        .get(3)
        .and_then(|t| parse_scts(&decode_field(t, charset)))
        .or_else(|| {
            fields
                .get(2)
                .and_then(|t| parse_scts(&decode_field(t, charset)))
        });
    let lines: Vec<&[u8]> = body.iter().map(Vec::as_slice).collect();
    let text = decode_text(&lines, charset).map_err(bad)?;
    Ok(ReceivedSms {
        index,
        status: decode_field(status, charset).trim().to_owned(),
        sender: PhoneNumber::new(&sender),
        time,
        text,
    })
}

/// A string field: hexadecimal UCS2 in UCS2 mode (some modems print some fields plainly even
/// then, which is kept as it is).
fn decode_field(field: &str, charset: Charset) -> String {
    let field = field.trim();
    match charset {
        Charset::Ucs2 => decode_ucs2_hex(field).unwrap_or_else(|| field.to_owned()),
        Charset::Gsm => field.to_owned(),
    }
}

/// Splits `a,"b,c",,d` into its fields, quotes removed; `None` when a quote is not closed.
fn fields(text: &str) -> Option<Vec<String>> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    for c in text.chars() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => fields.push(std::mem::take(&mut field).trim().to_owned()),
            c => field.push(c),
        }
    }
    if quoted {
        return None;
    }
    fields.push(field.trim().to_owned());
    Some(fields)
}

/// A message's text from its lines, as the character set gives it (see the module's doc).
pub fn decode_text(lines: &[&[u8]], charset: Charset) -> Result<String, &'static str> {
    match charset {
        Charset::Ucs2 => {
            let hex: String = lines
                .iter()
                .map(|l| String::from_utf8_lossy(trim(l)).into_owned())
                .collect();
            if hex.is_empty() {
                return Ok(String::new());
            }
            decode_ucs2_hex(&hex).ok_or("the text is not hexadecimal UCS2")
        }
        Charset::Gsm => {
            let joined = lines.join(&b'\n');
            let text = trim(&joined);
            let hex = std::str::from_utf8(text).ok().filter(|t| t.len() >= 4);
            if let Some(decoded) = hex.and_then(decode_ucs2_hex) {
                return Ok(decoded);
            }
            Ok(decode_gsm(text))
        }
    }
}

/// Hexadecimal UTF-16BE (`AT+CSCS="UCS2"`); `None` unless it is whole code units of valid
/// UTF-16 without control characters other than line breaks and tabs.
pub fn decode_ucs2_hex(hex: &str) -> Option<String> {
    if hex.is_empty() || !hex.len().is_multiple_of(4) || !hex.bytes().all(|b| b.is_ascii_hexdigit())
    {
        return None;
    }
    let units: Vec<u16> = hex
        .as_bytes()
        .chunks(4)
        .map(|unit| {
            std::str::from_utf8(unit)
                .ok()
                .and_then(|u| u16::from_str_radix(u, 16).ok())
        })
        .collect::<Option<_>>()?;
    let text: String = char::decode_utf16(units).collect::<Result<_, _>>().ok()?;
    let plain = text
        .chars()
        .all(|c| !c.is_control() || matches!(c, '\n' | '\r' | '\t'));
    plain.then_some(text)
}

/// UTF-16BE as hexadecimal digits, for `AT+CSCS="UCS2"`.
pub fn encode_ucs2_hex(text: &str) -> String {
    text.encode_utf16()
        .map(|unit| format!("{unit:04X}"))
        .collect()
}

/// GSM 03.38's default alphabet, by code.
const GSM_BASIC: [char; 128] = [
    '@', '£', '$', '¥', 'è', 'é', 'ù', 'ì', 'ò', 'Ç', '\n', 'Ø', 'ø', '\r', 'Å', 'å', //
    'Δ', '_', 'Φ', 'Γ', 'Λ', 'Ω', 'Π', 'Ψ', 'Σ', 'Θ', 'Ξ', '\u{1b}', 'Æ', 'æ', 'ß', 'É', //
    ' ', '!', '"', '#', '¤', '%', '&', '\'', '(', ')', '*', '+', ',', '-', '.', '/', //
    '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', ':', ';', '<', '=', '>', '?', //
    '¡', 'A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I', 'J', 'K', 'L', 'M', 'N', 'O', //
    'P', 'Q', 'R', 'S', 'T', 'U', 'V', 'W', 'X', 'Y', 'Z', 'Ä', 'Ö', 'Ñ', 'Ü', '§', //
    '¿', 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o', //
    'p', 'q', 'r', 's', 't', 'u', 'v', 'w', 'x', 'y', 'z', 'ä', 'ö', 'ñ', 'ü', 'à', //
];

/// The extension table (after the escape code 0x1B).
fn gsm_extension(code: u8) -> Option<char> {
    Some(match code {
        0x0A => '\u{c}',
        0x14 => '^',
        0x28 => '{',
        0x29 => '}',
        0x2F => '\\',
        0x3C => '[',
        0x3D => '~',
        0x3E => ']',
        0x40 => '|',
        0x65 => '€',
        _ => return None,
    })
}

/// Text in GSM 03.38's default alphabet, one byte a character. Bytes above 0x7F are not
/// GSM: a modem that prints them prints UTF-8 (read as such) or Latin-1.
pub fn decode_gsm(bytes: &[u8]) -> String {
    if bytes.iter().any(|&b| b > 0x7F)
        && let Ok(text) = std::str::from_utf8(bytes)
    {
        return text.to_owned();
    }
    let mut text = String::with_capacity(bytes.len());
    let mut iter = bytes.iter().copied().peekable();
    while let Some(byte) = iter.next() {
        if byte == 0x1B {
            match iter.peek().copied().and_then(gsm_extension) {
                Some(c) => {
                    text.push(c);
                    iter.next();
                }
                None => text.push(' '),
            }
        } else if let Some(&c) = GSM_BASIC.get(usize::from(byte)) {
            text.push(c);
        } else {
            text.push(char::from(byte));
        }
    }
    text
}

/// Text for `AT+CMGS` in GSM mode: the default alphabet only (no escape, which would cancel
/// the message, and no Ctrl-Z, which would end it), line breaks made spaces, brackets made
/// parentheses, accents the alphabet lacks taken off, anything else `?`.
pub fn encode_gsm(text: &str) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(text.len());
    for c in text.chars() {
        let c = match c {
            '\n' | '\r' | '\t' => ' ',
            '[' | '{' => '(',
            ']' | '}' => ')',
            '~' => '-',
            '|' | '\\' => '/',
            c => c,
        };
        let code = GSM_BASIC
            .iter()
            .position(|&g| g == c)
            .filter(|&code| code != 0x1A && code != 0x1B)
            .or_else(|| {
                let folded = super::fold(&c.to_string());
                let mut chars = folded.chars();
                let plain = chars.next().filter(|_| chars.next().is_none())?;
                GSM_BASIC.iter().position(|&g| g == plain)
            })
            .unwrap_or(0x3F);
        bytes.push(u8::try_from(code).unwrap_or(b'?'));
    }
    bytes
}

/// The service centre's time stamp `yy/MM/dd,hh:mm:ss±zz` (local time, the zone in quarter
/// hours, `+12` is UTC+3) in UTC; a time stamp without a zone is taken as UTC.
pub fn parse_scts(text: &str) -> Option<TimeUs> {
    let text = text.trim().trim_matches('"');
    let (date, time) = text.split_once(',')?;
    let mut date = date.split('/');
    let (yy, month, day) = (two(date.next()?)?, two(date.next()?)?, two(date.next()?)?);
    let (clock, quarters) = match time.find(['+', '-']) {
        Some(at) => {
            let zone = time.get(at + 1..)?;
            if zone.is_empty() || zone.len() > 2 || !zone.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            let quarters: i64 = zone.parse().ok().filter(|q| *q <= 56)?;
            let sign = if time[at..].starts_with('-') { -1 } else { 1 };
            (&time[..at], sign * quarters)
        }
        None => (time, 0),
    };
    let mut clock = clock.split(':');
    let (hh, mm, ss) = (
        two(clock.next()?)?,
        two(clock.next()?)?,
        two(clock.next()?)?,
    );
    if date.next().is_some() || clock.next().is_some() {
        return None;
    }
    let local = parse_utc(&format!("20{yy}-{month}-{day}T{hh}:{mm}:{ss}Z"))?;
    let utc_us = i128::from(local.0) - i128::from(quarters) * 15 * 60 * 1_000_000;
    u64::try_from(utc_us).ok().map(TimeUs)
}

/// Two decimal digits.
fn two(s: &str) -> Option<&str> {
    (s.len() == 2 && s.bytes().all(|b| b.is_ascii_digit())).then_some(s)
}

fn trim(line: &[u8]) -> &[u8] {
    line.trim_ascii()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &[&[u8]]) -> Vec<Vec<u8>> {
        text.iter().map(|l| l.to_vec()).collect()
    }

    #[test]
    fn result_codes_and_notifications_are_recognised() {
        assert_eq!(final_result(b"OK"), Some(Final::Ok));
        assert_eq!(final_result(b"ERROR\r"), Some(Final::Error));
        let cms = final_result(b"+CMS ERROR: 321").expect("a final code");
        assert!(cms.is_invalid_index());
        assert_eq!(cms.to_string(), "+CMS ERROR: 321");
        assert_eq!(
            final_result(b"+CME ERROR: SIM busy"),
            Some(Final::Cme("SIM busy".into()))
        );
        assert_eq!(final_result(b"OKAY"), None);
        assert_eq!(
            new_message(b"+CMTI: \"SM\",3"),
            Some(NewMessage {
                memory: "SM".into(),
                index: 3
            })
        );
        assert_eq!(
            new_message(b"+CMTI: \"0053004D\",12").map(|m| m.memory),
            Some("SM".into())
        );
        assert_eq!(new_message(b"+CMTI: \"SM\",x"), None);
        assert_eq!(new_message(b"+CMTI: \"SM"), None);
        assert!(is_unsolicited(b"^RSSI: 17"));
        assert!(is_unsolicited(b"RING"));
        assert!(!is_unsolicited(b"+CMGR: \"REC READ\""));
    }

    #[test]
    fn timestamps_are_converted_from_quarter_hours_to_utc() {
        let utc = |s| parse_utc(s).expect("a time");
        assert_eq!(
            parse_scts("26/03/14,18:30:00+12"),
            Some(utc("2026-03-14T15:30:00Z"))
        );
        assert_eq!(
            parse_scts("\"26/03/14,01:00:00+12\""),
            Some(utc("2026-03-13T22:00:00Z"))
        );
        assert_eq!(
            parse_scts("26/03/14,18:30:00-20"),
            Some(utc("2026-03-14T23:30:00Z"))
        );
        assert_eq!(
            parse_scts("26/03/14,18:30:00"),
            Some(utc("2026-03-14T18:30:00Z"))
        );
        for bad in [
            "26/02/30,18:30:00+12",
            "26/03/14,24:30:00+12",
            "26/03/14,18:30:00+99",
            "26/03/14,18:30:00+",
            "26/03/14 18:30:00",
            "2026/03/14,18:30:00",
            "26/03/14,18:30+12",
            "26/03/14/1,18:30:00+12",
            "é/03/14,18:30:00+12",
            "",
        ] {
            assert_eq!(parse_scts(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_message_is_read_in_gsm_and_ucs2_text_mode() {
        let gsm = lines(&[
            b"+CMGR: \"REC UNREAD\",\"+211912345678\",,\"26/03/14,18:30:00+12\"",
            b"feu Keradu \x05glise br\x7Fl\x05e",
            b"2 pers \x00 17:00",
        ]);
        let sms = parse_cmgr(3, &gsm, Charset::Gsm)
            .expect("readable")
            .expect("a message");
        assert_eq!(sms.sender.as_str(), "+211912345678");
        assert_eq!(sms.status, "REC UNREAD");
        assert!(sms.is_incoming());
        assert_eq!(sms.text, "feu Keradu église bràlée\n2 pers @ 17:00");
        assert_eq!(sms.time, parse_utc("2026-03-14T15:30:00Z"));
        let text = "Tirs à Keradu, 12 personnes — enlèvement";
        let ucs2 = vec![
            format!(
                "+CMGR: \"REC READ\",\"{}\",\"\",\"26/03/14,18:30:00+12\",145,4,0,8,\"{}\",145,80",
                encode_ucs2_hex("+211912345678"),
                encode_ucs2_hex("+211900000000")
            )
            .into_bytes(),
            encode_ucs2_hex(text).into_bytes(),
        ];
        let sms = parse_cmgr(7, &ucs2, Charset::Ucs2)
            .expect("readable")
            .expect("a message");
        assert_eq!(sms.text, text);
        assert_eq!(sms.sender.as_str(), "+211912345678");
        assert_eq!(sms.index, 7);
        // A UCS2 message read in GSM mode comes as hexadecimal.
        let hex = lines(&[
            b"+CMGR: \"REC READ\",\"+211912345678\",,\"26/03/14,18:30:00+12\"",
            encode_ucs2_hex("fête").as_bytes(),
        ]);
        let sms = parse_cmgr(1, &hex, Charset::Gsm)
            .expect("ok")
            .expect("a message");
        assert_eq!(sms.text, "fête");
        assert_eq!(parse_cmgr(1, &[], Charset::Gsm), Ok(None));
    }

    #[test]
    fn a_listing_gives_each_message_and_names_the_unreadable_ones() {
        let listing = lines(&[
            b"+CMGL: 1,\"REC READ\",\"+211911111111\",,\"26/03/14,18:30:00+12\"",
            b"fire Keradu",
            b"+CMGL: 2,\"STO UNSENT\",\"+211922222222\",,",
            b"hello",
            b"+CMGL: x,\"REC READ\",\"+211933333333\",,\"26/03/14,18:30:00+12\"",
            b"lost",
            b"+CMGL: 4,\"REC UNREAD\",\"+211944444444\",,\"26/03/14,18:31:00+12\"",
            b"looting 9.0,31.0",
            b"second line",
        ]);
        let messages = parse_cmgl(&listing, Charset::Gsm);
        assert_eq!(messages.len(), 4);
        assert_eq!(
            messages[0].as_ref().map(|m| m.text.as_str()),
            Ok("fire Keradu")
        );
        assert!(!messages[1].as_ref().expect("read").is_incoming());
        assert_eq!(messages[1].as_ref().map(|m| m.time), Ok(None));
        assert_eq!(messages[2], Err(AtParseError::NoIndex));
        let last = messages[3].as_ref().expect("read");
        assert_eq!(last.index, 4);
        assert_eq!(last.text, "looting 9.0,31.0\nsecond line");
        let bad = parse_cmgl(
            &lines(&[b"+CMGL: 5,\"REC READ\",\"+2119\",,\"x\"", b"zz"]),
            Charset::Ucs2,
        );
        let err = bad[0].as_ref().expect_err("not hexadecimal");
        assert_eq!(err.index(), Some(5));
        assert!(!err.to_string().contains("2119"), "{err}");
    }

    #[test]
    fn garbled_answers_give_errors_never_panics() {
        let samples: [&[&[u8]]; 12] = [
            &[b"+CMGR: \"REC UNREAD"],
            &[b"+CMGR:"],
            &[b"+CMGR: ,,,,"],
            &[b"+CMGR: \"REC READ\",\"\",,\"26/03/14,18:30:00+12\"", b"x"],
            &[b"garbage", b"\xff\xfe"],
            &[b"+CMGR: \"REC READ\",\"+1\",,\"\xff\xff\"", b"\x1b"],
            &[
                b"+CMGR: \"REC READ\",\"+1\",,\"26/03/14,18:30:00+12\"",
                b"D800",
            ],
            &[b"+CMGL: 4294967296,\"REC READ\",\"+1\""],
            &[b"+CMGL:", b"+CMGL: ,", b"+CMGL: 1"],
            &[
                b"+CMGR: \"REC READ\",\"+1\",,\"26/03/14,18:30:00+12\"",
                b"0000",
            ],
            &[b"+CMGR: \xc3", b"\xc3\x28"],
            &[b"+CMGL: 1,\"\",\"\",\"\",\"\"", b""],
        ];
        for sample in samples {
            let sample = lines(sample);
            let _ = parse_cmgr(1, &sample, Charset::Gsm);
            let _ = parse_cmgr(1, &sample, Charset::Ucs2);
            let _ = parse_cmgl(&sample, Charset::Gsm);
            let _ = parse_cmgl(&sample, Charset::Ucs2);
        }
        assert!(parse_cmgr(1, &lines(&[b"+CMGR: \"REC UNREAD"]), Charset::Gsm).is_err());
        assert!(parse_cmgr(1, &lines(&[b"garbage"]), Charset::Gsm).is_err());
        let surrogate = lines(&[
            b"+CMGR: \"REC READ\",\"+1\",,\"26/03/14,18:30:00+12\"",
            b"D800",
        ]);
        assert!(parse_cmgr(1, &surrogate, Charset::Ucs2).is_err());
        assert_eq!(decode_ucs2_hex("00E"), None);
        assert_eq!(decode_ucs2_hex("0007"), None);
        assert_eq!(decode_gsm(b"\x1b\x3cx\x1b\x1b"), "[x  ");
    }

    #[test]
    fn texts_to_send_are_encoded_for_either_character_set() {
        assert_eq!(encode_ucs2_hex("é+1"), "00E9002B0031");
        assert_eq!(decode_ucs2_hex("00E9002B0031").as_deref(), Some("é+1"));
        let bytes = encode_gsm("Vigil: [N people] é ê @ Ξ\u{1a}\r\n€");
        assert!(!bytes.contains(&0x1A) && !bytes.contains(&0x1B));
        assert_eq!(decode_gsm(&bytes), "Vigil: (N people) é e @ ??  ?");
        assert_eq!(Charset::Ucs2.encode_parameter("ALL"), "0041004C004C");
        assert_eq!(Charset::Gsm.encode_parameter("ALL"), "ALL");
    }
}

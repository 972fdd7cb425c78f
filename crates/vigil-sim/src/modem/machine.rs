//! The simulated modem's AT interpreter, without I/O: bytes from the ground station in,
//! bytes to it out. Kept apart from the thread so that its answers can be checked exactly.
//! Written from 3GPP TS 27.005/27.007 and what common USB modems do, independently of the
//! station's parser (`vigil_protection::sms::at`), so that the two cannot share a mistake.

use vigil_core::time::{TimeUs, utc_string};

use super::{IncomingSms, ModemError, ModemOptions, ModemState, SentSms, StoredView};

/// A command line longer than this is refused (modems have a command buffer of a few hundred
/// bytes).
const MAX_COMMAND_BYTES: usize = 512;
/// Text typed after the `> ` prompt is kept up to this many bytes.
const MAX_TEXT_BYTES: usize = 1024;
/// Commands remembered for the tests.
const MAX_COMMANDS_KEPT: usize = 1000;
/// The one message storage: the SIM.
const MEMORY: &str = "SM";
const CTRL_Z: u8 = 0x1A;
const ESC: u8 = 0x1B;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Charset {
    Ira,
    Gsm,
    Ucs2,
}

#[derive(Debug, Clone)]
struct Stored {
    sms: IncomingSms,
    read: bool,
}

/// The modem's state as it answers commands.
#[derive(Debug)]
pub(crate) struct Machine {
    options: ModemOptions,
    echo: bool,
    text_mode: bool,
    charset: Charset,
    notify: bool,
    /// Index `i` is `storage[i - 1]`.
    storage: Vec<Option<Stored>>,
    sent: Vec<SentSms>,
    commands: Vec<String>,
    line: Vec<u8>,
    line_too_long: bool,
    /// After `AT+CMGS`: the destination, while the text is typed.
    prompt: Option<String>,
    text: Vec<u8>,
    unsolicited: Vec<u8>,
    reference: u8,
}

impl Machine {
    pub(crate) fn new(options: ModemOptions) -> Self {
        let capacity = options.capacity as usize;
        Self {
            options,
            echo: true,
            text_mode: false,
            charset: Charset::Ira,
            notify: false,
            storage: vec![None; capacity],
            sent: Vec::new(),
            commands: Vec::new(),
            line: Vec::new(),
            line_too_long: false,
            prompt: None,
            text: Vec::new(),
            unsolicited: Vec::new(),
            reference: 0,
        }
    }

    /// The power-on settings (`ATZ` resets them; the messages stay on the SIM).
    fn reset(&mut self) {
        self.echo = true;
        self.text_mode = false;
        self.charset = Charset::Ira;
        self.notify = false;
    }

    pub(crate) fn view(&self) -> ModemState {
        ModemState {
            stored: self
                .storage
                .iter()
                .zip(1..)
                .filter_map(|(slot, index)| {
                    slot.as_ref().map(|s| StoredView {
                        index,
                        sender: s.sms.sender.clone(),
                        text: s.sms.text.clone(),
                        read: s.read,
                    })
                })
                .collect(),
            sent: self.sent.clone(),
            commands: self.commands.clone(),
            echo: self.echo,
            text_mode: self.text_mode,
            notify: self.notify,
        }
    }

    /// Stores a message from the network in the lowest free index, and tells the station
    /// (`+CMTI`) if it asked to be told.
    pub(crate) fn deliver(&mut self, sms: IncomingSms) -> Result<u32, ModemError> {
        let slot = self
            .storage
            .iter()
            .position(Option::is_none)
            .ok_or(ModemError::Full(self.options.capacity))?;
        self.storage[slot] = Some(Stored { sms, read: false });
        let index = slot as u32 + 1;
        if self.notify {
            self.push_unsolicited(&format!("+CMTI: \"{MEMORY}\",{index}"));
        }
        Ok(index)
    }

    pub(crate) fn push_unsolicited(&mut self, line: &str) {
        self.unsolicited
            .extend_from_slice(format!("\r\n{line}\r\n").as_bytes());
    }

    /// Unsolicited lines waiting to go out: held while a message is being typed (the link is
    /// reserved then, as `AT+CNMI=2` buffers them).
    pub(crate) fn take_unsolicited(&mut self) -> Vec<u8> {
        if self.prompt.is_some() {
            return Vec::new();
        }
        std::mem::take(&mut self.unsolicited)
    }

    /// Bytes from the station; what the modem prints back.
    pub(crate) fn input(&mut self, bytes: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        for &byte in bytes {
            if self.prompt.is_some() {
                self.text_byte(byte, &mut out);
            } else {
                self.command_byte(byte, &mut out);
            }
        }
        out
    }

    fn command_byte(&mut self, byte: u8, out: &mut Vec<u8>) {
        if self.echo {
            out.push(byte);
        }
        match byte {
            b'\r' => {
                let line = std::mem::take(&mut self.line);
                let too_long = std::mem::replace(&mut self.line_too_long, false);
                let text = String::from_utf8_lossy(&line).trim().to_owned();
                if text.is_empty() && !too_long {
                    return;
                }
                if self.commands.len() == MAX_COMMANDS_KEPT {
                    self.commands.remove(0);
                }
                self.commands.push(text.clone());
                if too_long {
                    out.extend_from_slice(ERROR);
                } else {
                    out.extend(self.execute(&text));
                }
            }
            b'\n' => {}
            0x08 => {
                self.line.pop();
            }
            ESC => self.line.clear(),
            _ if self.line.len() >= MAX_COMMAND_BYTES => self.line_too_long = true,
            _ => self.line.push(byte),
        }
    }

    fn text_byte(&mut self, byte: u8, out: &mut Vec<u8>) {
        match byte {
            CTRL_Z => {
                let to = self.prompt.take().unwrap_or_default();
                let text = std::mem::take(&mut self.text);
                out.extend(self.send(to, &text));
            }
            ESC => {
                self.prompt = None;
                self.text.clear();
                out.extend_from_slice(OK);
            }
            b'\r' => {
                if self.echo {
                    out.push(byte);
                }
                self.text.push(b'\n');
                out.extend_from_slice(b"\r\n> ");
            }
            _ => {
                if self.echo {
                    out.push(byte);
                }
                if self.text.len() < MAX_TEXT_BYTES {
                    self.text.push(byte);
                }
            }
        }
    }

    /// One command line (`AT...`, case ignored in the command's name).
    fn execute(&mut self, line: &str) -> Vec<u8> {
        let upper = line.to_ascii_uppercase();
        let Some(name) = upper.strip_prefix("AT") else {
            return ERROR.to_vec();
        };
        // The same bytes in the line's own case, for string parameters.
        let original = &line[2..];
        let args = |prefix: &str| original.get(prefix.len()..).unwrap_or_default();
        match name {
            "" => OK.to_vec(),
            "E" | "E0" => {
                self.echo = false;
                OK.to_vec()
            }
            "E1" => {
                self.echo = true;
                OK.to_vec()
            }
            "Z" => {
                self.reset();
                OK.to_vec()
            }
            "+CMGF=0" | "+CMGF=1" => {
                self.text_mode = name.ends_with('1');
                OK.to_vec()
            }
            "+CMGF?" => info(&format!("+CMGF: {}", u8::from(self.text_mode))),
            "+CSCS?" => info(&format!("+CSCS: \"{}\"", self.charset_name())),
            "+CPMS?" => {
                let (used, total) = self.usage();
                let one = format!("\"{MEMORY}\",{used},{total}");
                info(&format!("+CPMS: {one},{one},{one}"))
            }
            _ if name.starts_with("+CMEE=") => match args("+CMEE=") {
                "0" | "1" | "2" => OK.to_vec(),
                _ => ERROR.to_vec(),
            },
            _ if name.starts_with("+CSCS=") => self.set_charset(args("+CSCS=")),
            _ if name.starts_with("+CNMI=") => self.set_notify(args("+CNMI=")),
            _ if name.starts_with("+CPMS=") => self.select_memory(args("+CPMS=")),
            "+CMGL" => self.list("\"REC UNREAD\""),
            _ if name.starts_with("+CMGL=") => self.list(args("+CMGL=")),
            _ if name.starts_with("+CMGR=") => self.read(args("+CMGR=")),
            _ if name.starts_with("+CMGD=") => self.delete(args("+CMGD=")),
            _ if name.starts_with("+CMGS=") => self.start_send(args("+CMGS=")),
            _ => ERROR.to_vec(),
        }
    }

    fn charset_name(&self) -> &'static str {
        match self.charset {
            Charset::Ira => "IRA",
            Charset::Gsm => "GSM",
            Charset::Ucs2 => "UCS2",
        }
    }

    fn usage(&self) -> (usize, usize) {
        let used = self.storage.iter().filter(|s| s.is_some()).count();
        (used, self.storage.len())
    }

    /// `AT+CSCS="<name>"`: the name itself is always plain text.
    fn set_charset(&mut self, args: &str) -> Vec<u8> {
        self.charset = match quoted(args) {
            Some("IRA") => Charset::Ira,
            Some("GSM") => Charset::Gsm,
            Some("UCS2") if self.options.ucs2 => Charset::Ucs2,
            _ => return ERROR.to_vec(),
        };
        OK.to_vec()
    }

    /// `AT+CNMI=<mode>,<mt>,<bm>,<ds>,<bfr>`: `+CMTI` for new messages when `mt` is 1;
    /// delivering them straight to the station (`mt` 2 or 3) is not simulated.
    fn set_notify(&mut self, args: &str) -> Vec<u8> {
        let numbers: Option<Vec<u8>> = args.split(',').map(|n| n.trim().parse().ok()).collect();
        match numbers.as_deref() {
            Some([mode, mt, rest @ ..]) if *mode <= 3 && *mt <= 1 && rest.len() <= 3 => {
                self.notify = *mode > 0 && *mt == 1;
                OK.to_vec()
            }
            _ => cms(303),
        }
    }

    /// `AT+CPMS="SM"[,"SM"[,"SM"]]`, names in the character set (hexadecimal in UCS2).
    fn select_memory(&mut self, args: &str) -> Vec<u8> {
        let names: Option<Vec<String>> = args.split(',').map(|a| self.string(a)).collect();
        match names {
            Some(names) if (1..=3).contains(&names.len()) && names.iter().all(|n| n == MEMORY) => {
                let (used, total) = self.usage();
                let counts = vec![format!("{used},{total}"); names.len()].join(",");
                info(&format!("+CPMS: {counts}"))
            }
            Some(_) => cms(302),
            None => cms(305),
        }
    }

    /// A quoted string parameter in the TE character set: hexadecimal UCS2 in UCS2 mode (a
    /// plain string is refused then, as several modems refuse it).
    fn string(&self, arg: &str) -> Option<String> {
        let text = quoted(arg.trim())?;
        match self.charset {
            Charset::Ucs2 => from_ucs2_hex(text),
            Charset::Ira | Charset::Gsm => Some(text.to_owned()),
        }
    }

    /// `AT+CMGL="<stat>"`. In PDU mode (`AT+CMGF=0`) a real modem would list PDUs, which the
    /// station does not read: this one answers `+CMS ERROR: 302` instead, so that a station
    /// that forgot text mode fails loudly either way.
    fn list(&mut self, args: &str) -> Vec<u8> {
        if !self.text_mode {
            return cms(302);
        }
        let Some(stat) = self.string(args) else {
            return cms(305);
        };
        let wanted: fn(&Stored) -> bool = match stat.as_str() {
            "ALL" => |_| true,
            "REC UNREAD" => |s| !s.read,
            "REC READ" => |s| s.read,
            // Nothing is stored to be sent here.
            "STO UNSENT" | "STO SENT" => |_| false,
            _ => return cms(302),
        };
        let mut out = Vec::new();
        for index in 1..=self.storage.len() {
            let Some(stored) = self.storage[index - 1].clone() else {
                continue;
            };
            if !wanted(&stored) {
                continue;
            }
            out.extend_from_slice(format!("\r\n+CMGL: {index},").as_bytes());
            out.extend(self.header(&stored));
            out.extend_from_slice(b"\r\n");
            out.extend(self.body(&stored.sms.text));
            if let Some(slot) = self.storage[index - 1].as_mut() {
                slot.read = true;
            }
        }
        if !out.is_empty() {
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(OK);
        out
    }

    /// `AT+CMGR=<index>`: `+CMS ERROR: 321` for an empty or invalid index; PDU mode as
    /// [`Self::list`].
    fn read(&mut self, args: &str) -> Vec<u8> {
        if !self.text_mode {
            return cms(302);
        }
        let Some(slot) = self.slot(args) else {
            return cms(321);
        };
        let Some(stored) = self.storage[slot].clone() else {
            return cms(321);
        };
        let mut out = b"\r\n+CMGR: ".to_vec();
        out.extend(self.header(&stored));
        out.extend_from_slice(b"\r\n");
        out.extend(self.body(&stored.sms.text));
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(OK);
        if let Some(slot) = self.storage[slot].as_mut() {
            slot.read = true;
        }
        out
    }

    fn slot(&self, index: &str) -> Option<usize> {
        let index: usize = index.trim().parse().ok()?;
        (1..=self.storage.len()).contains(&index).then(|| index - 1)
    }

    /// `AT+CMGD=<index>[,<flag>]`: an empty index is OK, one out of range `+CMS ERROR: 321`;
    /// flag 1-3 delete read messages (there are no sent ones here), 4 everything.
    fn delete(&mut self, args: &str) -> Vec<u8> {
        let (index, flag) = args.split_once(',').unwrap_or((args, "0"));
        match flag.trim() {
            "0" => match self.slot(index) {
                Some(slot) => self.storage[slot] = None,
                None => return cms(321),
            },
            "1" | "2" | "3" => {
                for slot in &mut self.storage {
                    if slot.as_ref().is_some_and(|s| s.read) {
                        *slot = None;
                    }
                }
            }
            "4" => self.storage.iter_mut().for_each(|s| *s = None),
            _ => return cms(305),
        }
        OK.to_vec()
    }

    /// `AT+CMGS="<number>"[,<type>]`: the `> ` prompt, then the text until Ctrl-Z.
    fn start_send(&mut self, args: &str) -> Vec<u8> {
        if !self.text_mode {
            return cms(302);
        }
        let number = args.split(',').next().and_then(|a| self.string(a));
        let valid = number.as_deref().is_some_and(|n| {
            let digits = n.strip_prefix('+').unwrap_or(n);
            (1..=20).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit())
        });
        match number {
            Some(number) if valid => {
                self.prompt = Some(number);
                b"\r\n> ".to_vec()
            }
            _ => cms(305),
        }
    }

    /// The text after the prompt, in the character set; one SMS at most (160 characters of
    /// the GSM alphabet, 70 otherwise).
    fn send(&mut self, to: String, bytes: &[u8]) -> Vec<u8> {
        let text = match self.charset {
            Charset::Ucs2 => from_ucs2_hex(String::from_utf8_lossy(bytes).trim()),
            Charset::Gsm => Some(gsm_decode(bytes)),
            Charset::Ira => Some(String::from_utf8_lossy(bytes).into_owned()),
        };
        let Some(text) = text else {
            return cms(305);
        };
        let limit = if gsm_encode(&text).is_some() { 160 } else { 70 };
        if text.chars().count() > limit {
            return cms(305);
        }
        self.sent.push(SentSms { to, text });
        self.reference = self.reference.wrapping_add(1);
        let mut out = format!("\r\n+CMGS: {}\r\n", self.reference).into_bytes();
        out.extend_from_slice(OK);
        out
    }

    /// `"<stat>","<sender>",,"<yy/MM/dd,hh:mm:ss±zz>"` in the character set.
    fn header(&self, stored: &Stored) -> Vec<u8> {
        let status = if stored.read {
            "REC READ"
        } else {
            "REC UNREAD"
        };
        let sender = match self.charset {
            Charset::Ucs2 => to_ucs2_hex(&stored.sms.sender),
            Charset::Ira | Charset::Gsm => stored.sms.sender.clone(),
        };
        let time = scts(stored.sms.time, stored.sms.zone_quarter_hours);
        format!("\"{status}\",\"{sender}\",,\"{time}\"").into_bytes()
    }

    /// A message's text as text mode prints it: hexadecimal UCS2 in UCS2 mode, and for a
    /// message the phone had to send in UCS2 (outside the GSM alphabet) in any mode; else
    /// the GSM alphabet's bytes (GSM) or ASCII with `?` for the rest (IRA).
    fn body(&self, text: &str) -> Vec<u8> {
        match (self.charset, gsm_encode(text)) {
            (Charset::Ucs2, _) | (_, None) => to_ucs2_hex(text).into_bytes(),
            (Charset::Gsm, Some(bytes)) => bytes,
            (Charset::Ira, Some(_)) => text
                .chars()
                .map(|c| if c.is_ascii() { c as u8 } else { b'?' })
                .collect(),
        }
    }
}

const OK: &[u8] = b"\r\nOK\r\n";
const ERROR: &[u8] = b"\r\nERROR\r\n";

fn cms(code: u16) -> Vec<u8> {
    format!("\r\n+CMS ERROR: {code}\r\n").into_bytes()
}

fn info(line: &str) -> Vec<u8> {
    let mut out = format!("\r\n{line}\r\n").into_bytes();
    out.extend_from_slice(OK);
    out
}

/// The text between double quotes, if the whole parameter is quoted.
fn quoted(arg: &str) -> Option<&str> {
    let inner = arg.trim().strip_prefix('"')?.strip_suffix('"')?;
    (!inner.contains('"')).then_some(inner)
}

/// The service centre's time stamp of a UTC time, as seen in a zone `quarters` quarter hours
/// from UTC.
fn scts(time: TimeUs, quarters: i8) -> String {
    let offset_us = i64::from(quarters).unsigned_abs() * 15 * 60 * 1_000_000;
    let local = if quarters >= 0 {
        TimeUs(time.0.saturating_add(offset_us))
    } else {
        TimeUs(time.0.saturating_sub(offset_us))
    };
    // `YYYY-MM-DDTHH:MM:SSZ`
    let utc = utc_string(local);
    let part = |range: std::ops::Range<usize>| utc.get(range).unwrap_or("00").to_owned();
    let sign = if quarters < 0 { '-' } else { '+' };
    format!(
        "{}/{}/{},{}:{}:{}{sign}{:02}",
        part(2..4),
        part(5..7),
        part(8..10),
        part(11..13),
        part(14..16),
        part(17..19),
        quarters.unsigned_abs()
    )
}

fn to_ucs2_hex(text: &str) -> String {
    text.encode_utf16().map(|u| format!("{u:04X}")).collect()
}

fn from_ucs2_hex(hex: &str) -> Option<String> {
    if !hex.len().is_multiple_of(4) || !hex.is_ascii() {
        return None;
    }
    let units: Option<Vec<u16>> = (0..hex.len())
        .step_by(4)
        .map(|i| u16::from_str_radix(hex.get(i..i + 4)?, 16).ok())
        .collect();
    String::from_utf16(&units?).ok()
}

/// GSM 03.38's default alphabet as a string, character `i` for code `i` (the escape code
/// 0x1B as a space: it is never a character).
const GSM: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ ÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?\
                   ¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
/// The extension table: the character and its code after the escape.
const GSM_EXTENSION: [(char, u8); 9] = [
    ('^', 0x14),
    ('{', 0x28),
    ('}', 0x29),
    ('\\', 0x2F),
    ('[', 0x3C),
    ('~', 0x3D),
    (']', 0x3E),
    ('|', 0x40),
    ('€', 0x65),
];

/// The text in the GSM alphabet, or `None` when a character is not in it.
fn gsm_encode(text: &str) -> Option<Vec<u8>> {
    let mut bytes = Vec::with_capacity(text.len());
    for c in text.chars() {
        if let Some((code, _)) = GSM.chars().enumerate().find(|&(i, g)| g == c && i != 0x1B) {
            bytes.push(code as u8);
        } else {
            let (_, code) = GSM_EXTENSION.iter().find(|(e, _)| *e == c)?;
            bytes.extend([0x1B, *code]);
        }
    }
    Some(bytes)
}

fn gsm_decode(bytes: &[u8]) -> String {
    let table: Vec<char> = GSM.chars().collect();
    let mut text = String::new();
    let mut escaped = false;
    for &b in bytes {
        if escaped {
            escaped = false;
            if let Some((c, _)) = GSM_EXTENSION.iter().find(|(_, code)| *code == b) {
                text.push(*c);
            }
        } else if b == 0x1B {
            escaped = true;
        } else {
            text.push(table.get(usize::from(b)).copied().unwrap_or('?'));
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_gsm_alphabet_has_its_128_codes() {
        assert_eq!(GSM.chars().count(), 128);
        assert_eq!(
            gsm_encode("@é[€"),
            Some(vec![0x00, 0x05, 0x1B, 0x3C, 0x1B, 0x65])
        );
        assert_eq!(gsm_decode(&[0x00, 0x05, 0x1B, 0x3C, 0x7F]), "@é[à");
        assert_eq!(gsm_encode("fête"), None);
    }

    #[test]
    fn time_stamps_are_local_with_the_zone_in_quarter_hours() {
        let time = vigil_core::time::parse_utc("2026-03-14T15:30:00Z").expect("a time");
        assert_eq!(scts(time, 12), "26/03/14,18:30:00+12");
        assert_eq!(scts(time, -20), "26/03/14,10:30:00-20");
    }
}

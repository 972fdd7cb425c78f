//! Who may send reports: a token per reporting channel or community focal point, from a text
//! file the mission keeps. One token per line, then whitespace, then who holds it:
//!
//! ```text
//! # token                 held by
//! k7Qm2xPz9aWc            Keradu focal point (Mama Achol)
//! sms-gateway-2f8e1c      SMS gateway
//! ```
//!
//! A token is 12 to 128 letters, digits, `-` or `_` (long enough not to be guessed in the
//! rate limits' lifetime); blank lines and lines starting with `#` are skipped. Errors name
//! the file and the line, never the token itself (the message may be shown or logged).
//! `vigil reports token` prints a fresh random one.

use std::collections::HashMap;
use std::path::Path;

/// The shortest token accepted.
pub const MIN_TOKEN_CHARS: usize = 12;
/// The longest token accepted.
pub const MAX_TOKEN_CHARS: usize = 128;
/// A tokens file larger than this is refused.
const MAX_FILE_BYTES: u64 = 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum TokensError {
    #[error("{file}: {source}")]
    Io {
        file: String,
        source: std::io::Error,
    },
    #[error("{file}: {bytes} bytes is more than {MAX_FILE_BYTES}")]
    TooLarge { file: String, bytes: u64 },
    #[error("{file}:{line}: {reason}")]
    Line {
        file: String,
        line: usize,
        reason: String,
    },
    #[error("{file}: no token in it")]
    Empty { file: String },
}

/// The tokens and who holds each.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReportTokens {
    holders: HashMap<String, String>,
}

impl ReportTokens {
    /// Reads a tokens file.
    pub fn load(path: &Path) -> Result<Self, TokensError> {
        let file = path.display().to_string();
        let io = |source| TokensError::Io {
            file: file.clone(),
            source,
        };
        let bytes = std::fs::metadata(path).map_err(io)?.len();
        if bytes > MAX_FILE_BYTES {
            return Err(TokensError::TooLarge { file, bytes });
        }
        let text = std::fs::read_to_string(path).map_err(io)?;
        Self::parse(&text, &file)
    }

    /// Reads the text of a tokens file; `file` names it in errors.
    pub fn parse(text: &str, file: &str) -> Result<Self, TokensError> {
        let mut holders = HashMap::new();
        let mut first_line: HashMap<String, usize> = HashMap::new();
        for (index, line) in text.lines().enumerate() {
            let line_no = index + 1;
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let bad = |reason: String| TokensError::Line {
                file: file.to_owned(),
                line: line_no,
                reason,
            };
            let (token, holder) = line
                .split_once(char::is_whitespace)
                .map(|(t, h)| (t, h.trim()))
                .unwrap_or((line, ""));
            check_token(token).map_err(&bad)?;
            if holder.is_empty() {
                return Err(bad(
                    "the token has no holder after it (who the token is for)".into(),
                ));
            }
            if let Some(first) = first_line.get(token) {
                return Err(bad(format!("the same token as line {first}")));
            }
            first_line.insert(token.to_owned(), line_no);
            holders.insert(token.to_owned(), holder.to_owned());
        }
        if holders.is_empty() {
            return Err(TokensError::Empty {
                file: file.to_owned(),
            });
        }
        Ok(Self { holders })
    }

    /// Who holds `token`, if it is one. Compares every token in full (no early exit on the
    /// first differing byte), so that the time taken does not tell how much of a guess was
    /// right.
    pub fn holder(&self, token: &str) -> Option<&str> {
        let mut found = None;
        for (known, holder) in &self.holders {
            if constant_time_eq(known.as_bytes(), token.as_bytes()) {
                found = Some(holder.as_str());
            }
        }
        found
    }

    /// The tokens and their holders, sorted by holder (for the operator's list of links).
    pub fn entries(&self) -> Vec<(&str, &str)> {
        let mut entries: Vec<(&str, &str)> = self
            .holders
            .iter()
            .map(|(t, h)| (t.as_str(), h.as_str()))
            .collect();
        entries.sort_by(|a, b| a.1.cmp(b.1).then(a.0.cmp(b.0)));
        entries
    }
}

fn check_token(token: &str) -> Result<(), String> {
    let chars = token.chars().count();
    if !(MIN_TOKEN_CHARS..=MAX_TOKEN_CHARS).contains(&chars) {
        return Err(format!(
            "a token has {MIN_TOKEN_CHARS} to {MAX_TOKEN_CHARS} characters; this one has {chars}"
        ));
    }
    if let Some(c) = token
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '_'))
    {
        return Err(format!(
            "a token is letters, digits, '-' and '_' only, not {c:?}"
        ));
    }
    Ok(())
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A fresh random token (24 characters from 62: 142 bits).
pub fn new_token() -> Result<String, getrandom::Error> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut token = String::with_capacity(24);
    while token.len() < 24 {
        let mut byte = [0u8; 1];
        getrandom::fill(&mut byte)?;
        // 248 = 4 × 62: rejecting the rest keeps every character equally likely.
        if usize::from(byte[0]) < 4 * ALPHABET.len() {
            token.push(char::from(ALPHABET[usize::from(byte[0]) % ALPHABET.len()]));
        }
    }
    Ok(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "# token  holder\n\nk7Qm2xPz9aWc   Keradu focal point (Mama Achol)\nsms-gateway-2f8e1c SMS gateway\n";

    #[test]
    fn tokens_and_their_holders() {
        let tokens = ReportTokens::parse(FILE, "tokens.txt").expect("parses");
        assert_eq!(
            tokens.holder("k7Qm2xPz9aWc"),
            Some("Keradu focal point (Mama Achol)")
        );
        assert_eq!(tokens.holder("sms-gateway-2f8e1c"), Some("SMS gateway"));
        assert_eq!(tokens.holder("k7Qm2xPz9aWd"), None);
        assert_eq!(tokens.holder(""), None);
        assert_eq!(tokens.entries()[1].1, "SMS gateway");
    }

    #[test]
    fn errors_name_the_line_and_not_the_token() {
        let cases = [
            ("short  holder\n", 1, "12 to 128"),
            ("\nk7Qm2xPz9aWc\n", 2, "no holder"),
            ("k7Qm2xPz9a/c holder\n", 1, "not '/'"),
            (
                "k7Qm2xPz9aWc a\nk7Qm2xPz9aWc b\n",
                2,
                "same token as line 1",
            ),
        ];
        for (text, line, reason) in cases {
            let err = ReportTokens::parse(text, "t.txt").expect_err(text);
            let message = err.to_string();
            assert!(message.starts_with(&format!("t.txt:{line}: ")), "{message}");
            assert!(message.contains(reason), "{message}");
            assert!(!message.contains("k7Qm2xPz9a"), "{message}");
        }
        assert!(matches!(
            ReportTokens::parse("# nothing\n", "t.txt"),
            Err(TokensError::Empty { .. })
        ));
    }

    #[test]
    fn new_tokens_are_valid_and_differ() {
        let (a, b) = (new_token().expect("random"), new_token().expect("random"));
        assert_ne!(a, b);
        assert!(check_token(&a).is_ok());
        assert_eq!(a.len(), 24);
    }
}

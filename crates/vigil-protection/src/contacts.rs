//! Reporters' contacts: a name or a phone number left for a call-back. In a conflict area a
//! leaked number can cost a life, so a contact is never part of the protection view (nor of
//! the map, the exports or the journal): it is kept here, by report, and given to an operator
//! only on a request that is itself recorded ([`super::ProtectionEvent::ContactRevealed`]).
//!
//! Reports carry a pseudonym instead (`reporter 3fa2c1d0`): a keyed hash of the contact whose
//! key is drawn at random for the station's run and never written, so that reports from the
//! same person can be seen to be from the same person, and nobody holding a record can turn
//! the pseudonym back into the number (a phone number has too few digits for an unkeyed hash
//! to hide it).

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};

/// The contacts of the reports kept, and the key of their pseudonyms.
pub struct ContactBook {
    key: [u8; 32],
    contacts: BTreeMap<u64, String>,
}

impl std::fmt::Debug for ContactBook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ContactBook({} contacts)", self.contacts.len())
    }
}

impl Default for ContactBook {
    fn default() -> Self {
        Self::new()
    }
}

impl ContactBook {
    /// A book with a fresh random key; without randomness, a key from the clock and the
    /// process (weaker against someone who guesses both, but never the contact in clear).
    pub fn new() -> Self {
        let mut key = [0u8; 32];
        if getrandom::fill(&mut key).is_err() {
            let seed = format!("{:?} {}", std::time::SystemTime::now(), std::process::id());
            key = Sha256::digest(seed.as_bytes()).into();
        }
        Self {
            key,
            contacts: BTreeMap::new(),
        }
    }

    /// `reporter 3fa2c1d0` for a contact; empty for none.
    pub fn pseudonym(&self, contact: &str) -> String {
        let contact = contact.trim();
        if contact.is_empty() {
            return String::new();
        }
        let mut hash = Sha256::new();
        hash.update(self.key);
        hash.update(contact.as_bytes());
        let digest = hash.finalize();
        let hex: String = digest[..4].iter().map(|b| format!("{b:02x}")).collect();
        format!("reporter {hex}")
    }

    /// Keeps report `id`'s contact; its pseudonym.
    pub fn keep(&mut self, id: u64, contact: &str) -> String {
        let pseudonym = self.pseudonym(contact);
        if !pseudonym.is_empty() {
            self.contacts.insert(id, contact.trim().to_owned());
        }
        pseudonym
    }

    /// Report `id`'s contact, if it left one and it is still kept.
    pub fn reveal(&self, id: u64) -> Option<&str> {
        self.contacts.get(&id).map(String::as_str)
    }

    /// Forgets the contacts of reports older than `oldest` (the reports no longer kept).
    pub fn forget_before(&mut self, oldest: u64) {
        self.contacts = self.contacts.split_off(&oldest);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pseudonyms_are_stable_within_a_book_and_hide_the_number() {
        let mut book = ContactBook::new();
        let a = book.keep(1, "+211912345678");
        assert_eq!(a, book.pseudonym(" +211912345678 "));
        assert_ne!(a, book.pseudonym("+211912345679"));
        assert!(
            a.starts_with("reporter ") && a.len() == "reporter ".len() + 8,
            "{a}"
        );
        assert_ne!(a, ContactBook::new().pseudonym("+211912345678"));
        assert_eq!(book.keep(2, "  "), "");
        assert_eq!(book.reveal(1), Some("+211912345678"));
        assert_eq!(book.reveal(2), None);
        assert!(!format!("{book:?}").contains("2345678"));
        book.forget_before(2);
        assert_eq!(book.reveal(1), None);
    }
}

//! What the XML exports (KML, GPX, CoT) share on top of `quick-xml`'s writer: the
//! declaration, text elements, attributes, and the one thing the writer leaves to us, dropping
//! the characters XML 1.0 cannot hold at all (escaping is the writer's job).

use std::borrow::Cow;
use std::io::{self, Write};

use quick_xml::Writer;
use quick_xml::events::attributes::Attribute;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};

/// Whether XML 1.0 can hold a character (its `Char` production): not the C0 controls but tab,
/// line feed and carriage return, nor U+FFFE and U+FFFF. Not even as a character reference.
fn allowed(c: char) -> bool {
    !matches!(c, '\u{0}'..='\u{8}' | '\u{b}' | '\u{c}' | '\u{e}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}')
}

/// The text without the characters XML 1.0 cannot hold (the writer escapes the rest).
pub fn clean(text: &str) -> Cow<'_, str> {
    if text.chars().all(allowed) {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(text.chars().filter(|c| allowed(*c)).collect())
    }
}

/// An attribute, its value cleaned (the writer escapes it).
pub fn attr<'a>(key: &'a str, value: &'a str) -> Attribute<'a> {
    Attribute::from((key, clean(value)))
}

/// `<?xml version="1.0" encoding="UTF-8"[ standalone="yes"]?>`.
pub fn declaration<W: Write>(w: &mut Writer<W>, standalone: bool) -> io::Result<()> {
    w.write_event(Event::Decl(BytesDecl::new(
        "1.0",
        Some("UTF-8"),
        standalone.then_some("yes"),
    )))
}

/// A line break between elements, for a reader of the file.
pub fn newline<W: Write>(w: &mut Writer<W>) -> io::Result<()> {
    w.write_event(Event::Text(BytesText::from_escaped("\n")))
}

/// `<name attributes...>`.
pub fn start<'a, W: Write>(
    w: &mut Writer<W>,
    name: &'a str,
    attributes: impl IntoIterator<Item = Attribute<'a>>,
) -> io::Result<()> {
    w.write_event(Event::Start(
        BytesStart::new(name).with_attributes(attributes),
    ))
}

/// `</name>`.
pub fn end<W: Write>(w: &mut Writer<W>, name: &str) -> io::Result<()> {
    w.write_event(Event::End(BytesEnd::new(name)))
}

/// `<name>text</name>`, the text cleaned and escaped.
pub fn text<W: Write>(w: &mut Writer<W>, name: &str, text: &str) -> io::Result<()> {
    w.create_element(name)
        .write_text_content(BytesText::new(&clean(text)))?;
    Ok(())
}

/// `<name attributes.../>`.
pub fn empty<'a, W: Write>(
    w: &mut Writer<W>,
    name: &'a str,
    attributes: impl IntoIterator<Item = Attribute<'a>>,
) -> io::Result<()> {
    w.write_event(Event::Empty(
        BytesStart::new(name).with_attributes(attributes),
    ))
}

/// Text that some test of ours writes into every XML export: quotes, markup, an entity, the end
/// of a CDATA section, a line break and control characters.
#[cfg(test)]
pub const HOSTILE: &str = "Amina \"K\" <b>&amp; 'co'</b> ]]> \u{0}\u{7}\u{1b}\u{fffe}\tend\r\nnext";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_text_comes_out_as_well_formed_xml_with_its_printable_characters() {
        let mut w = Writer::new(Vec::new());
        declaration(&mut w, true).expect("declaration");
        start(&mut w, "doc", [attr("note", HOSTILE)]).expect("start");
        text(&mut w, "name", HOSTILE).expect("text");
        empty(&mut w, "e", [attr("v", HOSTILE)]).expect("empty");
        end(&mut w, "doc").expect("end");
        let xml = String::from_utf8(w.into_inner()).expect("utf-8");
        let doc = roxmltree::Document::parse(&xml).expect("well-formed");
        let root = doc.root_element();
        let name = root
            .children()
            .find(|n| n.has_tag_name("name"))
            .and_then(|n| n.text())
            .unwrap_or_default();
        // XML readers turn CR LF into LF in text, and line breaks into spaces in attributes.
        assert_eq!(name, "Amina \"K\" <b>&amp; 'co'</b> ]]> \tend\nnext");
        assert_eq!(
            root.attribute("note"),
            Some("Amina \"K\" <b>&amp; 'co'</b> ]]>  end next")
        );
        assert!(!xml.contains('\u{0}') && !xml.contains('\u{1b}'), "{xml}");
        assert!(matches!(clean("plain"), Cow::Borrowed("plain")));
    }
}

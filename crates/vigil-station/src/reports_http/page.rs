//! The report page for phones on the station's network: plain HTML that works without
//! JavaScript and without internet (no script, no external style, font or image), small
//! enough for a slow Wi-Fi link, and its form read back into a report. What happened (a
//! fixed list), where (a protected place from the list, or typed coordinates or a place
//! name), how long ago, how many people, what they saw, and optionally a name or number for
//! a call-back, which the page says is never shown on the map or exported.

use quick_xml::escape::escape;

use vigil_core::time::TimeUs;
use vigil_protection::{LatLon, NewReport};

/// What the form offers, as (value, label); the value is the report's category.
pub const CATEGORIES: &[(&str, &str)] = &[
    ("armed_men", "Armed men seen"),
    ("shooting", "Shooting heard"),
    ("attack", "Attack on people or homes"),
    ("abduction", "Abduction"),
    ("looting", "Looting or theft of cattle"),
    ("fire", "Houses or fields burning"),
    ("displacement", "People fleeing"),
    ("threat", "Threats or intimidation"),
    ("other", "Something else"),
];

/// How long ago, as (minutes, label).
pub const WHEN: &[(u32, &str)] = &[
    (0, "Now"),
    (15, "15 minutes ago"),
    (60, "1 hour ago"),
    (180, "3 hours ago"),
    (720, "Earlier today"),
    (1440, "Yesterday"),
];

/// The longest description kept, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 2000;
/// The longest call-back contact kept, in characters.
const MAX_CONTACT_CHARS: usize = 100;
/// The most people a report may say.
const MAX_PEOPLE: u32 = 100_000;

/// A place the reporter can choose: a protected site's name and centre.
#[derive(Debug, Clone, PartialEq)]
pub struct Place {
    pub name: String,
    pub at: LatLon,
}

/// Why a form could not be read, for the reporter: the field and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormError {
    pub field: &'static str,
    pub reason: String,
}

fn head(title: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<title>{}</title><style>\
body{{font-family:sans-serif;margin:0 auto;max-width:34em;padding:0.8em;line-height:1.4}}\
label{{display:block;margin-top:0.9em;font-weight:bold}}\
select,input,textarea{{width:100%;box-sizing:border-box;font-size:1.1em;padding:0.3em}}\
button{{margin-top:1.2em;width:100%;font-size:1.2em;padding:0.5em}}\
.error{{background:#fdd;border:1px solid #a00;padding:0.5em}}\
.ok{{background:#dfd;border:1px solid #070;padding:0.5em}}\
small{{color:#444}}</style></head><body>",
        escape(title)
    )
}

fn options<'a>(items: impl Iterator<Item = (String, &'a str)>, chosen: &str) -> String {
    items
        .map(|(value, label)| {
            let selected = if value == chosen { " selected" } else { "" };
            format!(
                "<option value=\"{}\"{selected}>{}</option>",
                escape(value.as_str()),
                escape(label)
            )
        })
        .collect()
}

/// The form, posting to `action`; `previous` fills it again after an error.
pub fn form_page(
    action: &str,
    holder: Option<&str>,
    places: &[Place],
    previous: &[(String, String)],
    error: Option<&FormError>,
) -> String {
    let get = |name: &str| {
        previous
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    };
    let mut page = head("Send a report");
    page.push_str("<h1>Send a report</h1>");
    if let Some(holder) = holder {
        page.push_str(&format!("<p><small>For: {}</small></p>", escape(holder)));
    }
    if let Some(error) = error {
        page.push_str(&format!(
            "<p class=\"error\" role=\"alert\">Please check <b>{}</b>: {}</p>",
            escape(error.field),
            escape(error.reason.as_str())
        ));
    }
    page.push_str(&format!(
        "<form method=\"post\" action=\"{}\">",
        escape(action)
    ));
    page.push_str(
        "<label for=\"category\">What happened?</label><select id=\"category\" name=\"category\">",
    );
    page.push_str(&options(
        CATEGORIES.iter().map(|(v, l)| ((*v).to_owned(), *l)),
        get("category"),
    ));
    page.push_str("</select><label for=\"place\">Where?</label><select id=\"place\" name=\"place\"><option value=\"\">(type it below)</option>");
    page.push_str(&options(
        places.iter().map(|p| (p.name.clone(), p.name.as_str())),
        get("place"),
    ));
    page.push_str(&format!(
        "</select><label for=\"where\">Or another place</label><input id=\"where\" name=\"where\" \
value=\"{}\" placeholder=\"a place name, or latitude, longitude\">",
        escape(get("where"))
    ));
    page.push_str("<label for=\"when\">When?</label><select id=\"when\" name=\"when\">");
    page.push_str(&options(
        WHEN.iter().map(|(v, l)| (v.to_string(), *l)),
        get("when"),
    ));
    page.push_str(&format!(
        "</select><label for=\"people\">How many people did you see?</label>\
<input id=\"people\" name=\"people\" type=\"number\" min=\"0\" max=\"{MAX_PEOPLE}\" value=\"{}\">\
<label for=\"description\">What did you see?</label>\
<textarea id=\"description\" name=\"description\" rows=\"4\" maxlength=\"{MAX_DESCRIPTION_CHARS}\">{}</textarea>\
<label for=\"contact\">Your name or phone (optional)</label>\
<input id=\"contact\" name=\"contact\" maxlength=\"{MAX_CONTACT_CHARS}\" value=\"{}\">\
<p><small>Only for calling you back. It is never shown on the map, never shared and never \
exported.</small></p><button type=\"submit\">Send</button></form></body></html>",
        escape(get("people")),
        escape(get("description")),
        escape(get("contact"))
    ));
    page
}

/// The page after a report was taken.
pub fn thanks_page(id: u64, again: &str) -> String {
    let mut page = head("Report received");
    page.push_str(&format!(
        "<p class=\"ok\" role=\"status\">Thank you. Your report number {id} was received by the \
mission.</p><p><a href=\"{}\">Send another report</a></p></body></html>",
        escape(again)
    ));
    page
}

/// A page that only says something (an unknown link, too many reports, a busy station).
pub fn message_page(title: &str, text: &str) -> String {
    let mut page = head(title);
    page.push_str(&format!(
        "<h1>{}</h1><p>{}</p></body></html>",
        escape(title),
        escape(text)
    ));
    page
}

/// Reads a posted form (`application/x-www-form-urlencoded`) into a report at `now`.
/// Returns the form's fields too, to fill the form again after an error.
pub fn read_form(
    body: &[u8],
    places: &[Place],
    now: TimeUs,
    channel: String,
    origin: String,
) -> (Vec<(String, String)>, Result<NewReport, FormError>) {
    let fields: Vec<(String, String)> = form_urlencoded::parse(body)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let report = build(&fields, places, now, channel, origin);
    (fields, report)
}

fn build(
    fields: &[(String, String)],
    places: &[Place],
    now: TimeUs,
    channel: String,
    origin: String,
) -> Result<NewReport, FormError> {
    let get = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.trim())
    };
    let bad = |field: &'static str, reason: &str| FormError {
        field,
        reason: reason.to_owned(),
    };
    let category = get("category");
    if !CATEGORIES.iter().any(|(v, _)| *v == category) {
        return Err(bad("What happened?", "choose one from the list"));
    }
    let position = position(get("place"), get("where"), places)?;
    let minutes: u32 = get("when")
        .parse()
        .ok()
        .filter(|m| WHEN.iter().any(|(w, _)| w == m))
        .ok_or_else(|| bad("When?", "choose one from the list"))?;
    let people = match get("people") {
        "" => None,
        text => Some(
            text.parse::<u32>()
                .ok()
                .filter(|n| *n <= MAX_PEOPLE)
                .ok_or_else(|| bad("How many people", "write a whole number, or leave it empty"))?,
        ),
    };
    let description = get("description");
    if description.chars().count() > MAX_DESCRIPTION_CHARS {
        return Err(bad("What did you see?", "please write less"));
    }
    let contact = get("contact");
    if contact.chars().count() > MAX_CONTACT_CHARS {
        return Err(bad("Your name or phone", "too long"));
    }
    let ago = std::time::Duration::from_secs(u64::from(minutes) * 60);
    Ok(NewReport {
        time: TimeUs(now.0.saturating_sub(ago.as_micros() as u64)),
        position,
        category: category.to_owned(),
        description: description.to_owned(),
        reporter: contact.to_owned(),
        channel,
        people,
        origin,
    })
}

/// The place typed (coordinates, or a listed place's name), else the one chosen.
fn position(chosen: &str, typed: &str, places: &[Place]) -> Result<LatLon, FormError> {
    let find = |name: &str| {
        places
            .iter()
            .find(|p| p.name.trim().eq_ignore_ascii_case(name.trim()))
            .map(|p| p.at)
    };
    if !typed.is_empty() {
        if let Some(at) = coordinates(typed) {
            return Ok(at);
        }
        return find(typed).ok_or_else(|| FormError {
            field: "Where?",
            reason: format!(
                "\"{typed}\" is not a place we know; choose one from the list, or write latitude, longitude (for example 9.0051, 31.0100)"
            ),
        });
    }
    if chosen.is_empty() {
        return Err(FormError {
            field: "Where?",
            reason: "choose a place from the list or type one".into(),
        });
    }
    find(chosen).ok_or_else(|| FormError {
        field: "Where?",
        reason: "choose a place from the list".into(),
    })
}

/// `9.0051, 31.0100` or `9.0051 31.0100` (decimal degrees, latitude first).
fn coordinates(text: &str) -> Option<LatLon> {
    let mut parts = text
        .split(|c: char| c == ',' || c == ';' || c.is_whitespace())
        .filter(|p| !p.is_empty());
    let lat_deg: f64 = parts.next()?.parse().ok()?;
    let lon_deg: f64 = parts.next()?.parse().ok()?;
    if parts.next().is_some() {
        return None;
    }
    let at = LatLon { lat_deg, lon_deg };
    at.is_valid().then_some(at)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn places() -> Vec<Place> {
        vec![Place {
            name: "Keradu west borehole".into(),
            at: LatLon {
                lat_deg: 9.005063,
                lon_deg: 31.010277,
            },
        }]
    }

    fn read(body: &str) -> Result<NewReport, FormError> {
        read_form(
            body.as_bytes(),
            &places(),
            TimeUs::from_secs_f64(1.8e9),
            "web".into(),
            "http:10.0.0.7:5000".into(),
        )
        .1
    }

    #[test]
    fn a_filled_form_is_a_report() {
        let report = read(
            "category=armed_men&place=Keradu+west+borehole&where=&when=15&people=4&description=four+men%2C+rifles&contact=%2B211912345678",
        )
        .expect("a report");
        assert_eq!(report.category, "armed_men");
        assert_eq!(report.position, places()[0].at);
        assert_eq!(report.time, TimeUs::from_secs_f64(1.8e9 - 900.0));
        assert_eq!(report.people, Some(4));
        assert_eq!(report.description, "four men, rifles");
        assert_eq!(report.reporter, "+211912345678");
        let typed = read("category=fire&where=9.01%2C+31.02&when=0").expect("a report");
        assert_eq!(
            typed.position,
            LatLon {
                lat_deg: 9.01,
                lon_deg: 31.02
            }
        );
        let named = read("category=fire&where=keradu+WEST+borehole&when=0").expect("a report");
        assert_eq!(named.position, places()[0].at);
    }

    #[test]
    fn errors_name_the_question() {
        for (body, field) in [
            (
                "category=bombs&place=Keradu+west+borehole&when=0",
                "What happened?",
            ),
            ("category=fire&when=0", "Where?"),
            ("category=fire&where=Atlantis&when=0", "Where?"),
            ("category=fire&where=95%2C+31&when=0", "Where?"),
            ("category=fire&where=9%2C31&when=7", "When?"),
            (
                "category=fire&where=9%2C31&when=0&people=-3",
                "How many people",
            ),
            ("%ff%fe=%00&category=fire", "Where?"),
        ] {
            assert_eq!(read(body).expect_err(body).field, field, "{body}");
        }
    }

    #[test]
    fn pages_escape_what_they_show_and_hold_no_script() {
        let error = FormError {
            field: "Where?",
            reason: "\"<script>\" is not a place".into(),
        };
        let page = form_page(
            "/r/abc",
            Some("Keradu <focal> point"),
            &places(),
            &[("description".into(), "</textarea><b>x".into())],
            Some(&error),
        );
        assert!(!page.contains("<script"), "{page}");
        assert!(page.contains("&lt;focal&gt;"));
        assert!(page.contains("&lt;/textarea&gt;&lt;b&gt;x</textarea>"));
        assert!(!page.contains("http://") && !page.contains("https://"));
        assert!(thanks_page(7, "/r/abc").contains("report number 7"));
    }
}

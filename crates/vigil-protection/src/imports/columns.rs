//! Which column holds which field: the mapping's names, or each tool's usual ones, found in a
//! header by their whole name or their last part; the geopoints by their companion columns;
//! and a row read through them into a report.

use super::values::{is_utc_column, parse_degrees, parse_geopoint, parse_time, snake_case};
use super::{FieldMapping, ReportFormat};
use crate::LatLon;
use crate::reports::NewReport;

/// What went wrong in a header or a row: the column (or mapping field) and why.
#[derive(Debug)]
pub(super) struct Fault {
    pub(super) field: String,
    pub(super) reason: String,
}

impl Fault {
    pub(super) fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

/// Where a tool puts things, and the names its fields usually have.
pub(super) struct Style {
    format: ReportFormat,
    /// What separates a group path from a field's name in a header.
    separators: &'static [char],
    time: &'static [&'static str],
    category: &'static [&'static str],
}

pub(super) const KOBO: Style = Style {
    format: ReportFormat::Kobo,
    separators: &['/'],
    time: &["start", "_submission_time"],
    category: &["category", "incident_type", "type_of_incident", "what"],
};

pub(super) const ODK: Style = Style {
    format: ReportFormat::Odk,
    separators: &['-'],
    time: &["start", "SubmissionDate"],
    category: &["category", "incident_type", "type_of_incident", "what"],
};

pub(super) const USHAHIDI: Style = Style {
    format: ReportFormat::Ushahidi,
    separators: &[],
    time: &["Post date (UTC)", "Created (UTC)"],
    category: &["Categories", "Survey"],
};

const TITLE: &[&str] = &["title"];
const DESCRIPTION: &[&str] = &["description", "details", "what_happened"];
const PEOPLE: &[&str] = &[
    "people",
    "people_count",
    "number_of_people",
    "how_many_people",
];
const REPORTER: &[&str] = &[
    "reporter",
    "reporter_name",
    "reporter_phone",
    "phone_number",
    "Contact",
];
const CHANNEL: &[&str] = &["channel"];

/// The columns found for each field, in the order they are tried.
#[derive(Debug)]
pub(super) struct Columns {
    format: ReportFormat,
    time: Vec<usize>,
    /// `None` where the position comes from elsewhere (a GeoJSON geometry).
    location: Option<Location>,
    category: Vec<usize>,
    title: Vec<usize>,
    description: Vec<usize>,
    people: Vec<usize>,
    reporter: Vec<usize>,
    channel: Vec<usize>,
}

/// Where a row's position is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Location {
    /// Latitude and longitude columns.
    Split { lat: usize, lon: usize },
    /// One column with `lat lon [alt [accuracy]]` (a Kobo geopoint).
    Geopoint(usize),
}

impl Location {
    fn columns(self) -> Vec<usize> {
        match self {
            Self::Split { lat, lon } => vec![lat, lon],
            Self::Geopoint(column) => vec![column],
        }
    }
}

impl Columns {
    /// Finds each field's columns in `header` (the location too when `need_location`).
    pub(super) fn resolve(
        header: &[String],
        style: &Style,
        mapping: &FieldMapping,
        need_location: bool,
    ) -> Result<Self, Fault> {
        let field = |name: &str, named: &Option<String>, candidates: &[&str], required| {
            resolve_field(header, style, name, named.as_deref(), candidates, required)
        };
        let columns = Self {
            format: style.format,
            time: field("time", &mapping.time, style.time, true)?,
            location: if need_location {
                Some(resolve_location(
                    header,
                    style,
                    mapping.location.as_deref(),
                )?)
            } else {
                None
            },
            category: field("category", &mapping.category, style.category, true)?,
            title: field("title", &mapping.title, TITLE, false)?,
            description: field("description", &mapping.description, DESCRIPTION, false)?,
            people: field("people", &mapping.people, PEOPLE, false)?,
            reporter: field("reporter", &mapping.reporter, REPORTER, false)?,
            channel: field("channel", &mapping.channel, CHANNEL, false)?,
        };
        // The reporter's columns are read for nothing else, so that no other field's value
        // (which may be echoed in an error, or shown) is the reporter's.
        let others = [
            ("time", columns.time.clone()),
            (
                "location",
                columns.location.map(Location::columns).unwrap_or_default(),
            ),
            ("category", columns.category.clone()),
            ("title", columns.title.clone()),
            ("description", columns.description.clone()),
            ("people", columns.people.clone()),
            ("channel", columns.channel.clone()),
        ];
        for &column in &columns.reporter {
            if let Some((other, _)) = others.iter().find(|(_, c)| c.contains(&column)) {
                return Err(Fault::new(
                    &header[column],
                    format!(
                        "is both the reporter and the {other} column: name another {other} \
                         column in the mapping"
                    ),
                ));
            }
        }
        Ok(columns)
    }

    /// One report from a row (`position` when it comes from elsewhere).
    pub(super) fn report(
        &self,
        header: &[String],
        row: &[String],
        position: Option<LatLon>,
        origin: String,
    ) -> Result<NewReport, Fault> {
        let value = |i: usize| row.get(i).map(|v| v.trim()).filter(|v| !v.is_empty());
        let first = |columns: &[usize]| columns.iter().find_map(|&i| value(i).map(|v| (i, v)));
        let missing = |columns: &[usize]| {
            let names: Vec<&str> = columns.iter().map(|&i| header[i].as_str()).collect();
            Fault::new(names.join(" or "), "is empty")
        };
        let (column, text) = first(&self.time).ok_or_else(|| missing(&self.time))?;
        let time = parse_time(text, is_utc_column(&header[column]))
            .map_err(|reason| Fault::new(&header[column], format!("{text:?} {reason}")))?;
        let position = match (position, self.location) {
            (Some(position), _) => position,
            (None, Some(Location::Split { lat, lon })) => {
                let degrees = |column: usize, limit: f64| {
                    let text = value(column).ok_or_else(|| missing(&[column]))?;
                    parse_degrees(text, limit).map_err(|reason| Fault::new(&header[column], reason))
                };
                LatLon {
                    lat_deg: degrees(lat, 90.0)?,
                    lon_deg: degrees(lon, 180.0)?,
                }
            }
            (None, Some(Location::Geopoint(column))) => {
                let text = value(column).ok_or_else(|| missing(&[column]))?;
                parse_geopoint(text).map_err(|reason| Fault::new(&header[column], reason))?
            }
            (None, None) => return Err(Fault::new("location", "no position")),
        };
        let (column, text) = first(&self.category).ok_or_else(|| missing(&self.category))?;
        let category = match self.format {
            ReportFormat::Ushahidi => text
                .split(',')
                .map(snake_case)
                .filter(|c| !c.is_empty())
                .collect::<Vec<_>>()
                .join(","),
            _ => snake_case(text),
        };
        if category.is_empty() {
            let reason = format!("{text:?} has no letters or digits");
            return Err(Fault::new(&header[column], reason));
        }
        let people = match first(&self.people) {
            None => None,
            Some((column, text)) => Some(text.parse::<u32>().map_err(|_| {
                Fault::new(&header[column], format!("{text:?} is not a whole number"))
            })?),
        };
        let description: Vec<&str> = [first(&self.title), first(&self.description)]
            .into_iter()
            .flatten()
            .map(|(_, text)| text)
            .collect();
        let reporter: Vec<&str> = self.reporter.iter().filter_map(|&i| value(i)).collect();
        Ok(NewReport {
            time,
            position,
            category,
            description: description.join("\n"),
            reporter: reporter.join(", "),
            channel: first(&self.channel)
                .map_or(self.format.name(), |(_, c)| c)
                .to_owned(),
            people,
            origin,
        })
    }
}

/// The columns for one field: the one the mapping names, or those found of `candidates` (in
/// their order). A field that is `required` must have one.
fn resolve_field(
    header: &[String],
    style: &Style,
    field: &str,
    named: Option<&str>,
    candidates: &[&str],
    required: bool,
) -> Result<Vec<usize>, Fault> {
    if let Some(name) = named {
        return match find_column(header, style, field, name)? {
            Some(column) => Ok(vec![column]),
            None => Err(Fault::new(
                field,
                format!("no column {name:?} (as the mapping names it)"),
            )),
        };
    }
    let mut found = Vec::new();
    for candidate in candidates {
        if let Some(column) = find_column(header, style, field, candidate)?
            && !found.contains(&column)
        {
            found.push(column);
        }
    }
    if required && found.is_empty() {
        let names = candidates.join(", ");
        return Err(Fault::new(
            field,
            format!("no column named any of {names}: name it in the mapping"),
        ));
    }
    Ok(found)
}

/// The column called `name`: by its whole header (exactly, then ignoring ASCII case), else by
/// the last part of its group path; several by the last part are refused.
fn find_column(
    header: &[String],
    style: &Style,
    field: &str,
    name: &str,
) -> Result<Option<usize>, Fault> {
    let name = name.trim();
    if let Some(column) = header.iter().position(|h| h == name) {
        return Ok(Some(column));
    }
    let matching = |same: &dyn Fn(&str) -> bool| -> Vec<usize> {
        (0..header.len()).filter(|&i| same(&header[i])).collect()
    };
    let whole = matching(&|h| h.eq_ignore_ascii_case(name));
    let found = if whole.is_empty() {
        matching(&|h| {
            h.rsplit(style.separators)
                .next()
                .is_some_and(|last| last.eq_ignore_ascii_case(name))
        })
    } else {
        whole
    };
    match found.as_slice() {
        [] => Ok(None),
        [column] => Ok(Some(*column)),
        several => {
            let names: Vec<&str> = several.iter().map(|&i| header[i].as_str()).collect();
            Err(Fault::new(
                field,
                format!(
                    "{name:?} is several columns ({}): name one whole in the mapping",
                    names.join(", ")
                ),
            ))
        }
    }
}

/// A geopoint found by its latitude and longitude columns.
#[derive(Debug, PartialEq)]
pub(super) struct Geopoint {
    /// As the mapping names it: with its group path (`group_incident/location`,
    /// `incident-location`) or Ushahidi's label (`Location`).
    name: String,
    lat: usize,
    lon: usize,
}

/// The geopoints in a header, by the companion columns `format` writes.
pub(super) fn geopoints(header: &[String], format: ReportFormat) -> Vec<Geopoint> {
    let exact = |name: &str| header.iter().position(|h| h == name);
    let mut found = Vec::new();
    for (lat, column) in header.iter().enumerate() {
        let (name, lon_column) = match format {
            ReportFormat::Kobo => {
                // `group/_name_latitude` beside `group/_name_longitude`; the group is `group/`.
                let (group, last) = column
                    .rsplit_once('/')
                    .map_or(("", column.as_str()), |(g, l)| (&column[..g.len() + 1], l));
                let Some(name) = last
                    .strip_prefix('_')
                    .and_then(|l| l.strip_suffix("_latitude"))
                    .filter(|n| !n.is_empty())
                else {
                    continue;
                };
                (
                    format!("{group}{name}"),
                    format!("{group}_{name}_longitude"),
                )
            }
            ReportFormat::Odk => match column.strip_suffix("-Latitude") {
                Some(base) if !base.is_empty() => (base.to_owned(), format!("{base}-Longitude")),
                _ => continue,
            },
            ReportFormat::Ushahidi => match column.strip_suffix(".lat") {
                Some(base) if !base.is_empty() => (base.to_owned(), format!("{base}.lon")),
                _ => continue,
            },
            ReportFormat::Vigil => return found,
        };
        if let Some(lon) = exact(&lon_column) {
            found.push(Geopoint { name, lat, lon });
        }
    }
    found
}

/// Where the position is: the geopoint the mapping names, or the header's only one.
fn resolve_location(
    header: &[String],
    style: &Style,
    named: Option<&str>,
) -> Result<Location, Fault> {
    let points = geopoints(header, style.format);
    let companions = match style.format {
        ReportFormat::Kobo => "_<name>_latitude and _<name>_longitude",
        ReportFormat::Odk => "<name>-Latitude and <name>-Longitude",
        _ => "<name>.lat and <name>.lon",
    };
    let split = |p: &Geopoint| Location::Split {
        lat: p.lat,
        lon: p.lon,
    };
    let Some(name) = named.map(str::trim) else {
        return match points.as_slice() {
            [point] => Ok(split(point)),
            [] => Err(Fault::new(
                "location",
                format!("no geopoint ({companions} columns): name the location in the mapping"),
            )),
            several => {
                let names: Vec<&str> = several.iter().map(|p| p.name.as_str()).collect();
                Err(Fault::new(
                    "location",
                    format!(
                        "several geopoints ({}): name one in the mapping",
                        names.join(", ")
                    ),
                ))
            }
        };
    };
    let same = |p: &&Geopoint| {
        p.name.eq_ignore_ascii_case(name)
            || p.name
                .rsplit(style.separators)
                .next()
                .is_some_and(|last| last.eq_ignore_ascii_case(name))
    };
    let named_points: Vec<&Geopoint> = points.iter().filter(same).collect();
    match named_points.as_slice() {
        [point] => Ok(split(point)),
        [] if style.format == ReportFormat::Kobo => {
            match find_column(header, style, "location", name)? {
                Some(column) => Ok(Location::Geopoint(column)),
                None => Err(Fault::new(
                    "location",
                    format!(
                        "no geopoint {name:?}: no {companions} columns, and no column {name:?}"
                    ),
                )),
            }
        }
        [] => Err(Fault::new(
            "location",
            format!("no geopoint {name:?} ({companions} columns)"),
        )),
        several => {
            let names: Vec<&str> = several.iter().map(|p| p.name.as_str()).collect();
            Err(Fault::new(
                "location",
                format!(
                    "{name:?} is several geopoints ({}): name one whole in the mapping",
                    names.join(", ")
                ),
            ))
        }
    }
}

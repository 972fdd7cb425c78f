//! The rules themselves: each looks at the tracks, the world (sensor nodes, drones), the sites
//! and the coverage at one moment and reports the conditions that hold as [`Finding`]s; the
//! [`AlertBook`] decides what becomes an alert. Everything is measured in the protection's
//! local plane, in metres.

use super::LatLon;
use super::alerts::{AlertBook, AlertKey, Cause, Finding, RuleKind, Subject};
use super::history::TrackHistory;
use super::rules::{NightMethod, RulesConfig};
use super::sites::{AreaKind, PlaneShape, RestrictedArea, Site, enu_of, latlon_of};
use vigil_core::geodesy::LocalFrame;
use vigil_core::time::TimeUs;
use vigil_fusion::TrackView;
use vigil_world::{ClassHint, Health, World};

/// A track in the plane.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PlaneTrack {
    pub id: u64,
    pub pos_en_m: [f64; 2],
    pub vel_en_mps: [f64; 2],
}

/// The tracks the rules consider: recent and of the configured classes.
pub fn plane_tracks(
    frame: &LocalFrame,
    tracks: &[TrackView],
    rules: &RulesConfig,
    now: TimeUs,
) -> Vec<PlaneTrack> {
    tracks
        .iter()
        .filter(|t| {
            let class = match t.class {
                ClassHint::Person => "person",
                ClassHint::Vehicle => "vehicle",
                ClassHint::Animal => "animal",
                ClassHint::Unknown => "unknown",
            };
            rules.tracks.classes.iter().any(|c| c == class)
                && now.since(t.updated).as_secs_f64() <= rules.tracks.max_age_s
                && t.lat_deg.is_finite()
                && t.lon_deg.is_finite()
        })
        .map(|t| PlaneTrack {
            id: t.id,
            pos_en_m: enu_of(
                frame,
                LatLon {
                    lat_deg: t.lat_deg,
                    lon_deg: t.lon_deg,
                },
            ),
            vel_en_mps: t.vel_en_mps,
        })
        .collect()
}

/// What the rules see at one moment.
pub struct Scene<'a> {
    pub rules: &'a RulesConfig,
    pub frame: &'a LocalFrame,
    pub sites: &'a [Site],
    pub shapes: &'a [PlaneShape],
    pub areas: &'a [RestrictedArea],
    pub area_shapes: &'a [PlaneShape],
    pub tracks: &'a [PlaneTrack],
    /// What the rules remember of each track, this evaluation's tracks included: where it was
    /// before, where it came from.
    pub history: &'a TrackHistory,
    pub world: &'a World,
    pub now: TimeUs,
    pub night: bool,
    /// When each site was last observed (`None`: never since the start).
    pub site_observed: &'a [Option<TimeUs>],
    pub started: TimeUs,
}

impl Scene<'_> {
    fn latlon(&self, p: [f64; 2]) -> LatLon {
        latlon_of(self.frame, p)
    }

    fn site_label(&self, site: &Site) -> String {
        match site.population {
            Some(people) => format!("{} ({}, {people} people)", site.name, site.category.label()),
            None => format!("{} ({})", site.name, site.category.label()),
        }
    }

    /// Whether the track rules watch this track: from outside every place, not a resident
    /// going about its life nor one whose origin is not known yet (see `history.rs`).
    fn watched(&self, id: u64) -> bool {
        self.history.is_from_outside(id)
    }

    /// The nearest site within `max_m` of a point, with its distance.
    fn nearest_site(&self, p: [f64; 2], max_m: f64) -> Option<(usize, f64)> {
        self.shapes
            .iter()
            .enumerate()
            .map(|(i, s)| (i, s.distance_m(p)))
            .filter(|(_, d)| *d <= max_m)
            .min_by(|a, b| a.1.total_cmp(&b.1))
    }
}

/// Every rule's findings at this moment.
pub fn evaluate(scene: &Scene, book: &mut AlertBook) -> Vec<Finding> {
    let mut findings = Vec::new();
    let rules = scene.rules;
    if rules.buffer_intrusion.enabled {
        buffer_intrusion(scene, book, &mut findings);
    }
    if rules.approach.enabled {
        approach(scene, &mut findings);
    }
    if rules.gathering.enabled {
        gathering(scene, book, &mut findings);
    }
    if rules.tripwire.enabled {
        tripwire(scene, book, &mut findings);
    }
    if rules.night_activity.enabled && scene.night {
        night_activity(scene, &mut findings);
    }
    if rules.unobserved.enabled {
        unobserved(scene, &mut findings);
    }
    if rules.sensor_health.enabled {
        sensor_health(scene, &mut findings);
    }
    if rules.drone_cover.enabled {
        drone_cover(scene, &mut findings);
    }
    if rules.restricted.enabled {
        restricted(scene, &mut findings);
    }
    findings
}

fn cause_of(tracks: &[u64]) -> Cause {
    let mut tracks = tracks.to_vec();
    tracks.sort_unstable();
    tracks.dedup();
    Cause {
        tracks,
        ..Cause::default()
    }
}

fn track_list(ids: &[u64]) -> String {
    let shown: Vec<String> = ids.iter().take(5).map(|id| id.to_string()).collect();
    let more = if ids.len() > 5 { ", ..." } else { "" };
    format!(
        "track{} {}{more}",
        if ids.len() == 1 { "" } else { "s" },
        shown.join(", ")
    )
}

/// Each track from outside every place (see `history.rs`) inside a buffer has entered it,
/// seen crossing the edge or not; it joins the intrusion alert of one site only: the one whose buffer it is deepest in, so that a track
/// near several places raises one alert, not one per place.
fn buffer_intrusion(scene: &Scene, book: &AlertBook, out: &mut Vec<Finding>) {
    let rule = &scene.rules.buffer_intrusion;
    let held = |index: usize| -> &[u64] {
        let key = AlertKey {
            rule: RuleKind::BufferIntrusion,
            subject: Subject::Site(scene.sites[index].id),
        };
        match book.alert_of(&key) {
            Some(alert) if alert.active => &alert.cause.tracks,
            _ => &[],
        }
    };
    // Per site: (track, distance from the place, position).
    let mut inside: Vec<Vec<(u64, f64, [f64; 2])>> = vec![Vec::new(); scene.sites.len()];
    for track in scene.tracks {
        let deepest = scene
            .sites
            .iter()
            .zip(scene.shapes)
            .enumerate()
            .filter_map(|(index, (site, shape))| {
                let d = shape.distance_m(track.pos_en_m);
                let enters = d <= site.buffer_m - rule.enter_margin_m && scene.watched(track.id);
                let stays =
                    held(index).contains(&track.id) && d <= site.buffer_m + rule.exit_margin_m;
                (enters || stays).then_some((index, d, (site.buffer_m - d) / site.buffer_m))
            })
            .max_by(|a, b| a.2.total_cmp(&b.2));
        if let Some((index, d, _)) = deepest {
            inside[index].push((track.id, d, track.pos_en_m));
        }
    }
    for (index, mut inside) in inside.into_iter().enumerate() {
        if inside.is_empty() {
            continue;
        }
        let site = &scene.sites[index];
        inside.sort_by(|a, b| a.1.total_cmp(&b.1));
        let ids: Vec<u64> = inside.iter().map(|t| t.0).collect();
        let mut severity = rule.severity;
        if site.sensitive {
            severity = severity.max(rule.sensitive_severity);
        }
        if scene.night {
            severity = severity.max(rule.night_severity);
        }
        let group = largest_group(inside.iter().map(|t| t.2), rule.group_radius_m);
        if group >= rule.group_tracks {
            severity = severity.max(rule.group_severity);
        }
        let nearest_m = inside[0].1;
        let where_ = if nearest_m <= 0.0 {
            "inside the place".to_owned()
        } else {
            format!("{nearest_m:.0} m from it")
        };
        let together = if group >= rule.group_tracks {
            format!(", {group} together")
        } else {
            String::new()
        };
        out.push(Finding {
            key: AlertKey {
                rule: RuleKind::BufferIntrusion,
                subject: Subject::Site(site.id),
            },
            severity,
            site: Some(index as u32),
            cause: cause_of(&ids),
            position: scene.latlon(inside[0].2),
            text: format!(
                "{} from outside entered the {:.0} m buffer of {}{together}, nearest {where_}",
                track_list(&ids),
                site.buffer_m,
                scene.site_label(site)
            ),
        });
    }
}

/// The most points within `radius_m` of one of them.
fn largest_group(points: impl Iterator<Item = [f64; 2]> + Clone, radius_m: f64) -> usize {
    points
        .clone()
        .map(|p| {
            points
                .clone()
                .filter(|q| (p[0] - q[0]).hypot(p[1] - q[1]) <= radius_m)
                .count()
        })
        .max()
        .unwrap_or(0)
}

/// Each track from outside closing on a site is counted for one site only: the one whose
/// buffer it reaches first.
fn approach(scene: &Scene, out: &mut Vec<Finding>) {
    let rule = &scene.rules.approach;
    // Per site: (track, closing speed, time to arrival).
    let mut closing: Vec<Vec<(&PlaneTrack, f64, f64)>> = vec![Vec::new(); scene.sites.len()];
    for track in scene.tracks.iter().filter(|t| scene.watched(t.id)) {
        let mut first: Option<(usize, f64, f64)> = None;
        for (index, (site, shape)) in scene.sites.iter().zip(scene.shapes).enumerate() {
            let d = shape.distance_m(track.pos_en_m);
            let to_edge_m = d - site.buffer_m;
            if to_edge_m <= 0.0 || to_edge_m > rule.max_range_m {
                continue;
            }
            // The rate the distance falls at, over one second of the track's velocity.
            let ahead = [
                track.pos_en_m[0] + track.vel_en_mps[0],
                track.pos_en_m[1] + track.vel_en_mps[1],
            ];
            let closing_mps = d - shape.distance_m(ahead);
            if closing_mps < rule.min_closing_mps {
                continue;
            }
            let arrival_s = to_edge_m / closing_mps;
            if arrival_s <= rule.max_time_to_arrival_s
                && first.is_none_or(|(_, _, best)| arrival_s < best)
            {
                first = Some((index, closing_mps, arrival_s));
            }
        }
        if let Some((index, closing_mps, arrival_s)) = first {
            closing[index].push((track, closing_mps, arrival_s));
        }
    }
    for (index, closing) in closing.into_iter().enumerate() {
        let Some(first) = closing.iter().min_by(|a, b| a.2.total_cmp(&b.2)).copied() else {
            continue;
        };
        let site = &scene.sites[index];
        let ids: Vec<u64> = closing.iter().map(|c| c.0.id).collect();
        out.push(Finding {
            key: AlertKey {
                rule: RuleKind::Approach,
                subject: Subject::Site(site.id),
            },
            severity: rule.severity,
            site: Some(index as u32),
            cause: cause_of(&ids),
            position: scene.latlon(first.0.pos_en_m),
            text: format!(
                "{} from outside closing on {} at {:.1} m/s, at its buffer in {:.0} s",
                track_list(&ids),
                scene.site_label(site),
                first.1,
                first.2
            ),
        });
    }
}

fn gathering(scene: &Scene, book: &mut AlertBook, out: &mut Vec<Finding>) {
    let rule = &scene.rules.gathering;
    let r2 = rule.radius_m * rule.radius_m;
    let near = |a: [f64; 2], b: [f64; 2]| {
        let (dx, dy) = (a[0] - b[0], a[1] - b[1]);
        dx * dx + dy * dy <= r2
    };
    let mut free: Vec<&PlaneTrack> = scene.tracks.iter().collect();
    let mut clusters: Vec<Vec<&PlaneTrack>> = Vec::new();
    loop {
        // The track with the most free neighbours founds the next cluster.
        let best = free
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let n = free.iter().filter(|o| near(o.pos_en_m, t.pos_en_m)).count();
                (i, n)
            })
            .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)));
        let Some((i, n)) = best else { break };
        if n < rule.min_tracks {
            break;
        }
        let centre = free[i].pos_en_m;
        let (members, rest): (Vec<&PlaneTrack>, Vec<&PlaneTrack>) =
            free.into_iter().partition(|t| near(t.pos_en_m, centre));
        clusters.push(members);
        free = rest;
    }
    let active: Vec<(Subject, [f64; 2])> = book
        .alerts()
        .filter(|a| a.rule == RuleKind::Gathering && a.active)
        .map(|a| (a.subject, enu_of(scene.frame, a.position)))
        .collect();
    let mut taken: Vec<Subject> = Vec::new();
    for members in clusters {
        let n = members.len() as f64;
        let centre = [
            members.iter().map(|t| t.pos_en_m[0]).sum::<f64>() / n,
            members.iter().map(|t| t.pos_en_m[1]).sum::<f64>() / n,
        ];
        let subject = active
            .iter()
            .filter(|(s, p)| {
                !taken.contains(s)
                    && (p[0] - centre[0]).hypot(p[1] - centre[1]) <= 2.0 * rule.radius_m
            })
            .map(|(s, _)| *s)
            .next()
            .unwrap_or_else(|| Subject::Place(book.new_place()));
        taken.push(subject);
        // Residents massing where they live (the market, the water point) are not a threat.
        let outsiders = members.iter().filter(|t| scene.watched(t.id)).count();
        if outsiders * 2 < members.len() {
            continue;
        }
        let ids: Vec<u64> = members.iter().map(|t| t.id).collect();
        let site = scene.nearest_site(centre, rule.near_site_m);
        let at_edge = scene
            .sites
            .iter()
            .zip(scene.shapes)
            .any(|(s, shape)| shape.distance_m(centre) - s.buffer_m <= rule.near_buffer_m);
        let severity = if at_edge {
            rule.severity.max(rule.near_severity)
        } else {
            rule.severity
        };
        let where_ = match site {
            Some((i, d)) if d <= 0.0 => format!(" in {}", scene.site_label(&scene.sites[i])),
            Some((i, d)) => format!(" {d:.0} m from {}", scene.site_label(&scene.sites[i])),
            None => String::new(),
        };
        out.push(Finding {
            key: AlertKey {
                rule: RuleKind::Gathering,
                subject,
            },
            severity,
            site: site.map(|(i, _)| i as u32),
            cause: cause_of(&ids),
            position: scene.latlon(centre),
            text: format!(
                "gathering of {} tracks within {:.0} m{where_}: {}",
                ids.len(),
                rule.radius_m,
                track_list(&ids)
            ),
        });
    }
}

/// Whether segments p1-p2 and q1-q2 cross (touching counts).
pub(crate) fn segments_cross(p1: [f64; 2], p2: [f64; 2], q1: [f64; 2], q2: [f64; 2]) -> bool {
    let cross = |o: [f64; 2], a: [f64; 2], b: [f64; 2]| {
        (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])
    };
    let d1 = cross(q1, q2, p1);
    let d2 = cross(q1, q2, p2);
    let d3 = cross(p1, p2, q1);
    let d4 = cross(p1, p2, q2);
    (d1 * d2 <= 0.0) && (d3 * d4 <= 0.0) && !(d1 == 0.0 && d2 == 0.0)
}

/// The ends of a tripwire, from its sensor nodes' reported positions.
pub(crate) fn tripwire_ends(world: &World, from: u8, to: u8) -> Option<(LatLon, LatLon)> {
    let position = |sysid: u8| {
        world
            .sensors
            .values()
            .filter(|s| s.sysid == sysid)
            .find_map(|s| s.position)
            .map(|p| LatLon {
                lat_deg: p.lat_deg,
                lon_deg: p.lon_deg,
            })
    };
    Some((position(from)?, position(to)?))
}

fn tripwire(scene: &Scene, book: &AlertBook, out: &mut Vec<Finding>) {
    let rule = &scene.rules.tripwire;
    for (index, line) in rule.lines.iter().enumerate() {
        let Some((a, b)) = tripwire_ends(scene.world, line.from_sensor, line.to_sensor) else {
            continue;
        };
        let (a, b) = (enu_of(scene.frame, a), enu_of(scene.frame, b));
        let crossed: Vec<&PlaneTrack> = scene
            .tracks
            .iter()
            .filter(|t| {
                scene.watched(t.id)
                    && scene
                        .history
                        .previous(t.id)
                        .is_some_and(|before| segments_cross(before, t.pos_en_m, a, b))
            })
            .collect();
        let Some(last) = crossed.first() else {
            continue;
        };
        let key = AlertKey {
            rule: RuleKind::Tripwire,
            subject: Subject::Tripwire(index as u32),
        };
        // Crossings while the alert is active add to its cause.
        let mut ids: Vec<u64> = match book.alert_of(&key) {
            Some(alert) if alert.active => alert.cause.tracks.clone(),
            _ => Vec::new(),
        };
        ids.extend(crossed.iter().map(|t| t.id));
        let heading_deg = last.vel_en_mps[0]
            .atan2(last.vel_en_mps[1])
            .to_degrees()
            .rem_euclid(360.0);
        let site = scene.nearest_site(last.pos_en_m, f64::INFINITY);
        out.push(Finding {
            key,
            severity: rule.severity,
            site: site.map(|(i, _)| i as u32),
            cause: cause_of(&ids),
            position: scene.latlon(last.pos_en_m),
            text: format!(
                "{} crossed the tripwire {} (sensors {}-{}) heading {heading_deg:.0}°",
                track_list(&crossed.iter().map(|t| t.id).collect::<Vec<_>>()),
                line.name,
                line.from_sensor,
                line.to_sensor
            ),
        });
    }
}

/// Tracks from outside moving on foot near a site at night, each counted for its nearest site.
fn night_activity(scene: &Scene, out: &mut Vec<Finding>) {
    let rule = &scene.rules.night_activity;
    let mut near: Vec<Vec<(&PlaneTrack, f64)>> = vec![Vec::new(); scene.sites.len()];
    let on_foot = |t: &&PlaneTrack| t.vel_en_mps[0].hypot(t.vel_en_mps[1]) <= rule.max_speed_mps;
    for track in scene
        .tracks
        .iter()
        .filter(|t| scene.watched(t.id))
        .filter(on_foot)
    {
        if let Some((index, d)) = scene.nearest_site(track.pos_en_m, rule.range_m) {
            near[index].push((track, d));
        }
    }
    for (index, mut near) in near.into_iter().enumerate() {
        if near.is_empty() {
            continue;
        }
        let site = &scene.sites[index];
        near.sort_by(|a, b| a.1.total_cmp(&b.1));
        let ids: Vec<u64> = near.iter().map(|t| t.0.id).collect();
        out.push(Finding {
            key: AlertKey {
                rule: RuleKind::NightActivity,
                subject: Subject::Site(site.id),
            },
            severity: rule.severity,
            site: Some(index as u32),
            cause: cause_of(&ids),
            position: scene.latlon(near[0].0.pos_en_m),
            text: format!(
                "{} from outside moving at night within {:.0} m of {}",
                track_list(&ids),
                rule.range_m,
                scene.site_label(site)
            ),
        });
    }
}

fn unobserved(scene: &Scene, out: &mut Vec<Finding>) {
    let rule = &scene.rules.unobserved;
    for (index, site) in scene.sites.iter().enumerate() {
        let since = scene
            .site_observed
            .get(index)
            .copied()
            .flatten()
            .unwrap_or(scene.started);
        let unobserved_s = scene.now.since(since).as_secs_f64();
        if unobserved_s <= rule.max_unobserved_s {
            continue;
        }
        out.push(Finding {
            key: AlertKey {
                rule: RuleKind::Unobserved,
                subject: Subject::Site(site.id),
            },
            severity: rule.severity,
            site: Some(index as u32),
            cause: Cause::default(),
            position: site.centre,
            text: format!(
                "{} not observed by any camera or sensor for {:.0} min",
                scene.site_label(site),
                unobserved_s / 60.0
            ),
        });
    }
}

fn sensor_health(scene: &Scene, out: &mut Vec<Finding>) {
    let rule = &scene.rules.sensor_health;
    for sensor in scene.world.sensors.values() {
        let Some(position) = sensor.position else {
            continue;
        };
        let p = enu_of(
            scene.frame,
            LatLon {
                lat_deg: position.lat_deg,
                lon_deg: position.lon_deg,
            },
        );
        let Some((site_index, distance_m)) = scene.nearest_site(p, rule.near_site_m) else {
            continue;
        };
        let silent_s = scene.world.time.since(sensor.last_heard).as_secs_f64();
        let silent = silent_s >= rule.silent_s || sensor.health == Health::Lost;
        let (severity, what) = if sensor.flags.tamper {
            (rule.tamper_severity, "reports TAMPERING".to_owned())
        } else if silent {
            (rule.severity, format!("silent for {silent_s:.0} s"))
        } else {
            continue;
        };
        let site = &scene.sites[site_index];
        out.push(Finding {
            key: AlertKey {
                rule: RuleKind::SensorHealth,
                subject: Subject::Sensor(sensor.sysid, sensor.compid),
            },
            severity,
            site: Some(site_index as u32),
            cause: Cause {
                sensor: Some((sensor.sysid, sensor.compid)),
                ..Cause::default()
            },
            position: LatLon {
                lat_deg: position.lat_deg,
                lon_deg: position.lon_deg,
            },
            text: format!(
                "{} sensor {}/{} {distance_m:.0} m from {} {what}",
                sensor.kind.label(),
                sensor.sysid,
                sensor.compid,
                scene.site_label(site)
            ),
        });
    }
}

fn drone_cover(scene: &Scene, out: &mut Vec<Finding>) {
    let rule = &scene.rules.drone_cover;
    for vehicle in scene.world.vehicles.values() {
        let Some(position) = vehicle.position else {
            continue;
        };
        let flying = vehicle.armed && position.alt_rel_home_m > 2.0;
        if !flying {
            continue;
        }
        // Battery and contact first.
        let battery = vehicle.battery.remaining_pct;
        let silent_s = scene.world.time.since(vehicle.last_heartbeat).as_secs_f64();
        let what = if silent_s >= rule.silent_s || vehicle.health == Health::Lost {
            format!("OUT OF CONTACT for {silent_s:.0} s")
        } else if let Some(pct) = battery.filter(|pct| *pct < rule.low_battery_pct) {
            format!("battery LOW at {pct:.0}%")
        } else {
            continue;
        };
        let p = enu_of(
            scene.frame,
            LatLon {
                lat_deg: position.lat_deg,
                lon_deg: position.lon_deg,
            },
        );
        let footprint = vehicle.footprint.as_deref();
        let covered = scene
            .sites
            .iter()
            .zip(scene.shapes)
            .enumerate()
            .map(|(i, (site, shape))| {
                let in_view = footprint
                    .as_ref()
                    .is_some_and(|f| f.contains(site.centre.lat_deg, site.centre.lon_deg));
                let d = if in_view {
                    0.0
                } else {
                    shape.distance_m(p) - site.buffer_m
                };
                (i, d)
            })
            .filter(|(_, d)| *d <= rule.cover_radius_m)
            .min_by(|a, b| a.1.total_cmp(&b.1));
        let Some((site_index, _)) = covered else {
            continue;
        };
        let site = &scene.sites[site_index];
        out.push(Finding {
            key: AlertKey {
                rule: RuleKind::DroneCover,
                subject: Subject::Drone(vehicle.sysid),
            },
            severity: rule.severity,
            site: Some(site_index as u32),
            cause: Cause {
                drone: Some(vehicle.sysid),
                ..Cause::default()
            },
            position: LatLon {
                lat_deg: position.lat_deg,
                lon_deg: position.lon_deg,
            },
            text: format!(
                "drone {} covering {} {what}",
                vehicle.sysid,
                scene.site_label(site)
            ),
        });
    }
}

fn restricted(scene: &Scene, out: &mut Vec<Finding>) {
    let rule = &scene.rules.restricted;
    for (area, shape) in scene.areas.iter().zip(scene.area_shapes) {
        let key = AlertKey {
            rule: RuleKind::Restricted,
            subject: Subject::Area(area.id),
        };
        match area.kind {
            AreaKind::Restricted => {
                let inside: Vec<&PlaneTrack> = scene
                    .tracks
                    .iter()
                    .filter(|t| shape.contains(t.pos_en_m))
                    .collect();
                let Some(first) = inside.first() else {
                    continue;
                };
                let ids: Vec<u64> = inside.iter().map(|t| t.id).collect();
                out.push(Finding {
                    key,
                    severity: rule.severity,
                    site: None,
                    cause: cause_of(&ids),
                    position: scene.latlon(first.pos_en_m),
                    text: format!(
                        "{} inside the restricted area {}",
                        track_list(&ids),
                        area.name
                    ),
                });
            }
            AreaKind::NoFly => {
                for vehicle in scene.world.vehicles.values() {
                    let Some(position) = vehicle.position.filter(|_| vehicle.armed) else {
                        continue;
                    };
                    let at = LatLon {
                        lat_deg: position.lat_deg,
                        lon_deg: position.lon_deg,
                    };
                    if !shape.contains(enu_of(scene.frame, at)) {
                        continue;
                    }
                    out.push(Finding {
                        key,
                        severity: rule.no_fly_severity,
                        site: None,
                        cause: Cause {
                            drone: Some(vehicle.sysid),
                            ..Cause::default()
                        },
                        position: at,
                        text: format!(
                            "drone {} inside the no-fly area {}",
                            vehicle.sysid, area.name
                        ),
                    });
                    break;
                }
            }
        }
    }
}

/// The sun's elevation above the horizon at a place and time, radians (NOAA's low-precision
/// formulas: about 0.01° from 1950 to 2050, ample for deciding night).
pub fn sun_elevation_rad(time: TimeUs, at: LatLon) -> f64 {
    let days = time.as_secs_f64() / 86_400.0 - 10_957.5; // since J2000.0 (2000-01-01 12:00 UTC)
    let mean_lon_deg = (280.460 + 0.985_647_4 * days).rem_euclid(360.0);
    let mean_anomaly = (357.528 + 0.985_600_3 * days)
        .rem_euclid(360.0)
        .to_radians();
    let ecliptic_lon =
        (mean_lon_deg + 1.915 * mean_anomaly.sin() + 0.020 * (2.0 * mean_anomaly).sin())
            .to_radians();
    let obliquity = (23.439 - 0.000_000_4 * days).to_radians();
    let declination = (obliquity.sin() * ecliptic_lon.sin()).asin();
    let right_ascension = (obliquity.cos() * ecliptic_lon.sin()).atan2(ecliptic_lon.cos());
    let gmst_deg = (280.460_618_37 + 360.985_647_366_29 * days).rem_euclid(360.0);
    let hour_angle = (gmst_deg + at.lon_deg).to_radians() - right_ascension;
    let lat = at.lat_deg.to_radians();
    (lat.sin() * declination.sin() + lat.cos() * declination.cos() * hour_angle.cos()).asin()
}

/// Whether it is night at a place by the configured method.
pub fn is_night(rules: &RulesConfig, time: TimeUs, at: LatLon) -> bool {
    let night = &rules.night;
    match night.method {
        NightMethod::Sun => sun_elevation_rad(time, at).to_degrees() < night.sun_below_deg,
        NightMethod::Hours => {
            let hour = (time.as_secs_f64() / 3600.0 + at.lon_deg / 15.0).rem_euclid(24.0);
            if night.from_local_hour <= night.to_local_hour {
                (night.from_local_hour..night.to_local_hour).contains(&hour)
            } else {
                hour >= night.from_local_hour || hour < night.to_local_hour
            }
        }
    }
}

//! The rules themselves: each looks at the tracks, the world (sensor nodes, drones), the sites
//! and the coverage at one moment and reports the conditions that hold as [`Finding`]s; the
//! [`AlertBook`] decides what becomes an alert. Everything is measured in the protection's
//! local plane, in metres.

mod tracks;

pub use tracks::arrival_text;
pub(crate) use tracks::tripwire_ends;

use super::LatLon;
use super::alerts::{AlertBook, AlertKey, Cause, Finding, RuleKind, Subject};
use super::history::TrackHistory;
use super::predict::PlanePrediction;
use super::rules::{NightMethod, RulesConfig};
use super::sites::{AreaKind, PlaneShape, RestrictedArea, Site, enu_of, latlon_of};
use vigil_core::geodesy::LocalFrame;
use vigil_core::time::TimeUs;
use vigil_fusion::TrackView;
use vigil_world::{ClassHint, Health, SensorKind, SensorNode, World};

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
    /// Where each mover from outside is heading (see `predict.rs`).
    pub predictions: &'a [PlanePrediction],
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
    use tracks::{approach, buffer_intrusion, gathering, night_activity, tripwire};
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
    if rules.sensor_activity.enabled && scene.night {
        sensor_activity(scene, &mut findings);
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
                "{}: a way in not watched by any camera or sensor for {:.0} min",
                scene.site_label(site),
                unobserved_s / 60.0
            ),
        });
    }
}

/// At night: ground sensors away from every home, stirred `min_detections` times within the
/// window (mostly not by animals, by what they say), with no track near their zone. One alert
/// per site (the nearest), about the busiest of its sensors, naming the others.
fn sensor_activity(scene: &Scene, out: &mut Vec<Finding>) {
    let rule = &scene.rules.sensor_activity;
    let window = std::time::Duration::from_secs_f64(rule.window_s);
    let home_margin_m = scene.rules.residents.home_margin_m;
    // Per site: (sensor, detections, distance outside the buffer, position).
    let mut stirred: Vec<Vec<(&SensorNode, usize, f64, LatLon)>> =
        vec![Vec::new(); scene.sites.len()];
    for sensor in scene.world.sensors.values() {
        let presence = matches!(
            sensor.kind,
            SensorKind::Seismic | SensorKind::Pir | SensorKind::Acoustic
        );
        if !presence || sensor.health == Health::Lost || sensor.flags.sensor_fault {
            continue;
        }
        let (Some(position), Some(radius_m)) = (sensor.position, sensor.sensing_radius_m) else {
            continue;
        };
        let (detections, animals) = sensor.detections_within(scene.world.time, window);
        if detections < rule.min_detections || 2 * animals > detections {
            continue;
        }
        let at = LatLon {
            lat_deg: position.lat_deg,
            lon_deg: position.lon_deg,
        };
        let p = enu_of(scene.frame, at);
        let at_home = scene.sites.iter().zip(scene.shapes).any(|(site, shape)| {
            site.category.is_lived_in() && shape.distance_m(p) <= home_margin_m
        });
        let explained = scene.tracks.iter().any(|t| {
            let d = (t.pos_en_m[0] - p[0]).hypot(t.pos_en_m[1] - p[1]);
            d <= radius_m + rule.explained_m
        });
        if at_home || explained {
            continue;
        }
        let nearest = scene
            .sites
            .iter()
            .zip(scene.shapes)
            .enumerate()
            .map(|(index, (site, shape))| (index, shape.distance_m(p) - site.buffer_m))
            .filter(|(_, outside_m)| *outside_m <= rule.near_buffer_m)
            .min_by(|a, b| a.1.total_cmp(&b.1));
        if let Some((index, outside_m)) = nearest {
            stirred[index].push((sensor, detections, outside_m, at));
        }
    }
    for (index, mut stirred) in stirred.into_iter().enumerate() {
        stirred.sort_by(|a, b| b.1.cmp(&a.1).then(a.2.total_cmp(&b.2)));
        let Some(&(busiest, detections, outside_m, at)) = stirred.first() else {
            continue;
        };
        let site = &scene.sites[index];
        let others: Vec<String> = stirred[1..]
            .iter()
            .map(|(s, _, _, _)| format!("{}/{}", s.sysid, s.compid))
            .collect();
        let also = if others.is_empty() {
            String::new()
        } else {
            format!(" (and {})", others.join(", "))
        };
        let where_ = if outside_m > 0.0 {
            format!("{outside_m:.0} m outside the buffer of")
        } else {
            "in the buffer of".to_owned()
        };
        out.push(Finding {
            key: AlertKey {
                rule: RuleKind::SensorActivity,
                subject: Subject::Site(site.id),
            },
            severity: rule.severity,
            site: Some(index as u32),
            cause: Cause {
                sensor: Some((busiest.sysid, busiest.compid)),
                ..Cause::default()
            },
            position: at,
            text: format!(
                "movement at night: {} sensor {}/{}{also} {where_} {}, {detections} detections in {:.0} s, nothing tracked there",
                busiest.kind.label(),
                busiest.sysid,
                busiest.compid,
                scene.site_label(site),
                rule.window_s
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
        } else if sensor.flags.sensor_fault {
            // Heard, but its sensing element failed: it sees nothing from now on.
            (
                rule.severity,
                "reports a FAULT: it detects nothing".to_owned(),
            )
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
                    cause: tracks::cause_of(&ids),
                    position: scene.latlon(first.pos_en_m),
                    text: format!(
                        "{} inside the restricted area {}",
                        tracks::track_list(&ids),
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

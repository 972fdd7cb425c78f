//! The rules about movers on the ground (tracks): intrusion into a buffer, an approach, a
//! gathering, a tripwire crossing, movement near a place at night. Each watches only movers
//! from outside every protected place (see `history.rs`), and counts each mover for one place.

use super::{PlaneTrack, Scene};
use crate::LatLon;
use crate::alerts::{AlertBook, AlertKey, Cause, Finding, RuleKind, Subject};
use crate::predict::PlanePrediction;
use crate::sites::enu_of;
use vigil_world::World;

pub(super) fn cause_of(tracks: &[u64]) -> Cause {
    let mut tracks = tracks.to_vec();
    tracks.sort_unstable();
    tracks.dedup();
    Cause {
        tracks,
        ..Cause::default()
    }
}

pub(super) fn track_list(ids: &[u64]) -> String {
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
pub(super) fn buffer_intrusion(scene: &Scene, book: &AlertBook, out: &mut Vec<Finding>) {
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
                let passing = track.vel_en_mps[0].hypot(track.vel_en_mps[1]) > rule.traffic_mps;
                let enters =
                    d <= site.buffer_m - rule.enter_margin_m && scene.watched(track.id) && !passing;
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
        // Someone first seen inside a buffer, traced back to no place, may be a resident who
        // turned where the trace did not: the place, the hour and the group raise the alert
        // of one seen coming from outside, not of that one alone.
        let seen = ids.iter().any(|&id| scene.history.seen_from_outside(id));
        if site.sensitive && seen {
            severity = severity.max(rule.sensitive_severity);
        }
        if scene.night && seen {
            severity = severity.max(rule.night_severity);
        }
        // A group, likewise: residents walk home from the market in threes and fives.
        let group = largest_group(inside.iter().map(|t| t.2), rule.group_radius_m);
        if group >= rule.group_tracks && seen {
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
        let traced = if seen {
            ""
        } else {
            " (first seen inside a buffer: traced back to no place)"
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
                "{} from outside entered the {:.0} m buffer of {}{together}, nearest \
                 {where_}{traced}",
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

/// Each mover from outside heading for a site (its predicted path, along the ways of the
/// area, reaches the site's buffer in time) is counted for that site only: the first buffer on
/// its way. Movers walking together (within `buffer_intrusion.group_radius_m` of one that
/// arrives sooner) are counted for that one's site: one group, one approach; and once one of
/// a group is in a buffer, the intrusion speaks for the group — but for a place within that
/// buffer (a village's school, its well) the group heads for: where it is bound next is what
/// the place's people need to hear.
pub(super) fn approach(scene: &Scene, out: &mut Vec<Finding>) {
    let rule = &scene.rules.approach;
    let group_m = scene.rules.buffer_intrusion.group_radius_m;
    let near = |a: [f64; 2], b: [f64; 2]| (a[0] - b[0]).hypot(a[1] - b[1]) <= group_m;
    // Movers from outside in a buffer: where, and in which sites' buffers.
    let entered: Vec<([f64; 2], Vec<usize>)> = (scene.tracks.iter())
        .filter(|t| scene.watched(t.id))
        .map(|t| {
            let sites = (scene.sites.iter().zip(scene.shapes).enumerate())
                .filter(|(_, (site, shape))| shape.distance_m(t.pos_en_m) <= site.buffer_m)
                .map(|(index, _)| index)
                .collect::<Vec<_>>();
            (t.pos_en_m, sites)
        })
        .filter(|(_, sites)| !sites.is_empty())
        .collect();
    let mut heading: Vec<Vec<&PlanePrediction>> = vec![Vec::new(); scene.sites.len()];
    // Soonest first (as the predictions come), each joining the site of a sooner one near it.
    let mut placed: Vec<([f64; 2], usize)> = Vec::new();
    for p in scene.predictions {
        if !(scene.watched(p.track)
            && p.speed_mps >= rule.min_closing_mps
            && p.speed_mps <= rule.max_closing_mps
            && p.arrival_s <= rule.max_time_to_arrival_s
            && p.distance_m <= rule.max_range_m)
        {
            continue;
        }
        let at = p.path_en_m[0];
        // A place within the buffer a group is in is news; the next village along is not.
        let within = |outer: usize| {
            let centre = scene.shapes[p.site].centre;
            scene.shapes[outer].distance_m(centre) <= scene.sites[outer].buffer_m
        };
        if (entered.iter()).any(|(q, sites)| {
            near(*q, at) && (sites.contains(&p.site) || !sites.iter().any(|&s| within(s)))
        }) {
            continue;
        }
        let site = placed
            .iter()
            .find(|(q, _)| near(*q, at))
            .map_or(p.site, |(_, site)| *site);
        placed.push((at, site));
        if let Some(list) = heading.get_mut(site) {
            list.push(p);
        }
    }
    for (index, heading) in heading.into_iter().enumerate() {
        let Some(first) = heading
            .iter()
            .min_by(|a, b| a.arrival_s.total_cmp(&b.arrival_s))
        else {
            continue;
        };
        let site = &scene.sites[index];
        let ids: Vec<u64> = heading.iter().map(|p| p.track).collect();
        let along = first
            .way
            .as_ref()
            .map(|w| format!(" along the {w}"))
            .unwrap_or_default();
        out.push(Finding {
            key: AlertKey {
                rule: RuleKind::Approach,
                subject: Subject::Site(site.id),
            },
            severity: rule.severity,
            site: Some(index as u32),
            cause: cause_of(&ids),
            position: scene.latlon(first.path_en_m[0]),
            text: format!(
                "{} from outside heading for {}{along} at {:.1} m/s, at its buffer {}",
                track_list(&ids),
                scene.site_label(site),
                first.speed_mps,
                arrival_text(first.arrival_s, first.earliest_s, first.latest_s)
            ),
        });
    }
}

/// A time of arrival with its earliest and latest, as the operator reads it:
/// "in 4 min (3-6 min)".
pub fn arrival_text(arrival_s: f64, earliest_s: f64, latest_s: f64) -> String {
    format!(
        "in {} ({}-{})",
        minutes(arrival_s),
        minutes(earliest_s),
        minutes(latest_s)
    )
}

/// A time to arrival as the operator reads it: seconds under two minutes, else minutes.
fn minutes(s: f64) -> String {
    if s < 120.0 {
        format!("{s:.0} s")
    } else {
        format!("{:.0} min", s / 60.0)
    }
}

pub(super) fn gathering(scene: &Scene, book: &mut AlertBook, out: &mut Vec<Finding>) {
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
        // Residents massing where they live (the market, the water point) are not a threat;
        // nor is a group walking by.
        let outsiders = members.iter().filter(|t| scene.watched(t.id)).count();
        let mean_vel = [
            members.iter().map(|t| t.vel_en_mps[0]).sum::<f64>() / n,
            members.iter().map(|t| t.vel_en_mps[1]).sum::<f64>() / n,
        ];
        if outsiders * 2 < members.len() || mean_vel[0].hypot(mean_vel[1]) > rule.max_speed_mps {
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
fn segments_cross(p1: [f64; 2], p2: [f64; 2], q1: [f64; 2], q2: [f64; 2]) -> bool {
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

pub(super) fn tripwire(scene: &Scene, book: &AlertBook, out: &mut Vec<Finding>) {
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
pub(super) fn night_activity(scene: &Scene, out: &mut Vec<Finding>) {
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

//! The patrol keeper's cue and follow (`vigil run --patrol --cue`): warnings about movers
//! get a drone at once, which moves on from alert to alert with the movers and is taken back
//! when they are over or lost.

use std::time::Duration;

use vigil_core::geodesy::{Geodetic, distance_m};
use vigil_core::time::TimeUs;
use vigil_protection::dispatch::{GROUP_M, cruise_speed_mps};
use vigil_protection::rules::AlertSeverity;
use vigil_protection::{AlertState, DispatchState, DispatchTarget, LatLon};

use super::{AUTHOR, Keeper, mission_time};
use crate::Snapshot;

/// A drone cued to movement at a sensor moves on to an alert about tracks this near it, m.
const FOLLOW_ON_M: f64 = 1500.0;
/// An alert whose condition was found within this long (mission clock) holds now: the rules
/// run once a second.
const HOLDS_NOW: Duration = Duration::from_secs(3);
/// A drone moved on to another alert counts as cued to it until its dispatch shows, at most
/// this long (mission clock).
const MOVING_FOR: Duration = Duration::from_secs(10);
/// A cued drone whose movers are lost or whose alert is over looks where it is sent (or
/// where they were last seen) this long on station before it is taken back (mission clock):
/// a group walking at 1.5 m/s is still within its camera's reach of its predicted way in.
const LOOK_FOR: Duration = Duration::from_secs(120);
/// A track updated within this long (mission clock) is seen now: movers worth another drone.
const SEEN_NOW: Duration = Duration::from_secs(10);
/// Another drone is cued to the parted movers of one alert at most this often (mission
/// clock): the dispatch it started shows, or was refused, by then.
const PARTED_EVERY: Duration = Duration::from_secs(60);

impl Keeper {
    /// With [`super::KeeperConfig::cue`], what an operator would do with "send a drone" at once:
    /// each new active warning (or critical alert) about movers has a drone sent to it, the
    /// one the dispatcher picks (first there with the battery to stay), which follows the
    /// movers; at most half the drones planned with (at least one) are cued at a time, so
    /// that patrols go on — beyond that only for other movers at a place a cued drone is at
    /// already (the second group of a pincer, whose ways in the patrols were weighed to) —
    /// and an alert someone else sent a drone to, or about movers a drone already follows
    /// (a gathering of the group an intrusion holds), is left to them. A drone
    /// the keeper cued is taken back once its alert is no longer active (or the operator
    /// resolved it) or the movers are lost, once it has looked for them on station for
    /// [`LOOK_FOR`], and the next plan takes it in again; an alert
    /// over and raised again is cued again. A cued drone moves on to the next alert about
    /// the same movers rather than being taken back (see [`Self::follow_on`]); a move the
    /// dispatcher refused (the drone's battery too low to stay) leaves the alert to be cued
    /// afresh, to the drone the dispatcher picks. Each cue
    /// and each taking back is a note in the journal; the dispatches themselves are
    /// journaled as any.
    pub(super) fn cue(&mut self, snapshot: &Snapshot) {
        if !self.config.cue {
            return;
        }
        let protection = &snapshot.protection;
        let now = mission_time(snapshot);
        let names = &snapshot.world.names;
        self.follow_on(snapshot, now);
        let alert_of =
            |id: Option<u64>| id.and_then(|id| protection.alerts.iter().find(|a| a.id == id));
        let mut cued_now = 0;
        // A look counts only while its dispatch is under way and still without its movers.
        self.looking.retain(|id, _| {
            (protection.dispatches.iter()).any(|d| d.id == *id && d.state.is_under_way())
        });
        for dispatch in protection.dispatches.iter() {
            if dispatch.by != AUTHOR || !dispatch.state.is_under_way() {
                continue;
            }
            cued_now += 1;
            let over = alert_of(dispatch.alert)
                .is_none_or(|a| !a.active || a.state == AlertState::Resolved);
            // A follow that ended (the movers lost) leaves the drone orbiting, with why.
            let lost = dispatch.state == DispatchState::Orbiting && dispatch.failure.is_some();
            if !(over || lost) || self.released.contains(&dispatch.id) {
                // Found again (the alert raised again): a later loss looks afresh.
                self.looking.remove(&dispatch.id);
                continue;
            }
            // The movers lost before it got there (an approach is over once nothing sees
            // them) or while it followed: it goes on there and looks for `LOOK_FOR` on
            // station first; the operator's resolution takes it back at once.
            let resolved =
                alert_of(dispatch.alert).is_some_and(|a| a.state == AlertState::Resolved);
            if !resolved {
                if dispatch.state != DispatchState::Orbiting {
                    continue;
                }
                let since = *self.looking.entry(dispatch.id).or_insert(now);
                if now.since(since) < LOOK_FOR {
                    continue;
                }
            }
            self.released.insert(dispatch.id);
            if over && let Some(alert) = dispatch.alert {
                // Raised again later (the movers found again), it is a new event to cue.
                self.cued.remove(&alert);
            }
            if self.station.release_drone(dispatch.drone).is_ok() {
                let why = if over {
                    "its alert is over"
                } else {
                    "the movers are lost"
                };
                let alert = dispatch
                    .alert
                    .map_or(String::new(), |a| format!(" from alert {a}"));
                self.say(
                    now,
                    format!("{} taken back{alert}: {why}", names.drone(dispatch.drone)),
                    true,
                );
            }
        }
        let mut refused = Vec::new();
        self.moving.retain(|drone, (alert, since, old)| {
            let shown = (protection.dispatches.iter()).any(|d| {
                d.id != *old
                    && d.drone == *drone
                    && d.alert == Some(*alert)
                    && d.state.is_under_way()
            });
            let waiting = now.since(*since) <= MOVING_FOR;
            if !shown && !waiting {
                refused.push((*drone, *alert));
            }
            !shown && waiting
        });
        // A move the dispatcher refused (the drone's battery too low to stay there) leaves
        // its alert to be cued afresh: another drone, the one the dispatcher picks, goes.
        for (drone, alert) in refused {
            let under_way = |d: &&vigil_protection::DispatchRecord| {
                d.state.is_under_way() && !self.released.contains(&d.id)
            };
            let sent = (protection.dispatches.iter().filter(under_way))
                .any(|d| d.alert == Some(alert) || d.drone == drone);
            if !sent {
                self.cued.remove(&alert);
            }
        }
        cued_now += self.moving.len();
        let fleet = self.planned_with.len().max(self.flying.len());
        let most = (fleet / 2).max(1);
        // What the drones under way are on: their alerts' places and movers.
        let on: Vec<&vigil_protection::Alert> = (protection.dispatches.iter())
            .filter(|d| d.state.is_under_way())
            .filter_map(|d| alert_of(d.alert))
            .collect();
        let followed: Vec<u64> = (protection.dispatches.iter())
            .filter(|d| d.state.is_under_way())
            .filter_map(|d| d.following)
            .chain(on.iter().flat_map(|a| a.cause.tracks.iter().copied()))
            .collect();
        let mut keeper_places: Vec<_> = (protection.dispatches.iter())
            .filter(|d| d.by == AUTHOR && d.state.is_under_way())
            .filter_map(|d| alert_of(d.alert)?.site)
            .collect();
        keeper_places.extend(
            self.moving
                .values()
                .filter_map(|(a, ..)| alert_of(Some(*a))?.site),
        );
        let wanting = protection.alerts.iter().filter(|a| {
            a.active
                && a.state != AlertState::Resolved
                && a.rule.is_about_movers()
                && a.severity >= AlertSeverity::Warning
                && !self.cued.contains(&a.id)
                && !a.cause.tracks.iter().any(|t| followed.contains(t))
                && !on.iter().any(|o| o.id == a.id)
        });
        let mut sent = Vec::new();
        for alert in wanting {
            // Beyond half the fleet only for other movers at a place a cued drone is at
            // already: the second group of a pincer, where the patrols were weighed to anyway.
            let same_place = alert.site.is_some_and(|s| keeper_places.contains(&s));
            if cued_now + sent.len() >= most && !same_place {
                continue;
            }
            sent.push((alert.id, alert.text.clone()));
        }
        self.cue_parted(snapshot, now);
        for (alert, text) in sent {
            self.cued.insert(alert);
            // The dispatcher's answers are not awaited: the dispatch shows in the snapshot.
            if self
                .station
                .send_drone(DispatchTarget::Alert(alert), AUTHOR)
                .is_ok()
            {
                self.say(
                    now,
                    format!("a drone is cued to alert {alert}: {text}"),
                    true,
                );
            }
        }
    }

    /// An alert the keeper's drones are on whose movers have parted (two groups converging on
    /// a village make one intrusion; a gathering breaks up) gets another drone for those no
    /// drone watches, seen within [`SEEN_NOW`] (the protection layer's judgment, published
    /// as `ProtectionView::unwatched`, which also sends the drone to them), when a drone is
    /// patrolling. Beyond the half of the fleet the cue keeps to, as for the second group of
    /// a pincer: the place is where a drone is already. An alert another requester sent a
    /// drone to is left to them.
    fn cue_parted(&mut self, snapshot: &Snapshot, now: TimeUs) {
        let protection = &snapshot.protection;
        self.parted.retain(|_, t| now.since(*t) < PARTED_EVERY);
        let parted = protection.unwatched.iter().find_map(|u| {
            let a = protection.alerts.iter().find(|a| a.id == u.alert)?;
            let on: Vec<_> = (protection.dispatches.iter())
                .filter(|d| {
                    d.alert == Some(a.id)
                        && d.state.is_under_way()
                        && !self.released.contains(&d.id)
                })
                .collect();
            let wanted = a.state != AlertState::Resolved
                && a.severity >= AlertSeverity::Warning
                && now.since(u.seen) <= SEEN_NOW
                && !on.is_empty()
                && on.iter().all(|d| d.by == AUTHOR)
                && !self.parted.contains_key(&a.id);
            let movers = Geodetic::from_deg(u.position.lat_deg, u.position.lon_deg, 0.0);
            wanted.then_some((a, movers))
        });
        let Some((alert, movers)) = parted else {
            return;
        };
        // The patrolling drone that gets there first (the dispatcher, left to pick, would take
        // one already on movers when none patrolling has the battery to stay).
        let eta_s = |sysid: &u8| {
            let v = snapshot.world.vehicles.get(sysid)?;
            let p = v.position?;
            let at = Geodetic::from_deg(p.lat_deg, p.lon_deg, 0.0);
            Some(distance_m(&at, &movers) / cruise_speed_mps(v.airframe))
        };
        // (Not one being moved on to another alert: taken back, it looks free until its new
        // dispatch shows.)
        let Some(drone) = (self.available(snapshot).iter())
            .filter(|d| !self.moving.contains_key(d))
            .filter_map(|d| Some((*d, eta_s(d)?)))
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(d, _)| d)
        else {
            return;
        };
        let (id, text) = (alert.id, alert.text.clone());
        self.parted.insert(id, now);
        if self
            .station
            .send_confirmed_drone(DispatchTarget::Alert(id), AUTHOR, Some(drone))
            .is_ok()
        {
            self.say(
                now,
                format!(
                    "{} is cued to alert {id} too, whose movers have parted: {text}",
                    snapshot.world.names.drone(drone)
                ),
                true,
            );
        }
    }

    /// A drone the keeper cued moves on to another alert about the same movers, which no
    /// other drone has, rather than being taken back and cued again: from an alert with no
    /// tracks (movement at a sensor: it looked where the sensor felt someone) to an alert
    /// about tracks raised within [`FOLLOW_ON_M`] of it since (the movers its camera, or
    /// anything else, found); from an alert that is over (an approach that became an
    /// intrusion), or whose track it followed was lost, to one whose condition holds now
    /// about a track it held (the same alert, when it holds other tracks): from a track lost,
    /// at once only to movers seen within [`GROUP_M`] of where it was following (the same
    /// group under a new number), to others only once it has looked for the lost ones on
    /// station for [`LOOK_FOR`] (the plane alone, following four men who had parted from a
    /// gathering towards a school, lost them and went straight back to the gathering, already
    /// in the village: the four walked on through the market, the health post and into the
    /// camp unseen). Only to a warning
    /// or worse, as the cue: movers that are only "night activity" now (info) are not worth
    /// a drone that a warning elsewhere waits for; it is taken back and cued afresh. The
    /// most severe such alert is taken, the oldest of those. The old dispatch is taken back
    /// and the same drone sent, following the movers.
    fn follow_on(&mut self, snapshot: &Snapshot, now: TimeUs) {
        let protection = &snapshot.protection;
        let point = |at: LatLon| Geodetic::from_deg(at.lat_deg, at.lon_deg, 0.0);
        let mut moves = Vec::new();
        // The alerts moved to in this turn: one drone each (two drones whose alerts ended at
        // once both went to the intrusion that followed them).
        let mut claimed: Vec<u64> = Vec::new();
        for d in protection.dispatches.iter() {
            let from = d
                .alert
                .and_then(|id| protection.alerts.iter().find(|a| a.id == id));
            let Some(from) = from else { continue };
            let looking = from.cause.tracks.is_empty();
            let over = !from.active && from.state != AlertState::Resolved;
            let lost = d.state == DispatchState::Orbiting && d.failure.is_some();
            let moved = self.released.contains(&d.id);
            if d.by != AUTHOR || moved || !d.state.is_under_way() || !(looking || over || lost) {
                continue;
            }
            let taken = |id: u64| {
                (protection.dispatches.iter())
                    .any(|o| o.id != d.id && o.alert == Some(id) && o.state.is_under_way())
            };
            // Movers of `a` seen near where the lost track was, or looked for long enough.
            let looked = (self.looking.get(&d.id)).is_some_and(|t| now.since(*t) >= LOOK_FOR);
            let near_lost = |a: &vigil_protection::Alert| {
                (a.cause.tracks.iter().filter(|t| d.following != Some(**t))).any(|t| {
                    (snapshot.tracks.iter()).any(|v| {
                        v.id == *t
                            && distance_m(
                                &Geodetic::from_deg(v.lat_deg, v.lon_deg, 0.0),
                                &point(d.followed_at.unwrap_or(d.target)),
                            ) <= GROUP_M
                    })
                })
            };
            let same_movers = |a: &vigil_protection::Alert| {
                if looking {
                    a.first_seen >= from.first_seen
                        && distance_m(&point(a.position), &point(from.position)) <= FOLLOW_ON_M
                } else {
                    (a.cause.tracks.iter())
                        .any(|t| from.cause.tracks.contains(t) || d.following == Some(*t))
                }
            };
            let found = protection
                .alerts
                .iter()
                .filter(|a| {
                    a.active
                        && a.state != AlertState::Resolved
                        && a.rule.is_about_tracks()
                        && a.severity >= AlertSeverity::Warning
                        && now.since(a.last_seen) <= HOLDS_NOW
                        && a.cause.tracks.iter().any(|t| d.following != Some(*t))
                        && (a.id != from.id || lost)
                        && (!lost || looked || near_lost(a))
                        && !taken(a.id)
                        && !claimed.contains(&a.id)
                        && same_movers(a)
                })
                .max_by_key(|a| (a.severity, std::cmp::Reverse(a.first_seen)));
            if let Some(to) = found {
                claimed.push(to.id);
                moves.push((d.id, d.drone, from.id, to.id, to.text.clone(), over));
            }
        }
        let names = &snapshot.world.names;
        for (dispatch, drone, from, to, text, from_over) in moves {
            self.released.insert(dispatch);
            self.cued.insert(to);
            if from_over {
                // Raised again later (other movers), it is a new event to cue.
                self.cued.remove(&from);
            }
            if self.station.release_drone(drone).is_err() {
                continue;
            }
            if self
                .station
                .send_confirmed_drone(DispatchTarget::Alert(to), AUTHOR, Some(drone))
                .is_ok()
            {
                self.moving.insert(drone, (to, now, dispatch));
                let what = if from == to {
                    format!("stays on alert {to}, following another of its tracks")
                } else {
                    format!("moves on from alert {from} to alert {to}, to follow the movers")
                };
                self.say(now, format!("{} {what}: {text}", names.drone(drone)), true);
            }
        }
    }
}

//! What the rules remember about each track between evaluations, so that an alert is about a
//! threat and not about people being where they live:
//! - where it was at the last evaluation (the tripwires look for a crossing between the two);
//! - where it came from, its [`Origin`]: the protected place it was first seen in (the place
//!   itself or within `residents.home_margin_m` of it, not merely in its wider buffer; at night
//!   only villages and camps, where people live, and clinics, where patients stay: a market,
//!   a school, a water point at night is nobody's home), or the
//!   one it was first seen walking away from (its first position and the way it went from
//!   there, traced back `residents.lookback_m` in a straight line, or along the road, track
//!   or path it walks on (and up a path that leaves it for a place set back from it), and
//!   from the water up the path down to it, to the home at its top): a *resident* of that
//!   place, going about its
//!   life (the water run, the market crowd, the way home; from a place that is nobody's home
//!   at night, such as the market at nightfall, on the way into a village or camp: a
//!   resident of that home going back to it); or from outside every place (the
//!   bush, the forest, a road from off the map). A track from outside that is inside a
//!   buffer has entered it, whether or not anyone saw it cross the edge; people moving about
//!   inside their own village or camp never have. A new track next to a track from outside
//!   (the rest of its group, or the same mover the tracker lost and started again) is from
//!   outside too; next to a group from outside that is walking, once it goes their way (a
//!   camp resident whose track starts as an armed group passes, walking the other way, is
//!   not one of them). Traffic is no one's kin, nor a track seen too briefly for its
//!   velocity to be more than noise; and a track is seen coming from outside only with
//!   those whose way it goes.
//!
//! A track the tracker drops and starts again is a new track here, as it is on the map; so
//! is one that jumps further than its movers could have walked (the tracker gave its number
//! to someone else).

use std::collections::BTreeMap;

use super::engine::PlaneTrack;
use super::predict::PlaneWay;
use super::rules::ResidentsConfig;
use super::sites::{PlaneShape, distance_to_segment_m};
use vigil_core::time::TimeUs;

/// A track moved at least this far from where it was first seen before its origin is traced
/// back: below it the direction is the tracker's noise.
const TRACE_AFTER_M: f64 = 30.0;

/// Points along the traced-back path are tested this far apart, m.
const TRACE_STEP_M: f64 = 20.0;

/// A track first seen this near a way is walking on it, m (the tracker's position of one of
/// a group is off by tens of metres at first).
const ON_WAY_M: f64 = 40.0;

/// ... and walking along it when it went within this cosine of the way's direction (45°).
const ALONG_WAY_COS: f64 = std::f64::consts::FRAC_1_SQRT_2;

/// Another way's end this near a way joins it there, m.
const JUNCTION_M: f64 = 10.0;

/// A way no longer than this from a road to a place is the place's doorstep: who is first
/// seen on the road walking away from its end came from the place (see [`spur_home`]), m.
/// A longer one is a way of its own: the camp path, a kilometre from the main road to the
/// camp, whose end an armed group walking the main road had passed (the camp's, it was
/// taken for: a whole intrusion unalerted).
const SPUR_MAX_M: f64 = 200.0;

/// A new track this near where a track from outside seen in the last `INHERIT_S` could be
/// now is from outside too (see [`TrackHistory::outsider_near`]).
const INHERIT_M: f64 = 100.0;
const INHERIT_S: f64 = 600.0;
/// A group lost longer than this, s, lends a track found on its way its origin ("from
/// outside": a warning where it enters a buffer) but not its having been seen coming from
/// outside, which makes an intrusion critical at night or at a sensitive place: by then the
/// group may be anywhere within hundreds of metres of its old way, and so may the residents
/// walking it (two camp residents walking home from the clinic at night, 170 m ahead of an
/// armed group lost five minutes before, were taken for it). Seen again sooner, it is still
/// the group; seen coming from outside itself, any track is critical there.
const VOUCH_S: f64 = 120.0;

/// A group from outside moving at least this fast is walking (see [`Kin`]), m/s.
const WALKING_MPS: f64 = 0.5;

/// A track from outside moving faster than this, m/s, is no one's kin (see [`Kin`]): it is
/// traffic, not people on foot (a motorbike lost on the main road, its way run on for ten
/// minutes at 9 m/s, passed within 600 m of every resident walking near the road since).
const KIN_MAX_MPS: f64 = 4.0;

/// A new track on a lost group's way walks on as the group would when, over its first
/// [`TRACE_AFTER_M`], it goes within this cosine of away from where the group was last seen
/// (120°: it may have turned at a junction; someone coming the other way walks back
/// towards there).
const AWAY_COS: f64 = -0.5;

/// A new track beside a walking group goes their way when, over its first
/// [`TRACE_AFTER_M`], it keeps within this cosine of their direction (60°); one found on a
/// lost group's way is seen coming from outside with it only when it walks on within this
/// cosine of the group's way.
const SAME_WAY_COS: f64 = 0.5;

/// A new track beside a walking group walks with them when, besides going their way, it
/// keeps up with them: where it is now is within this of where walking at their velocity
/// since it was first seen would have taken it, m, or within [`KEEP_UP_SHARE`] of that way
/// when longer. A camp resident first seen 50 m ahead of an armed group walking west,
/// walking south-south-west at the group's pace, went within 60° of the way one of the
/// group's tracks went for a moment (its velocity swings by 15° from second to second),
/// and was taken for one of them: 30 m from where that track's pace would have taken it.
const KEEP_UP_M: f64 = 20.0;
const KEEP_UP_SHARE: f64 = 0.5;

/// A track that moves further than this between two sightings, m, faster than this, m/s
/// (and than twice its usual speed), is someone else's now (see [`Memory::handed_over`]):
/// the tracker's position of one of a group walking in file hops by a few metres, and a
/// track it lost for ten seconds comes back within tens of metres of where it went.
const JUMP_M: f64 = 40.0;
const JUMP_MPS: f64 = 3.0;

/// A track not seen for this long is lost (the rules run once a second), s.
const LOST_S: f64 = 10.0;

/// The weight of each new speed in the running mean and variance (about the last 20 s).
const SPEED_WEIGHT: f64 = 0.05;

/// A track's mean velocity is used once it has been seen this long, s.
const SETTLED_S: f64 = 15.0;

/// A track's velocity is its displacement over about this long, s, from at most this many
/// positions: the tracker's own velocity of one of a group walking in file swings widely as
/// walkers swap between tracks, its positions far less.
const TRAIL_S: f64 = 30.0;
const TRAIL_LEN: usize = 64;

/// Tracks not seen for this long are forgotten, s.
const FORGET_AFTER_S: f64 = 600.0;

/// Where a track came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// Not moved far enough yet to say.
    Undecided,
    /// A resident of this place (an index into the sites).
    Site(usize),
    /// From outside every protected place.
    Outside,
}

#[derive(Debug, Clone, PartialEq)]
struct Memory {
    first_seen: TimeUs,
    first_pos_en_m: [f64; 2],
    last_seen: TimeUs,
    last_pos_en_m: [f64; 2],
    last_vel_en_mps: [f64; 2],
    /// Where it was when seen before `last_seen`.
    previous_pos_en_m: Option<[f64; 2]>,
    /// Where it was at each evaluation of the last [`TRAIL_S`] (at most [`TRAIL_LEN`]).
    trail: std::collections::VecDeque<(TimeUs, [f64; 2])>,
    /// Its speed's running mean and variance (exponentially weighted, [`SPEED_WEIGHT`]): the
    /// tracker's speed of one walker in a group swings from 0.5 to 3.5 m/s from one second
    /// to the next.
    speed_mean_mps: f64,
    speed_var_m2ps2: f64,
    /// Speeds taken into the mean (a plain mean until there are 1 / [`SPEED_WEIGHT`]).
    samples: u32,
    origin: Origin,
    /// Whether it, or the group from outside it is one of, was seen outside every site's
    /// buffer: its coming from outside is seen, not only traced back (see
    /// [`TrackHistory::seen_from_outside`]).
    seen_outside: bool,
    /// Whether it was first seen outside every buffer.
    first_outside: bool,
    /// Whether the group of `kin` was seen outside every buffer.
    kin_seen_outside: bool,
    /// The walking group from outside it was first seen beside or on the way of, until it
    /// has moved far enough to tell whether it goes their way (see [`Kin`]).
    kin: Option<Kin>,
    /// Lost from outside and found again as a new track (see [`TrackHistory::outsider_near`]).
    found_again: bool,
    /// The velocity of the group from outside it was first seen beside or on the way of
    /// (standing: zero), while it is one of them or may be: until it is settled, the best
    /// word on where its movers go (see [`Memory::trail_velocity`]).
    group_velocity: Option<[f64; 2]>,
}

/// What a new track first seen where a track from outside is, or could be now, takes from
/// it. The tracker starts tracks of people passing a walking group in its midst, and a
/// lost group's way runs on for hundreds of metres past people coming the other way: where
/// the group walks, only the new track's own first metres tell one of them from someone
/// they met.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Kin {
    /// From outside: beside a group standing (at a gathering), lost or not.
    Outside,
    /// Beside a group seen lately, walking at this velocity: one of them once it goes their
    /// way (within [`SAME_WAY_COS`]); a track one of a group walking in file does so within
    /// its first metres.
    WalksWith([f64; 2]),
    /// On the way of a group lost since it was last seen at `last_en_m`, walking at
    /// `velocity`: the group found again (it may have stopped there), unless, once it
    /// moves, it walks back towards there as someone coming the other way does, not on
    /// (it may have turned at a junction).
    FoundAgain {
        last_en_m: [f64; 2],
        velocity: [f64; 2],
    },
}

/// Each track's memory.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TrackHistory {
    tracks: BTreeMap<u64, Memory>,
    /// Each site's buffer, m, in the order of the shapes `update` is given (see
    /// [`TrackHistory::set_buffers`]).
    buffers_m: Vec<f64>,
}

impl TrackHistory {
    /// Forgets every track (the buffers stay).
    pub fn clear(&mut self) {
        self.tracks.clear();
    }

    /// Where the track was when last seen before this evaluation.
    pub fn previous(&self, id: u64) -> Option<[f64; 2]> {
        self.tracks.get(&id).and_then(|m| m.previous_pos_en_m)
    }

    /// The tracks whose last position is within `radius_m` of a point, by id.
    pub fn near(&self, at_en_m: [f64; 2], radius_m: f64) -> Vec<u64> {
        self.tracks
            .iter()
            .filter(|(_, m)| {
                let p = m.last_pos_en_m;
                (p[0] - at_en_m[0]).hypot(p[1] - at_en_m[1]) <= radius_m
            })
            .map(|(id, _)| *id)
            .collect()
    }

    /// Where the track was last seen, and when.
    pub fn last_seen(&self, id: u64) -> Option<([f64; 2], TimeUs)> {
        self.tracks.get(&id).map(|m| (m.last_pos_en_m, m.last_seen))
    }

    /// Where the track came from; a track never seen before is undecided.
    pub fn origin(&self, id: u64) -> Origin {
        self.tracks.get(&id).map_or(Origin::Undecided, |m| m.origin)
    }

    /// Whether the track came from outside every protected place (see the module comment).
    pub fn is_from_outside(&self, id: u64) -> bool {
        self.origin(id) == Origin::Outside
    }

    /// Whether the track came from outside and that was seen: it, or the group from
    /// outside it is one of, was first seen outside every site's buffer. A track first seen
    /// inside a buffer whose way traces back to no place may be someone from outside, or a
    /// resident who turned at a junction the trace did not (the night walk from the camp to
    /// the clinic, first seen on the main road).
    pub fn seen_from_outside(&self, id: u64) -> bool {
        (self.tracks.get(&id)).is_some_and(|m| m.origin == Origin::Outside && m.seen_outside)
    }

    /// The track that `id`, from outside and lost (not seen for [`LOST_S`]), was found again
    /// as: of the tracks from outside seen lately and first seen since `id` was last seen,
    /// the nearest to its way (where its movers could be now, see [`Memory::off_its_way_m`]).
    /// The tracker numbers the movers afresh each time it loses and finds them.
    pub fn found_again_as(&self, id: u64, now: TimeUs) -> Option<u64> {
        let lost = self.tracks.get(&id)?;
        if lost.origin != Origin::Outside || now.since(lost.last_seen).as_secs_f64() <= LOST_S {
            return None;
        }
        (self.tracks.iter())
            .filter(|&(other, m)| {
                *other != id
                    && m.origin == Origin::Outside
                    && m.first_seen > lost.last_seen
                    && now.since(m.last_seen).as_secs_f64() <= LOST_S
            })
            .filter_map(|(other, m)| Some((*other, lost.off_its_way_m(m.last_pos_en_m, now)?)))
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(other, _)| other)
    }

    /// The sites' buffers, m, in the order of the shapes `update` will be given: a track
    /// first seen outside all of them is seen coming from outside. With none set, every
    /// track is.
    pub fn set_buffers(&mut self, buffers_m: Vec<f64>) {
        self.buffers_m = buffers_m;
    }

    /// The track's velocity over its last [`TRAIL_S`] (its displacement over that time), once
    /// it has been seen for [`SETTLED_S`]; with the standard error of its speed (from the
    /// spread of the tracker's speeds), m/s.
    pub fn mean_velocity(&self, id: u64, now: TimeUs) -> Option<([f64; 2], f64)> {
        let m = self.tracks.get(&id)?;
        let (then, from) = *m.trail.front()?;
        let dt_s = now.since(then).as_secs_f64();
        if dt_s < SETTLED_S {
            return None;
        }
        let velocity = [
            (m.last_pos_en_m[0] - from[0]) / dt_s,
            (m.last_pos_en_m[1] - from[1]) / dt_s,
        ];
        // An exponentially weighted mean of n samples has the variance of a plain mean of
        // (2 - w) / w of them.
        let error = (m.speed_var_m2ps2.max(0.0) * SPEED_WEIGHT / (2.0 - SPEED_WEIGHT)).sqrt();
        Some((velocity, error))
    }

    /// Takes in this evaluation's tracks, before the rules run.
    /// `homes`, per site: whether being there makes one a resident now (see the module
    /// comment); `ways`: the area's roads, tracks and paths, along which a track on one is
    /// traced back.
    pub fn update(
        &mut self,
        tracks: &[PlaneTrack],
        shapes: &[PlaneShape],
        homes: &[bool],
        ways: &[PlaneWay],
        config: &ResidentsConfig,
        now: TimeUs,
    ) {
        // (A copy: the places are read while the memories change.)
        let buffers_m = self.buffers_m.clone();
        let places = Places {
            shapes,
            buffers_m: &buffers_m,
            homes,
            ways,
            config,
        };
        for track in tracks {
            let handed_over =
                (self.tracks.get(&track.id)).is_some_and(|m| m.handed_over(track.pos_en_m, now));
            if handed_over {
                self.tracks.remove(&track.id);
            }
            if !self.tracks.contains_key(&track.id) {
                let first_outside = !places.in_a_buffer(track.pos_en_m);
                // Until it has moved: beside a walking group, undecided (the group's own tracks
                // speak for it); on a lost group's way, the group found again (it may have
                // stopped there).
                let near = self.outsider_near(track.id, track.pos_en_m, now);
                let group_velocity = near.map(|(kin, _)| match kin {
                    Kin::Outside => [0.0, 0.0],
                    Kin::WalksWith(velocity) | Kin::FoundAgain { velocity, .. } => velocity,
                });
                let (origin, kin, kin_seen_outside) = match near {
                    Some((Kin::Outside, seen)) => (Origin::Outside, None, seen),
                    Some((kin @ Kin::WalksWith(_), seen)) => (Origin::Undecided, Some(kin), seen),
                    Some((kin, seen)) => (Origin::Outside, Some(kin), seen),
                    None => (first_origin(track.pos_en_m, &places), None, false),
                };
                self.tracks.insert(
                    track.id,
                    Memory {
                        first_seen: now,
                        first_pos_en_m: track.pos_en_m,
                        last_seen: now,
                        last_pos_en_m: track.pos_en_m,
                        last_vel_en_mps: track.vel_en_mps,
                        previous_pos_en_m: None,
                        trail: std::collections::VecDeque::new(),
                        speed_mean_mps: track.vel_en_mps[0].hypot(track.vel_en_mps[1]),
                        speed_var_m2ps2: 0.0,
                        samples: 0,
                        origin,
                        seen_outside: first_outside
                            || (origin == Origin::Outside && kin_seen_outside),
                        first_outside,
                        kin_seen_outside,
                        kin,
                        found_again: false,
                        group_velocity,
                    },
                );
            }
            // A group that parts walks off in several directions: one of it, first seen
            // beside those going another way, walks with those going its own.
            let pending = (self.tracks.get(&track.id))
                .is_some_and(|m| matches!(m.kin, Some(Kin::WalksWith(_))));
            let beside = if pending {
                self.walking_beside(track.id, track.pos_en_m, now)
            } else {
                Vec::new()
            };
            let Some(memory) = self.tracks.get_mut(&track.id) else {
                continue;
            };
            if memory.last_seen != now {
                memory.previous_pos_en_m = Some(memory.last_pos_en_m);
            }
            memory.last_seen = now;
            memory.last_pos_en_m = track.pos_en_m;
            memory.trail.push_back((now, track.pos_en_m));
            while memory.trail.len() > TRAIL_LEN
                || memory
                    .trail
                    .get(1)
                    .is_some_and(|(t, _)| now.since(*t).as_secs_f64() >= TRAIL_S)
            {
                memory.trail.pop_front();
            }
            memory.last_vel_en_mps = track.vel_en_mps;
            let speed_mps = track.vel_en_mps[0].hypot(track.vel_en_mps[1]);
            if speed_mps.is_finite() {
                memory.samples = memory.samples.saturating_add(1);
                let w = (1.0 / f64::from(memory.samples)).max(SPEED_WEIGHT);
                let delta = speed_mps - memory.speed_mean_mps;
                memory.speed_mean_mps += w * delta;
                memory.speed_var_m2ps2 = (1.0 - w) * (memory.speed_var_m2ps2 + w * delta * delta);
            }
            if let Some(kin) = memory.kin {
                let (origin, seen) = kin_origin(memory, kin, &beside, track.pos_en_m, &places);
                if origin != Origin::Undecided {
                    memory.origin = origin;
                    memory.kin = None;
                    if origin != Origin::Outside {
                        memory.group_velocity = None;
                    }
                    memory.seen_outside = memory.first_outside || seen;
                }
            } else if memory.origin == Origin::Undecided {
                memory.origin = traced_origin(memory, track.pos_en_m, &places);
            }
        }
        self.tracks
            .retain(|_, m| now.since(m.last_seen).as_secs_f64() <= FORGET_AFTER_S);
        self.note_found_again(now);
    }

    /// A track from outside lost, whose way a track from outside first seen since is on now,
    /// is found again: its movers are tracked again (the group a drone follows, under new
    /// track numbers), and its guess of where they are lends its origin no more.
    fn note_found_again(&mut self, now: TimeUs) {
        let seen_now: Vec<(TimeUs, [f64; 2])> = (self.tracks.values())
            .filter(|m| m.origin == Origin::Outside && m.last_seen == now)
            .map(|m| (m.first_seen, m.last_pos_en_m))
            .collect();
        if seen_now.is_empty() {
            return;
        }
        for lost in self.tracks.values_mut() {
            if lost.origin != Origin::Outside
                || lost.found_again
                || now.since(lost.last_seen).as_secs_f64() <= LOST_S
            {
                continue;
            }
            lost.found_again = (seen_now.iter()).any(|(first_seen, p)| {
                *first_seen > lost.last_seen && lost.off_its_way_m(*p, now).is_some()
            });
        }
    }
}

impl Memory {
    /// Whether the track at `p` now has jumped further than its movers could have walked
    /// since it was last seen: over [`JUMP_M`], faster than [`JUMP_MPS`] and than twice its
    /// usual speed. The tracker has handed its number to someone else (a coasting track
    /// takes the detection of someone it never was: an armed group's, unseen for twenty
    /// seconds, a camp resident's seventy metres away), and what it remembers of where
    /// the track came from is someone else's past.
    fn handed_over(&self, p: [f64; 2], now: TimeUs) -> bool {
        let elapsed_s = now.since(self.last_seen).as_secs_f64().max(1.0);
        let [x, y] = self.last_pos_en_m;
        let jump_m = (p[0] - x).hypot(p[1] - y);
        jump_m > JUMP_M && jump_m / elapsed_s > JUMP_MPS.max(2.0 * self.speed_mean_mps)
    }

    /// How far `p` is from the way it may have gone since it was last seen (from there to
    /// where its velocity over its last seconds would have taken it by `now`), when it could
    /// be there: within [`INHERIT_M`] and a tenth of the way it may have gone, m.
    fn off_its_way_m(&self, p: [f64; 2], now: TimeUs) -> Option<f64> {
        let elapsed_s = now.since(self.last_seen).as_secs_f64();
        let [vx, vy] = self.trail_velocity();
        let from = self.last_pos_en_m;
        let to = [from[0] + vx * elapsed_s, from[1] + vy * elapsed_s];
        let off_m = distance_to_segment_m(from, to, p);
        (off_m <= INHERIT_M + 0.1 * vx.hypot(vy) * elapsed_s).then_some(off_m)
    }

    /// Whether it has been seen for [`SETTLED_S`]: before that its velocity is the
    /// tracker's, which for a new track is its first detections' noise (an armed group's
    /// new track, born walking west at "1.9 m/s south", had a camp resident walking south
    /// beside it taken for one of the group).
    fn settled(&self) -> bool {
        (self.trail.front())
            .is_some_and(|(t, _)| self.last_seen.since(*t).as_secs_f64() >= SETTLED_S)
    }

    /// Its velocity over its trail when last seen (its displacement over the last
    /// [`TRAIL_S`]), or, when seen for less than [`SETTLED_S`], its group's
    /// ([`Memory::group_velocity`]) or else the tracker's: the tracker's velocity of one of a
    /// group standing at a gathering swings to 3 m/s and more, and carried on for minutes it
    /// reaches a health post a kilometre away; and a group walking down a road, its tracks
    /// each lost after half a minute and found again, was lost for good from one whose
    /// "4 m/s east" was its first detections' noise (traffic, to lend no one its origin),
    /// and the next of it taken for a patient of the clinic it had passed.
    fn trail_velocity(&self) -> [f64; 2] {
        if let Some((then, from)) = self.trail.front() {
            let dt_s = self.last_seen.since(*then).as_secs_f64();
            if dt_s >= SETTLED_S {
                let [x, y] = self.last_pos_en_m;
                return [(x - from[0]) / dt_s, (y - from[1]) / dt_s];
            }
        }
        self.group_velocity.unwrap_or(self.last_vel_en_mps)
    }
}

impl TrackHistory {
    /// The velocities of the tracks from outside, seen lately, settled and walking (not
    /// faster than [`KIN_MAX_MPS`]), within `INHERIT_M` of `p`, but `id`'s own; with whether each was
    /// seen coming from outside.
    fn walking_beside(&self, id: u64, p: [f64; 2], now: TimeUs) -> Vec<([f64; 2], bool)> {
        (self.tracks.iter())
            .filter(|&(other, m)| {
                *other != id
                    && m.origin == Origin::Outside
                    && m.settled()
                    && now.since(m.last_seen).as_secs_f64() <= LOST_S
                    && (m.last_pos_en_m[0] - p[0]).hypot(m.last_pos_en_m[1] - p[1]) <= INHERIT_M
            })
            .map(|(_, m)| (m.trail_velocity(), m.seen_outside))
            .filter(|(v, _)| (WALKING_MPS..=KIN_MAX_MPS).contains(&v[0].hypot(v[1])))
            .collect()
    }

    /// What a new track takes from a track from outside seen in the last `INHERIT_S` (and,
    /// seen lately, [`Memory::settled`]), moving at most [`KIN_MAX_MPS`] (its [`Kin`], and
    /// whether that track was seen outside every buffer), when it is where that track
    /// could be now: within `INHERIT_M` (and a tenth
    /// of the way it could have gone) of the path from where it was last seen to where its
    /// velocity over its last seconds would have taken it (it may have stopped anywhere on
    /// the way). It is one of that
    /// group, or the same mover that the tracker lost (out of the sensors' sight) and
    /// started again, not a resident, if it stands, or goes their way once it moves. A lost
    /// track found again this way (the nearest such), or on whose way a track from outside
    /// first seen since is now ([`Self::note_found_again`]), lends its origin no more: its
    /// movers are tracked again, whose own ways count from there, and a resident met later
    /// where the old guess of its way ran (a camp resident leaving the clinic ten minutes
    /// after an armed group was lost a kilometre up the track, found again since,
    /// elsewhere) is not taken for one of the group.
    fn outsider_near(&mut self, id: u64, p: [f64; 2], now: TimeUs) -> Option<(Kin, bool)> {
        // A group is walking when any of it near is: the velocity of one whose number the
        // tracker passed from walker to walker can say it stands.
        let walking_here = !self.walking_beside(id, p, now).is_empty();
        let (_, m) = (self.tracks.iter_mut())
            .filter_map(|(_, m)| {
                let elapsed_s = now.since(m.last_seen).as_secs_f64();
                let [vx, vy] = m.trail_velocity();
                if m.origin != Origin::Outside
                    || m.found_again
                    || elapsed_s > INHERIT_S
                    || vx.hypot(vy) > KIN_MAX_MPS
                    || (elapsed_s <= LOST_S && !m.settled())
                {
                    return None;
                }
                Some((m.off_its_way_m(p, now)?, m))
            })
            .min_by(|a, b| a.0.total_cmp(&b.0))?;
        let velocity = m.trail_velocity();
        let walking = velocity[0].hypot(velocity[1]) >= WALKING_MPS;
        // A track seen lately is not lost: the new one walks with it, or passes it.
        if now.since(m.last_seen).as_secs_f64() <= LOST_S {
            let kin = if walking || walking_here {
                Kin::WalksWith(velocity)
            } else {
                Kin::Outside
            };
            return Some((kin, m.seen_outside));
        }
        m.found_again = true;
        let kin = if walking {
            Kin::FoundAgain {
                last_en_m: m.last_pos_en_m,
                velocity,
            }
        } else {
            Kin::Outside
        };
        let vouched = now.since(m.last_seen).as_secs_f64() <= VOUCH_S;
        Some((kin, m.seen_outside && vouched))
    }
}

/// The places one can be at home in now.
struct Places<'a> {
    shapes: &'a [PlaneShape],
    /// Each site's buffer, m (as `shapes`; none known: empty).
    buffers_m: &'a [f64],
    homes: &'a [bool],
    ways: &'a [PlaneWay],
    config: &'a ResidentsConfig,
}

impl Places<'_> {
    /// Whether a point is inside a site's buffer.
    fn in_a_buffer(&self, p: [f64; 2]) -> bool {
        (self.shapes.iter().zip(self.buffers_m))
            .any(|(shape, buffer_m)| shape.distance_m(p) <= *buffer_m)
    }

    /// The place a point is at, home or not: the nearest within `home_margin_m` of it.
    fn place_of(&self, p: [f64; 2]) -> Option<usize> {
        self.nearest_within_margin(p, false)
    }

    /// The place a point is at home in: the nearest home within `home_margin_m` of it.
    fn home_of(&self, p: [f64; 2]) -> Option<usize> {
        self.nearest_within_margin(p, true)
    }

    fn nearest_within_margin(&self, p: [f64; 2], homes_only: bool) -> Option<usize> {
        self.shapes
            .iter()
            .zip(self.homes)
            .enumerate()
            .filter(|(_, (_, home))| **home || !homes_only)
            .map(|(index, (shape, _))| (index, shape.distance_m(p)))
            .filter(|(_, d)| *d <= self.config.home_margin_m)
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(index, _)| index)
    }
}

/// The origin of a track seen for the first time: a resident of the place it is in, or
/// undecided.
fn first_origin(p: [f64; 2], places: &Places) -> Origin {
    if !places.config.enabled {
        return Origin::Outside;
    }
    places.home_of(p).map_or(Origin::Undecided, Origin::Site)
}

/// The origin of a track first seen with a walking group from outside (see [`Kin`]): from
/// outside once it has gone their way over its first [`TRACE_AFTER_M`] (or, beside it, the
/// way of one walking at one of `beside`'s velocities), else traced back as anyone's; and
/// whether it was seen coming from outside: the group whose way it went was (a resident
/// first seen as an armed group passes, going the way of another resident taken for an
/// outsider, is no more seen from outside than that one).
fn kin_origin(
    memory: &Memory,
    kin: Kin,
    beside: &[([f64; 2], bool)],
    now_en_m: [f64; 2],
    places: &Places,
) -> (Origin, bool) {
    let [x0, y0] = memory.first_pos_en_m;
    let moved = [now_en_m[0] - x0, now_en_m[1] - y0];
    if moved[0].hypot(moved[1]) < TRACE_AFTER_M {
        return (Origin::Undecided, false);
    }
    let walked_s = memory.last_seen.since(memory.first_seen).as_secs_f64();
    let goes_with = |v: [f64; 2]| {
        let their_way = [v[0] * walked_s, v[1] * walked_s];
        let behind_m = (moved[0] - their_way[0]).hypot(moved[1] - their_way[1]);
        cosine(moved, v) >= SAME_WAY_COS
            && behind_m <= KEEP_UP_M.max(KEEP_UP_SHARE * their_way[0].hypot(their_way[1]))
    };
    // (Whether it is one of them; whether those it goes with were seen coming from outside.)
    let (theirs, seen) = match kin {
        // (Taken at once: never waits.)
        Kin::Outside => (true, memory.kin_seen_outside),
        Kin::WalksWith(velocity) => {
            let with_kin = goes_with(velocity);
            let with_beside = beside.iter().filter(|(v, _)| goes_with(*v));
            let seen =
                (with_kin && memory.kin_seen_outside) || with_beside.clone().any(|(_, seen)| *seen);
            (with_kin || with_beside.count() > 0, seen)
        }
        // Away from where the group was last seen (from there to where it was first seen,
        // or, first seen where the group was, the way the group went).
        Kin::FoundAgain {
            last_en_m,
            velocity,
        } => {
            let away = [x0 - last_en_m[0], y0 - last_en_m[1]];
            let away = if away[0].hypot(away[1]) >= TRACE_AFTER_M {
                away
            } else {
                velocity
            };
            // Seen coming from outside with the group only when it walks on the group's way:
            // a camp resident first seen 100 m beside where an armed group was lost half a
            // minute before, walking off south from the group's westward way, is someone it
            // may be (from outside), but no more seen coming so than anyone first seen there.
            let on = cosine(moved, velocity) >= SAME_WAY_COS;
            (
                cosine(moved, away) >= AWAY_COS,
                memory.kin_seen_outside && on,
            )
        }
    };
    if theirs {
        (Origin::Outside, seen)
    } else {
        (traced_origin(memory, now_en_m, places), false)
    }
}

/// The cosine of the angle between two vectors (0 when one is zero).
fn cosine(a: [f64; 2], b: [f64; 2]) -> f64 {
    let norms = a[0].hypot(a[1]) * b[0].hypot(b[1]);
    if norms > 0.0 {
        (a[0] * b[0] + a[1] * b[1]) / norms
    } else {
        0.0
    }
}

mod trace;

use trace::traced_origin;

#[cfg(test)]
mod tests;

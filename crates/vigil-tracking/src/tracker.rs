//! The tracker: owns the tracks and runs the loop over one scan, composing the parts (predict,
//! gate, associate, update, initiate, confirm, group, delete) and adding nothing of its own but the
//! bookkeeping. Everything is in a fixed order (tracks by creation, detections by source then
//! arrival), so the same input gives the same tracks, bit for bit.

use super::associate::{Associator, GlobalNearestNeighbour};
use super::cluster::{Gated, clusters, lone_pairs};
use super::coverage::Coverage;
use super::delete::{DeleteReason, Deleter};
use super::error::{TrackingError, finite};
use super::gate::{ChiSquareGate, Reach, SpeedLimits};
use super::group::GroupConfig;
use super::initiate::{Initiator, MOfN};
use super::jpda::{AssociationMethod, Jpda};
use super::measure::Observation;
use super::motion::{ConstantVelocity, Motion, MotionModel};
use super::predict::{KalmanPredictor, Predictor};
use super::scan::Scan;
use super::spatial::{Bound, TrackGrid};
use super::types::{Detection, GaussianState, PositionBelief, Prediction, Track};
use super::update::{KalmanUpdater, Updater, collapse};

/// What the tracker is tuned with.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrackerConfig {
    /// How targets move.
    pub motion: Motion,
    /// Probability that a target's own detection falls inside its gate.
    pub gate_probability: f64,
    /// When a tentative track is confirmed.
    pub confirmation: MOfN,
    /// Longest time a track may go without an update when the coverage is not known,
    /// seconds.
    pub coast_s: f64,
    /// Longest time a track may go without an update when the coverage is known (see
    /// `delete`): how long a track outside every coverage is kept, unobserved, seconds.
    pub unobserved_coast_s: f64,
    /// Detections the coverage was expected to give a track, missed, before it goes.
    pub max_missed_detections: f64,
    /// Largest trace of a track's position covariance, m².
    pub max_pos_covar_trace_m2: f64,
    /// Velocity standard deviation of a new track, m/s.
    pub init_speed_std_mps: f64,
    /// Turn rate standard deviation of a new track (coordinated turn only), rad/s.
    pub init_turn_rate_std_radps: f64,
    /// Whether presence detections may start tracks (see `initiate`).
    pub initiate_from_presence: bool,
    /// How many scans of history each track keeps.
    pub history_len: usize,
    /// How detections are associated with tracks: GNN, or JPDA for dense groups.
    pub association: AssociationMethod,
    /// Whether tracks of people walking together are merged into group tracks, and when
    /// (see `group`); `None`, the default: never.
    pub groups: Option<GroupConfig>,
    /// The top speed of each class, for the reach gate (see `gate`); `None`: no such gate.
    pub speed_limits: Option<SpeedLimits>,
}

impl Default for TrackerConfig {
    /// Ground targets (people, vehicles) seen about once a second: q = 0.3 m²/s³ (enough for
    /// a vehicle turning at 0.3 m/s² of lateral acceleration), gate 0.99,
    /// 3 of 5, 30 s coast (inside known coverage, 5 expected detections missed; outside it,
    /// 30 s unobserved), position σ up to 500 m on each axis, new tracks ±10 m/s (3σ covers
    /// 30 m/s, faster than ground targets go off road).
    fn default() -> Self {
        Self {
            motion: Motion::ConstantVelocity(ConstantVelocity { q_accel_m2ps3: 0.3 }),
            gate_probability: 0.99,
            confirmation: MOfN::default(),
            coast_s: 30.0,
            unobserved_coast_s: 30.0,
            max_missed_detections: 5.0,
            max_pos_covar_trace_m2: 2.0 * 500.0 * 500.0,
            init_speed_std_mps: 10.0,
            init_turn_rate_std_radps: 0.1,
            initiate_from_presence: false,
            history_len: 200,
            association: AssociationMethod::GlobalNearestNeighbour,
            groups: None,
            speed_limits: Some(SpeedLimits::default()),
        }
    }
}

impl TrackerConfig {
    /// Checks every value is in its range.
    pub fn validate(&self) -> Result<(), TrackingError> {
        let noise_ok = |q: f64| q.is_finite() && q >= 0.0;
        let motion_ok = match self.motion {
            Motion::ConstantVelocity(m) => noise_ok(m.q_accel_m2ps3),
            Motion::CoordinatedTurn(m) => noise_ok(m.q_accel_m2ps3) && noise_ok(m.q_turn_rad2ps3),
        };
        if !motion_ok {
            return Err(TrackingError::InvalidConfig(
                "process noise must be finite and >= 0",
            ));
        }
        self.confirmation.validate()?;
        let positive = |v: f64| v.is_finite() && v > 0.0;
        if !(positive(self.coast_s)
            && positive(self.unobserved_coast_s)
            && positive(self.max_missed_detections)
            && positive(self.max_pos_covar_trace_m2)
            && positive(self.init_speed_std_mps)
            && positive(self.init_turn_rate_std_radps))
        {
            return Err(TrackingError::InvalidConfig(
                "coast times, missed detections, covariance limit and initial stds must be > 0",
            ));
        }
        if self.history_len == 0 {
            return Err(TrackingError::InvalidConfig(
                "history_len must be at least 1",
            ));
        }
        self.association.validate()?;
        if let Some(groups) = self.groups {
            groups.validate()?;
        }
        if let Some(limits) = self.speed_limits {
            limits.validate()?;
        }
        ChiSquareGate::new(self.gate_probability).map(|_| ())
    }
}

/// A track updated by a detection in a step.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrackUpdate {
    /// The track.
    pub track_id: u64,
    /// Index of the detection in the step's input.
    pub detection_index: usize,
    /// When the detection was taken, seconds (for latency bookkeeping).
    pub detection_time_s: f64,
}

/// What one step did.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct StepReport {
    /// The scan time, seconds.
    pub time_s: f64,
    /// Tracks updated, in processing order.
    pub updates: Vec<TrackUpdate>,
    /// Tracks started.
    pub initiated: Vec<u64>,
    /// Tracks confirmed.
    pub confirmed: Vec<u64>,
    /// Tracks deleted, and why.
    pub deleted: Vec<(u64, DeleteReason)>,
    /// Detections refused (index in the input), and why.
    pub rejected: Vec<(usize, TrackingError)>,
    /// Clusters with more joint events than JPDA enumerates, associated by GNN instead.
    pub jpda_fallbacks: u32,
    /// Tracks merged into group tracks: (merged track, group track).
    pub merged: Vec<(u64, u64)>,
    /// Members who left a group track, confirmed as tracks of their own: (group track, the
    /// member's track).
    pub split: Vec<(u64, u64)>,
}

/// The buffers one batch's association works in, kept for their memory between batches and
/// scans (a scan has a batch per source: hundreds).
#[derive(Debug, Clone, Default)]
struct Scratch {
    gated: Vec<Gated>,
    open: Vec<Gated>,
    in_some_gate: Vec<bool>,
    taken: Vec<bool>,
    uses: Vec<u32>,
    rest: Vec<Gated>,
}

/// A valid detection with its observation and the observation's bound for the grid.
struct Observed<'a> {
    index: usize,
    detection: &'a Detection,
    observation: Observation,
    bound: Bound,
    /// Where the detection alone puts the target, for the reach gate (when it is on).
    reach: Option<Reach>,
}

/// The multi-target tracker.
#[derive(Debug, Clone)]
pub struct Tracker {
    config: TrackerConfig,
    predictor: KalmanPredictor<Motion>,
    updater: KalmanUpdater,
    gate: ChiSquareGate,
    associator: GlobalNearestNeighbour,
    /// JPDA instead of `associator`, when the configuration asks for it.
    jpda: Option<Jpda>,
    initiator: Initiator,
    deleter: Deleter,
    tracks: Vec<Track>,
    next_id: u64,
    time_s: Option<f64>,
    /// The tracks' positions carried to the scan's time, for gating (the tracks themselves
    /// stay at the time of their last update until each is updated at its detection's own
    /// time).
    gating: Vec<PositionBelief>,
    /// The tracks' predicted positions, for gating (rebuilt each scan).
    grid: TrackGrid,
    /// The grid's answer for one detection (kept to reuse its memory).
    candidates: Vec<u32>,
    scratch: Scratch,
    /// Where the sensors see, for the tracks' life.
    coverage: Coverage,
}

impl Tracker {
    /// A tracker with no tracks; identities start at 1.
    pub fn new(config: TrackerConfig) -> Result<Self, TrackingError> {
        config.validate()?;
        Ok(Self {
            predictor: KalmanPredictor {
                model: config.motion,
            },
            updater: KalmanUpdater,
            gate: ChiSquareGate::new(config.gate_probability)?,
            associator: GlobalNearestNeighbour,
            jpda: match config.association {
                AssociationMethod::GlobalNearestNeighbour => None,
                AssociationMethod::Jpda(jpda) => Some(Jpda {
                    config: jpda,
                    gate_probability: config.gate_probability,
                }),
            },
            initiator: Initiator {
                state_dim: config.motion.state_dim(),
                speed_std_mps: config.init_speed_std_mps,
                turn_rate_std_radps: config.init_turn_rate_std_radps,
                from_presence: config.initiate_from_presence,
            },
            deleter: Deleter {
                coast_s: config.coast_s,
                unobserved_coast_s: config.unobserved_coast_s,
                max_missed_detections: config.max_missed_detections,
                max_pos_covar_trace_m2: config.max_pos_covar_trace_m2,
                confirmation: config.confirmation,
            },
            config,
            tracks: Vec::new(),
            next_id: 1,
            time_s: None,
            gating: Vec::new(),
            grid: TrackGrid::default(),
            candidates: Vec::new(),
            scratch: Scratch::default(),
            coverage: Coverage::unknown(),
        })
    }

    /// The configuration.
    pub fn config(&self) -> &TrackerConfig {
        &self.config
    }

    /// All live tracks, tentative and confirmed, oldest first.
    pub fn tracks(&self) -> &[Track] {
        &self.tracks
    }

    /// The confirmed tracks, oldest first.
    pub fn confirmed_tracks(&self) -> impl Iterator<Item = &Track> {
        self.tracks.iter().filter(|t| t.confirmed)
    }

    /// The time of the last scan, seconds.
    pub fn time_s(&self) -> Option<f64> {
        self.time_s
    }

    /// Tells the tracker where its sensors see from now on (see `delete` for what it changes);
    /// [`Coverage::unknown`] goes back to one coast time for all.
    pub fn set_coverage(&mut self, coverage: Coverage) {
        self.coverage = coverage;
    }

    /// Where the tracker believes its sensors see.
    pub fn coverage(&self) -> &Coverage {
        &self.coverage
    }

    /// Processes one scan of detections at `time_s` (seconds, the clock of the detections):
    /// for each source in turn gates (against the tracks carried to `time_s`), associates,
    /// and updates each track at its detection's own time (predicted there from its last
    /// update; a second detection of one track in a scan that is older than the first is
    /// taken at the first's time), and starts tracks from what is left (at their detection's
    /// time); then carries every track to `time_s`, confirms, splits and merges group tracks
    /// (when configured) and deletes. Invalid detections, and those before the last scan or after
    /// this one, are skipped and listed in the report; a non-finite `time_s` or one before
    /// the last scan is an error and changes nothing.
    pub fn step(
        &mut self,
        time_s: f64,
        detections: &[Detection],
    ) -> Result<StepReport, TrackingError> {
        self.check_time(time_s)?;
        let mut report = StepReport {
            time_s,
            ..StepReport::default()
        };
        let observed = self.observe(time_s, detections, &mut report);
        let mut gating = std::mem::take(&mut self.gating);
        gating.clear();
        for track in &self.tracks {
            gating.push(self.carried_position(&track.state, time_s)?);
        }
        self.gating = gating;
        self.grid
            .rebuild(self.gating.iter().copied(), self.gate.threshold(2));
        let mut hit = vec![false; self.tracks.len()];
        let mut scratch = std::mem::take(&mut self.scratch);
        for batch in observed.chunk_by(|a, b| a.detection.source_id == b.detection.source_id) {
            if let Err(error) = self.assimilate(time_s, batch, &mut scratch, &mut hit, &mut report)
            {
                self.scratch = scratch;
                return Err(error);
            }
        }
        self.scratch = scratch;
        self.predict_all(time_s)?;
        self.close_scan(time_s, &hit, &mut report);
        if let Some(groups) = self.config.groups {
            report.split = groups.split(&mut self.tracks, &report.confirmed);
            report.merged = groups.merge(&mut self.tracks);
        }
        self.delete(time_s, &mut report);
        self.time_s = Some(time_s);
        Ok(report)
    }

    /// [`Tracker::step`] on a scan from the scan grouper.
    pub fn step_scan(&mut self, scan: &Scan) -> Result<StepReport, TrackingError> {
        self.step(scan.time_s, &scan.detections)
    }

    fn check_time(&self, time_s: f64) -> Result<(), TrackingError> {
        finite("scan time_s", time_s)?;
        match self.time_s {
            Some(last_s) if time_s < last_s => Err(TrackingError::TimeWentBackwards {
                last_s,
                now_s: time_s,
            }),
            _ => Ok(()),
        }
    }

    /// Validates the detections, ordered by source and, within a source, by arrival (a
    /// stable sort): one source's are a batch.
    fn observe<'a>(
        &self,
        time_s: f64,
        detections: &'a [Detection],
        report: &mut StepReport,
    ) -> Vec<Observed<'a>> {
        let mut observed = Vec::with_capacity(detections.len());
        for (index, detection) in detections.iter().enumerate() {
            match self.observation_of(time_s, detection) {
                Ok(observation) => observed.push(Observed {
                    index,
                    detection,
                    bound: Bound::new(&observation, &self.gate),
                    observation,
                    reach: self.config.speed_limits.and_then(|_| Reach::of(detection)),
                }),
                Err(error) => report.rejected.push((index, error)),
            }
        }
        observed.sort_by_key(|o| o.detection.source_id);
        observed
    }

    fn observation_of(&self, time_s: f64, d: &Detection) -> Result<Observation, TrackingError> {
        let observation = Observation::from_detection(d)?;
        if d.time_s > time_s {
            return Err(TrackingError::DetectionAfterScan {
                detection_s: d.time_s,
                scan_s: time_s,
            });
        }
        match self.time_s {
            Some(last_s) if d.time_s < last_s => Err(TrackingError::TimeWentBackwards {
                last_s,
                now_s: d.time_s,
            }),
            _ => Ok(observation),
        }
    }

    /// `state` predicted to `time_s` (not back: a later state is kept).
    fn carried(&self, state: &GaussianState, time_s: f64) -> Result<GaussianState, TrackingError> {
        let dt_s = (time_s - state.time_s).max(0.0);
        Ok(self.predictor.predict(state, dt_s)?.state)
    }

    /// The position of `state` predicted to `time_s` (not back), for the gate and the grid.
    fn carried_position(
        &self,
        state: &GaussianState,
        time_s: f64,
    ) -> Result<PositionBelief, TrackingError> {
        let dt_s = (time_s - state.time_s).max(0.0);
        self.predictor.predict_position(state, dt_s)
    }

    /// Carries every track to the scan time, once its detections have updated it.
    fn predict_all(&mut self, time_s: f64) -> Result<(), TrackingError> {
        for track in &mut self.tracks {
            let dt_s = (time_s - track.state.time_s).max(0.0);
            self.predictor.predict_in_place(&mut track.state, dt_s)?;
        }
        Ok(())
    }

    /// Gates, associates and updates the tracks with one source's detections, confirmed
    /// tracks first and tentative ones with what they left, then starts tracks from the
    /// detections that fell in no gate.
    fn assimilate(
        &mut self,
        time_s: f64,
        batch: &[Observed<'_>],
        scratch: &mut Scratch,
        hit: &mut Vec<bool>,
        report: &mut StepReport,
    ) -> Result<(), TrackingError> {
        self.gate_batch(time_s, batch, &mut scratch.gated);
        let Scratch {
            gated,
            open,
            in_some_gate,
            taken,
            ..
        } = scratch;
        in_some_gate.clear();
        in_some_gate.resize(batch.len(), false);
        for pair in gated.iter() {
            in_some_gate[pair.detection] = true;
        }
        taken.clear();
        taken.resize(batch.len(), false);
        for confirmed in [true, false] {
            open.clear();
            open.extend(
                gated
                    .iter()
                    .filter(|p| self.tracks[p.track].confirmed == confirmed && !taken[p.detection]),
            );
            if self.jpda.is_some() {
                self.assimilate_jpda(time_s, batch, open, taken, hit, report)?;
                continue;
            }
            for (t, d) in self.associate(open, &mut scratch.uses, &mut scratch.rest) {
                self.update_track(time_s, t, &batch[d], hit, report)?;
                taken[d] = true;
            }
        }
        for d in (0..batch.len()).filter(|&d| !taken[d] && !in_some_gate[d]) {
            self.initiate(time_s, batch[d].detection, hit, report);
        }
        Ok(())
    }

    /// The pairs of tracks and detections inside the gate, by track then detection. Only
    /// the tracks the grid returns for a detection (near it, and not ruled out by the
    /// bound: see `spatial`) go through the full gate, which works on the stack.
    /// A pair must also be within the track's reach (see `gate::SpeedLimits`).
    fn gate_batch(&mut self, time_s: f64, batch: &[Observed<'_>], gated: &mut Vec<Gated>) {
        gated.clear();
        let mut candidates = std::mem::take(&mut self.candidates);
        for (detection, observed) in batch.iter().enumerate() {
            self.grid.candidates(&observed.bound, &mut candidates);
            for &track in &candidates {
                let belief = &self.gating[track as usize];
                let distance = observed
                    .observation
                    .gate_distance(belief.pos_enu_m, &belief.pos_covar_m2);
                let reachable = |limits: SpeedLimits| {
                    let track = &self.tracks[track as usize];
                    limits.within_reach(track, observed.reach.as_ref(), time_s)
                };
                // A pair whose innovation cannot be formed (a target predicted onto an
                // angle-measuring sensor) counts as outside.
                if let Ok(distance) = distance
                    && self.gate.admits_distance(&distance)
                    && self.config.speed_limits.is_none_or(reachable)
                {
                    gated.push(Gated {
                        track: track as usize,
                        detection,
                        cost: distance.negative_log_likelihood(),
                    });
                }
            }
        }
        self.candidates = candidates;
        gated.sort_unstable_by_key(|p| (p.track, p.detection));
    }

    /// Associates the gated pairs `open` (sorted by track) by GNN, cluster by cluster (see
    /// `clusters`); the cost of a pair is its negative log-likelihood, and pairs
    /// not in `open` are never made. Returns (track, detection) pairs by track.
    fn associate(
        &self,
        open: &[Gated],
        uses: &mut Vec<u32>,
        rest: &mut Vec<Gated>,
    ) -> Vec<(usize, usize)> {
        let mut pairs = lone_pairs(open, uses, rest);
        for cluster in clusters(rest) {
            let association = self.associator.associate(&cluster.costs);
            pairs.extend(
                association
                    .pairs
                    .iter()
                    .map(|&(r, d)| (cluster.rows[r], cluster.cols[d])),
            );
        }
        pairs.sort_unstable();
        pairs
    }

    /// Associates the gated pairs `open` by JPDA, cluster by cluster, and updates each of
    /// their tracks with all its detections weighted by their probabilities. A detection is
    /// taken (not offered to the tentative tracks after the confirmed) when it belongs to one
    /// of these tracks with probability at least one half.
    fn assimilate_jpda(
        &mut self,
        time_s: f64,
        batch: &[Observed<'_>],
        open: &[Gated],
        taken: &mut [bool],
        hit: &mut [bool],
        report: &mut StepReport,
    ) -> Result<(), TrackingError> {
        let Some(jpda) = self.jpda else {
            return Ok(());
        };
        let mut weighted = Vec::new();
        for cluster in clusters(open) {
            let log_clutter: Vec<f64> = cluster
                .cols
                .iter()
                .map(|&d| jpda.config.log_clutter_density(&batch[d].observation))
                .collect();
            let marginals = jpda.marginals(&cluster.costs, &log_clutter);
            if !marginals.exact {
                report.jpda_fallbacks += 1;
            }
            for (c, &d) in cluster.cols.iter().enumerate() {
                if marginals.detection.column(c).sum() >= 0.5 {
                    taken[d] = true;
                }
            }
            for (r, &track) in cluster.rows.iter().enumerate() {
                let betas = cluster
                    .cols
                    .iter()
                    .enumerate()
                    .map(|(c, &d)| (d, marginals.detection[(r, c)]))
                    .filter(|&(_, beta)| beta > 0.0)
                    .collect();
                weighted.push(Weighted {
                    track,
                    betas,
                    miss: marginals.miss[r],
                });
            }
        }
        weighted.sort_unstable_by_key(|w| w.track);
        for weights in &weighted {
            self.update_track_jpda(time_s, batch, weights, hit, report)?;
        }
        Ok(())
    }

    /// Updates a track with all its detections by their weights (see `update::collapse`),
    /// at the time of its most probable detection (one source's detections in a scan are
    /// taken at one time); a detection whose innovation cannot be formed counts as outside
    /// the gate (its β goes to β₀). The track counts as hit, takes that detection's class
    /// and count and is reported updated by it when it was detected with probability at
    /// least one half; otherwise it is corrected all the same, and counts as missed.
    fn update_track_jpda(
        &mut self,
        time_s: f64,
        batch: &[Observed<'_>],
        weights: &Weighted,
        hit: &mut [bool],
        report: &mut StepReport,
    ) -> Result<(), TrackingError> {
        let (t, betas, mut miss) = (weights.track, &weights.betas, weights.miss);
        let Some(&(best, _)) = betas.iter().max_by(|a, b| a.1.total_cmp(&b.1)) else {
            return Ok(());
        };
        let observed = &batch[best];
        let prediction = Prediction {
            state: self.carried(&self.tracks[t].state, observed.detection.time_s)?,
        };
        let mut updates = Vec::with_capacity(betas.len());
        for &(d, beta) in betas.iter() {
            match batch[d].observation.innovation(&prediction.state) {
                Ok(innovation) => updates.push((
                    beta,
                    self.updater
                        .update(&prediction, &batch[d].observation, &innovation)?
                        .state,
                )),
                Err(_) => miss += beta,
            }
        }
        let detected: f64 = updates.iter().map(|u| u.0).sum();
        let state = collapse(
            &prediction.state,
            miss,
            updates.iter().map(|(beta, state)| (*beta, state)),
        )?;
        let gating = self.carried_position(&state, time_s)?;
        self.tracks[t].state = state;
        if detected >= 0.5 {
            self.note_hit(t, observed, hit, report);
        }
        self.grid.set(t, &gating);
        self.gating[t] = gating;
        Ok(())
    }

    /// Notes that track `t` took `observed` this scan: its class and count, a hit, and the
    /// update in the report.
    fn note_hit(
        &mut self,
        t: usize,
        observed: &Observed<'_>,
        hit: &mut [bool],
        report: &mut StepReport,
    ) {
        let track = &mut self.tracks[t];
        track.note_attributes(observed.detection);
        hit[t] = true;
        report.updates.push(TrackUpdate {
            track_id: track.id,
            detection_index: observed.index,
            detection_time_s: observed.detection.time_s,
        });
    }

    /// Updates track `t` with a detection the association gave it, at the detection's own
    /// time (the track predicted there from its last update, and its innovation formed
    /// again with the whole state), and moves it in the grid (carried to the scan's time).
    fn update_track(
        &mut self,
        time_s: f64,
        t: usize,
        observed: &Observed<'_>,
        hit: &mut [bool],
        report: &mut StepReport,
    ) -> Result<(), TrackingError> {
        // Carried to the detection's time in place (carrying it there first and on to the
        // scan's time later is the same as carrying it at once), then corrected in place.
        let track = &mut self.tracks[t];
        let dt_s = (observed.detection.time_s - track.state.time_s).max(0.0);
        self.predictor.predict_in_place(&mut track.state, dt_s)?;
        // The gate formed this pair's innovation from the track at the scan's time; should
        // the one at the detection's time fail, the pair counts as outside.
        if self
            .updater
            .update_in_place(&mut track.state, &observed.observation)
            .is_err()
        {
            return Ok(());
        }
        let gating = self.carried_position(&self.tracks[t].state, time_s)?;
        self.note_hit(t, observed, hit, report);
        self.grid.set(t, &gating);
        self.gating[t] = gating;
        Ok(())
    }

    fn initiate(
        &mut self,
        time_s: f64,
        detection: &Detection,
        hit: &mut Vec<bool>,
        report: &mut StepReport,
    ) {
        // Started where and when the detection was taken; carried to the scan's time with
        // the others.
        let Some(mut track) =
            self.initiator
                .initiate(self.next_id, detection, detection.time_s.min(time_s))
        else {
            return;
        };
        if let Some(groups) = self.config.groups {
            track.born_of = groups.born_of(&self.tracks, track.state.pos_enu_m());
        }
        let Ok(gating) = self.carried_position(&track.state, time_s) else {
            return;
        };
        self.next_id += 1;
        report.initiated.push(track.id);
        self.grid.set(self.tracks.len(), &gating);
        self.gating.push(gating);
        self.tracks.push(track);
        hit.push(true);
    }

    /// Counts each track's hit or miss, notes whether a sensor could see it, and confirms
    /// those that pass M-of-N.
    fn close_scan(&mut self, time_s: f64, hit: &[bool], report: &mut StepReport) {
        for (track, &hit) in self.tracks.iter_mut().zip(hit) {
            let since_s = track
                .history
                .back()
                .map_or(0.0, |last| time_s - last.time_s);
            let rate_hz = if hit {
                None
            } else {
                self.coverage.rate_at(&track.state)
            };
            track.note_coverage(hit, rate_hz, since_s);
            track.close_scan(time_s, hit, self.config.history_len);
            if !track.confirmed && self.config.confirmation.is_met(track) {
                track.confirmed = true;
                report.confirmed.push(track.id);
            }
        }
    }

    fn delete(&mut self, time_s: f64, report: &mut StepReport) {
        let (deleter, known) = (self.deleter, self.coverage.is_known());
        self.tracks
            .retain(|track| match deleter.should_delete(track, time_s, known) {
                Some(reason) => {
                    report.deleted.push((track.id, reason));
                    false
                }
                None => true,
            });
    }
}

/// A track's association probabilities from JPDA.
struct Weighted {
    track: usize,
    /// (detection index in the batch, β), for the detections with β > 0.
    betas: Vec<(usize, f64)>,
    /// β₀: the probability that none of them is the track's.
    miss: f64,
}

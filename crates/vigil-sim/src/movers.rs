//! People, vehicles and animals on the ground: each walks its route at its speed, waits where
//! the route says, and loops, or leaves the scene (indoors, out of the area) after the last
//! waypoint's wait. A group walks in file, one member every
//! `spacing_m`. Their true positions are the simulator's ground truth.

use super::flat::{FlatFrame, distance_m};
use super::scenario::{MoverKind, MoverSpec};
use vigil_core::rng::Rng;

/// One mover.
#[derive(Debug, Clone)]
pub struct Mover {
    pub id: String,
    pub kind: MoverKind,
    pub armed: bool,
    pub pos_en_m: [f64; 2],
    pub vel_en_mps: [f64; 2],
    /// Present in the world: its start time has come and it has not left.
    pub active: bool,
    /// Walked a one-way route to its end and left.
    pub gone: bool,
    route_en_m: Vec<[f64; 2]>,
    dwell_s: Vec<f64>,
    speed_mps: f64,
    start_s: f64,
    repeat: bool,
    /// Index of the waypoint last reached.
    leg: usize,
    dwell_left_s: f64,
    /// Random detours (see `MoverSpec::wander_m`) and the one to the next waypoint.
    wander_m: f64,
    detour_en_m: [f64; 2],
    rng: Rng,
}

impl Mover {
    /// The movers a specification describes (one, or a group in file).
    /// The movers a specification describes; `rng` seeds their random detours.
    pub fn from_spec(spec: &MoverSpec, frame: &FlatFrame, rng: &mut Rng) -> Vec<Self> {
        let route_en_m: Vec<[f64; 2]> = spec
            .route
            .iter()
            .map(|w| frame.to_en_m(w.lat_deg, w.lon_deg))
            .collect();
        let dwell_s: Vec<f64> = spec.route.iter().map(|w| w.dwell_s).collect();
        (0..spec.count)
            .map(|index| Self {
                id: if spec.count == 1 {
                    spec.id.clone()
                } else {
                    format!("{}-{}", spec.id, index + 1)
                },
                kind: spec.kind,
                armed: spec.armed,
                pos_en_m: route_en_m[0],
                vel_en_mps: [0.0; 2],
                active: false,
                gone: false,
                route_en_m: route_en_m.clone(),
                dwell_s: dwell_s.clone(),
                speed_mps: spec.speed_mps,
                start_s: spec.start_s + f64::from(index) * spec.spacing_m / spec.speed_mps,
                repeat: spec.repeat,
                leg: 0,
                dwell_left_s: dwell_s[0],
                wander_m: spec.wander_m,
                detour_en_m: [0.0; 2],
                rng: rng.fork(u64::from(index)),
            })
            .collect()
    }

    /// Advances the mover to `elapsed_s` seconds after the scenario's start, by `dt_s`.
    pub fn step(&mut self, elapsed_s: f64, dt_s: f64) {
        if elapsed_s < self.start_s || self.gone {
            return;
        }
        self.active = true;
        self.vel_en_mps = [0.0; 2];
        let mut budget_s = dt_s.min(elapsed_s - self.start_s + dt_s);
        while budget_s > 1e-9 {
            if self.dwell_left_s > 0.0 {
                let wait = self.dwell_left_s.min(budget_s);
                self.dwell_left_s -= wait;
                budget_s -= wait;
                continue;
            }
            let next = self.leg + 1;
            let Some(&waypoint) = self
                .route_en_m
                .get(next)
                .or_else(|| self.repeat.then(|| &self.route_en_m[0]))
            else {
                // The end of a one-way route, its wait over: the mover leaves the scene.
                self.active = false;
                self.gone = true;
                return;
            };
            let goal = [
                waypoint[0] + self.detour_en_m[0],
                waypoint[1] + self.detour_en_m[1],
            ];
            let remaining_m = distance_m(self.pos_en_m, goal);
            let step_m = self.speed_mps * budget_s;
            if remaining_m > step_m {
                let [dx, dy] = [goal[0] - self.pos_en_m[0], goal[1] - self.pos_en_m[1]];
                let scale = step_m / remaining_m;
                self.pos_en_m = [self.pos_en_m[0] + dx * scale, self.pos_en_m[1] + dy * scale];
                self.vel_en_mps = [
                    dx / remaining_m * self.speed_mps,
                    dy / remaining_m * self.speed_mps,
                ];
                return;
            }
            self.pos_en_m = goal;
            budget_s -= remaining_m / self.speed_mps;
            self.leg = if next < self.route_en_m.len() {
                next
            } else {
                0
            };
            self.dwell_left_s = self.dwell_s[self.leg];
            if self.wander_m > 0.0 {
                // Somewhere near the next waypoint (uniform over a disc), and a wait of 50-150%.
                let radius = self.wander_m * self.rng.uniform().sqrt();
                let angle = self.rng.range(0.0, std::f64::consts::TAU);
                self.detour_en_m = [radius * angle.sin(), radius * angle.cos()];
                self.dwell_left_s *= self.rng.range(0.5, 1.5);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::Waypoint;

    fn spec(count: u32, repeat: bool) -> MoverSpec {
        MoverSpec {
            id: "w".into(),
            kind: MoverKind::Person,
            count,
            spacing_m: 5.0,
            speed_mps: 1.0,
            start_s: 10.0,
            repeat,
            armed: false,
            wander_m: 0.0,
            route: vec![
                Waypoint {
                    lat_deg: 0.0,
                    lon_deg: 0.0,
                    dwell_s: 0.0,
                },
                // Set by each test 100 m north of the first.
                Waypoint {
                    lat_deg: 0.0,
                    lon_deg: 0.0,
                    dwell_s: 20.0,
                },
            ],
        }
    }

    #[test]
    fn a_mover_walks_waits_and_leaves_at_the_end() {
        let frame = FlatFrame::new(0.0, 0.0);
        let mut spec = spec(1, false);
        spec.route[1].lat_deg = frame.to_lat_lon_deg([0.0, 100.0]).0;
        let mut mover = Mover::from_spec(&spec, &frame, &mut Rng::new(1)).remove(0);
        let mut t = 0.0;
        let mut step = |mover: &mut Mover, seconds: f64| {
            for _ in 0..(seconds * 10.0).round() as u32 {
                t += 0.1;
                mover.step(t, 0.1);
            }
        };
        step(&mut mover, 9.95);
        assert!(!mover.active, "not before start_s");
        step(&mut mover, 50.0);
        assert!(
            (mover.pos_en_m[1] - 50.0).abs() < 0.2,
            "50 s at 1 m/s: {:?}",
            mover.pos_en_m
        );
        step(&mut mover, 60.0);
        assert!(
            (mover.pos_en_m[1] - 100.0).abs() < 1e-6,
            "waits at the end for its dwell"
        );
        assert!(mover.active);
        step(&mut mover, 20.0);
        assert!(!mover.active && mover.gone, "then leaves");
    }

    #[test]
    fn a_wandering_mover_detours_randomly_but_reproducibly() {
        let frame = FlatFrame::new(0.0, 0.0);
        let mut spec = spec(1, true);
        spec.route[1].lat_deg = frame.to_lat_lon_deg([0.0, 100.0]).0;
        spec.wander_m = 20.0;
        let walk = |seed: u64| {
            let mut mover = Mover::from_spec(&spec, &frame, &mut Rng::new(seed)).remove(0);
            let mut turning_points = Vec::new();
            let mut last_north = 0.0;
            for step in 1..=20_000 {
                mover.step(f64::from(step) * 0.1, 0.1);
                if mover.pos_en_m[1] < last_north
                    && mover.vel_en_mps[1] < 0.0
                    && turning_points.len() < 5
                {
                    turning_points.push(mover.pos_en_m);
                }
                last_north = if mover.vel_en_mps[1] == 0.0 {
                    last_north
                } else {
                    mover.pos_en_m[1]
                };
            }
            (mover.pos_en_m, turning_points)
        };
        let (end_a, turns_a) = walk(1);
        let (end_b, _) = walk(1);
        let (end_c, _) = walk(2);
        assert_eq!(end_a, end_b, "the same seed walks the same way");
        assert_ne!(end_a, end_c, "another seed, another walk");
        assert!(!turns_a.is_empty());
        for point in turns_a {
            assert!(
                distance_m(point, [0.0, 100.0]) <= 20.0 + 1.0,
                "near the far waypoint: {point:?}"
            );
        }
    }

    #[test]
    fn a_group_walks_in_file() {
        let frame = FlatFrame::new(0.0, 0.0);
        let mut spec = spec(3, true);
        spec.route[1].lat_deg = frame.to_lat_lon_deg([0.0, 100.0]).0;
        let mut group = Mover::from_spec(&spec, &frame, &mut Rng::new(1));
        assert_eq!(
            group.iter().map(|m| m.id.as_str()).collect::<Vec<_>>(),
            ["w-1", "w-2", "w-3"]
        );
        for step in 1..=400 {
            for mover in &mut group {
                mover.step(f64::from(step) * 0.1, 0.1);
            }
        }
        // 40 s after t=0: the leader started at 10 s, the others 5 s apart.
        assert!((group[0].pos_en_m[1] - 30.0).abs() < 0.2);
        assert!((group[1].pos_en_m[1] - 25.0).abs() < 0.2);
        assert!((group[2].pos_en_m[1] - 20.0).abs() < 0.2);
    }
}

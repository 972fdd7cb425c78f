//! How targets move between scans: each motion model gives the state transition f(x, dt),
//! its Jacobian and the process noise Q(dt), and nothing else, so that the predictor can be
//! written once for all of them.
//!
//! Both models drive the velocity with continuous white acceleration noise of spectral
//! density `q_accel_m2ps3` on each axis: over a step dt the velocity wanders by
//! sqrt(q dt) m/s and the position by sqrt(q dt³/3) m. Ground targets that walk or drive
//! gently want q near 0.1 to 1; a value near the square of the largest manoeuvre
//! acceleration times the scan interval keeps a turning target inside the gate.

use nalgebra::{DMatrix, DVector, Matrix2, Matrix4, Vector2};

use super::types::PositionBelief;

/// A motion model: state transition, its Jacobian and process noise for a time step.
/// `mean` must have `state_dim()` entries; the predictor checks that before calling.
pub trait MotionModel {
    /// Size of the state vector the model works on.
    fn state_dim(&self) -> usize;
    /// f(x, dt): the state `dt_s` seconds later.
    fn transition(&self, mean: &DVector<f64>, dt_s: f64) -> DVector<f64>;
    /// ∂f/∂x at `mean` (the transition matrix itself for a linear model).
    fn jacobian(&self, mean: &DVector<f64>, dt_s: f64) -> DMatrix<f64>;
    /// Q(dt), the covariance the step adds.
    fn process_noise(&self, dt_s: f64) -> DMatrix<f64>;

    /// Carries `mean` and `covar` `dt_s` seconds forward in place: x' = f(x),
    /// P' = F P Fᵀ + Q, symmetrised. This default forms F and Q as matrices; a model may
    /// write the same without allocating (the tracker carries every track every scan).
    fn predict_in_place(&self, mean: &mut DVector<f64>, covar: &mut DMatrix<f64>, dt_s: f64) {
        predict_by_matrices(self, mean, covar, dt_s);
    }

    /// The position and its covariance `dt_s` seconds after `mean`, `covar`: what
    /// `predict_in_place` would give of them, without the rest (the gate and the spatial grid
    /// need no more). This default predicts a copy of the whole state.
    fn predict_position(
        &self,
        mean: &DVector<f64>,
        covar: &DMatrix<f64>,
        dt_s: f64,
    ) -> PositionBelief {
        position_by_matrices(self, mean, covar, dt_s)
    }
}

/// The position part of `predict_by_matrices` on a copy of the state.
fn position_by_matrices<M: MotionModel + ?Sized>(
    model: &M,
    mean: &DVector<f64>,
    covar: &DMatrix<f64>,
    dt_s: f64,
) -> PositionBelief {
    let (mut mean, mut covar) = (mean.clone(), covar.clone());
    predict_by_matrices(model, &mut mean, &mut covar, dt_s);
    PositionBelief {
        pos_enu_m: Vector2::new(mean[0], mean[1]),
        pos_covar_m2: covar.fixed_view::<2, 2>(0, 0).into_owned(),
    }
}

/// x' = f(x), P' = F P Fᵀ + Q with F and Q formed as matrices (see
/// `MotionModel::predict_in_place`).
fn predict_by_matrices<M: MotionModel + ?Sized>(
    model: &M,
    mean: &mut DVector<f64>,
    covar: &mut DMatrix<f64>,
    dt_s: f64,
) {
    let f = model.jacobian(mean, dt_s);
    let p = &f * &*covar * f.transpose() + model.process_noise(dt_s);
    *mean = model.transition(mean, dt_s);
    *covar = (&p + p.transpose()) * 0.5;
}

/// Constant velocity on `[x_e_m, y_n_m, v_e_mps, v_n_mps]`; linear.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ConstantVelocity {
    /// Spectral density of the white acceleration noise on each axis, m²/s³.
    pub q_accel_m2ps3: f64,
}

impl ConstantVelocity {
    /// The transition matrix F(dt).
    pub fn matrix(dt_s: f64) -> DMatrix<f64> {
        let mut f = DMatrix::identity(4, 4);
        f[(0, 2)] = dt_s;
        f[(1, 3)] = dt_s;
        f
    }
}

/// Q(dt) of white acceleration noise on position and velocity, `[x, y, v_e, v_n]` order,
/// written into the top-left 4x4 of an n x n matrix.
fn cv_noise(q_accel_m2ps3: f64, dt_s: f64, n: usize) -> DMatrix<f64> {
    let (dt2, dt3) = (dt_s * dt_s, dt_s * dt_s * dt_s);
    let mut q = DMatrix::zeros(n, n);
    for axis in 0..2 {
        let (p, v) = (axis, axis + 2);
        q[(p, p)] = q_accel_m2ps3 * dt3 / 3.0;
        q[(p, v)] = q_accel_m2ps3 * dt2 / 2.0;
        q[(v, p)] = q_accel_m2ps3 * dt2 / 2.0;
        q[(v, v)] = q_accel_m2ps3 * dt_s;
    }
    q
}

impl MotionModel for ConstantVelocity {
    fn state_dim(&self) -> usize {
        4
    }

    fn transition(&self, mean: &DVector<f64>, dt_s: f64) -> DVector<f64> {
        Self::matrix(dt_s) * mean
    }

    fn jacobian(&self, _mean: &DVector<f64>, dt_s: f64) -> DMatrix<f64> {
        Self::matrix(dt_s)
    }

    fn process_noise(&self, dt_s: f64) -> DMatrix<f64> {
        cv_noise(self.q_accel_m2ps3, dt_s, 4)
    }

    // The same products as the default, in fixed-size matrices on the stack: no allocation.
    fn predict_in_place(&self, mean: &mut DVector<f64>, covar: &mut DMatrix<f64>, dt_s: f64) {
        if mean.len() != 4 || covar.shape() != (4, 4) {
            // Not this model's state: the matrices say what they say (the predictor checks
            // the dimensions before it calls).
            return predict_by_matrices(self, mean, covar, dt_s);
        }
        let f = Matrix4::new(
            1.0, 0.0, dt_s, 0.0, //
            0.0, 1.0, 0.0, dt_s, //
            0.0, 0.0, 1.0, 0.0, //
            0.0, 0.0, 0.0, 1.0,
        );
        let p = Matrix4::from_column_slice(covar.as_slice());
        let p = f * p * f.transpose() + self.noise4(dt_s);
        covar.copy_from_slice(((p + p.transpose()) * 0.5).as_slice());
        mean[0] += mean[2] * dt_s;
        mean[1] += mean[3] * dt_s;
    }

    // P'_pp = P_pp + dt (P_pv + P_vp) + dt² P_vv + Q_pp: the position block of F P Fᵀ + Q.
    fn predict_position(
        &self,
        mean: &DVector<f64>,
        covar: &DMatrix<f64>,
        dt_s: f64,
    ) -> PositionBelief {
        if mean.len() != 4 || covar.shape() != (4, 4) {
            return position_by_matrices(self, mean, covar, dt_s);
        }
        let block = |r: usize, c: usize| covar.fixed_view::<2, 2>(r, c).into_owned();
        let q_pos = self.q_accel_m2ps3 * dt_s * dt_s * dt_s / 3.0;
        let p = block(0, 0)
            + (block(0, 2) + block(2, 0)) * dt_s
            + block(2, 2) * (dt_s * dt_s)
            + Matrix2::identity() * q_pos;
        PositionBelief {
            pos_enu_m: Vector2::new(mean[0] + mean[2] * dt_s, mean[1] + mean[3] * dt_s),
            pos_covar_m2: (p + p.transpose()) * 0.5,
        }
    }
}

impl ConstantVelocity {
    /// Q(dt) as a fixed-size matrix (see `cv_noise`).
    fn noise4(&self, dt_s: f64) -> Matrix4<f64> {
        let q = self.q_accel_m2ps3;
        let (pp, pv, vv) = (
            q * dt_s * dt_s * dt_s / 3.0,
            q * dt_s * dt_s / 2.0,
            q * dt_s,
        );
        Matrix4::new(
            pp, 0.0, pv, 0.0, //
            0.0, pp, 0.0, pv, //
            pv, 0.0, vv, 0.0, //
            0.0, pv, 0.0, vv,
        )
    }
}

/// Coordinated turn on `[x_e_m, y_n_m, v_e_mps, v_n_mps, omega_radps]`: the velocity turns
/// at a constant rate omega, positive counter-clockwise seen from above (from east towards
/// north, so a positive omega makes the bearing of travel decrease). Nonlinear in omega.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CoordinatedTurn {
    /// Spectral density of the white acceleration noise on each axis, m²/s³.
    pub q_accel_m2ps3: f64,
    /// Spectral density of the white noise driving the turn rate, rad²/s³.
    pub q_turn_rad2ps3: f64,
}

/// Below this |omega dt| the turn terms use their Taylor series, where the closed forms
/// would divide by nearly zero.
const SMALL_TURN_RAD: f64 = 1e-3;

/// The turn coefficients for rate `omega` over `dt`: a = sin(ωT)/ω, b = (1 − cos(ωT))/ω and
/// their derivatives with respect to ω.
struct TurnTerms {
    sin: f64,
    cos: f64,
    a: f64,
    b: f64,
    da: f64,
    db: f64,
}

impl TurnTerms {
    fn new(omega: f64, dt: f64) -> Self {
        if (omega * dt).abs() < SMALL_TURN_RAD {
            Self::series(omega, dt)
        } else {
            Self::closed(omega, dt)
        }
    }

    fn closed(omega: f64, dt: f64) -> Self {
        let (sin, cos) = (omega * dt).sin_cos();
        let w2 = omega * omega;
        Self {
            sin,
            cos,
            a: sin / omega,
            b: (1.0 - cos) / omega,
            da: (dt * cos * omega - sin) / w2,
            db: (dt * sin * omega - (1.0 - cos)) / w2,
        }
    }

    fn series(omega: f64, dt: f64) -> Self {
        let theta = omega * dt;
        let (sin, cos) = theta.sin_cos();
        let t2 = theta * theta;
        Self {
            sin,
            cos,
            a: dt * (1.0 - t2 / 6.0 + t2 * t2 / 120.0),
            b: dt * theta * (0.5 - t2 / 24.0 + t2 * t2 / 720.0),
            da: dt * dt * theta * (-1.0 / 3.0 + t2 / 30.0),
            db: dt * dt * (0.5 - t2 / 8.0 + t2 * t2 / 144.0),
        }
    }
}

impl MotionModel for CoordinatedTurn {
    fn state_dim(&self) -> usize {
        5
    }

    fn transition(&self, mean: &DVector<f64>, dt_s: f64) -> DVector<f64> {
        let (x, y, ve, vn, omega) = (mean[0], mean[1], mean[2], mean[3], mean[4]);
        let t = TurnTerms::new(omega, dt_s);
        DVector::from_vec(vec![
            x + t.a * ve - t.b * vn,
            y + t.b * ve + t.a * vn,
            t.cos * ve - t.sin * vn,
            t.sin * ve + t.cos * vn,
            omega,
        ])
    }

    fn jacobian(&self, mean: &DVector<f64>, dt_s: f64) -> DMatrix<f64> {
        let (ve, vn, omega) = (mean[2], mean[3], mean[4]);
        let t = TurnTerms::new(omega, dt_s);
        #[rustfmt::skip]
        let jacobian = DMatrix::from_row_slice(5, 5, &[
            1.0, 0.0, t.a,    -t.b,   t.da * ve - t.db * vn,
            0.0, 1.0, t.b,     t.a,   t.db * ve + t.da * vn,
            0.0, 0.0, t.cos,  -t.sin, -dt_s * (t.sin * ve + t.cos * vn),
            0.0, 0.0, t.sin,   t.cos,  dt_s * (t.cos * ve - t.sin * vn),
            0.0, 0.0, 0.0,     0.0,    1.0,
        ]);
        jacobian
    }

    fn process_noise(&self, dt_s: f64) -> DMatrix<f64> {
        let mut q = cv_noise(self.q_accel_m2ps3, dt_s, 5);
        q[(4, 4)] = self.q_turn_rad2ps3 * dt_s;
        q
    }
}

/// The motion models the tracker can be configured with.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Motion {
    /// Constant velocity, four states.
    ConstantVelocity(ConstantVelocity),
    /// Coordinated turn, five states.
    CoordinatedTurn(CoordinatedTurn),
}

impl Motion {
    fn model(&self) -> &dyn MotionModel {
        match self {
            Self::ConstantVelocity(m) => m,
            Self::CoordinatedTurn(m) => m,
        }
    }
}

impl MotionModel for Motion {
    fn state_dim(&self) -> usize {
        self.model().state_dim()
    }

    fn transition(&self, mean: &DVector<f64>, dt_s: f64) -> DVector<f64> {
        self.model().transition(mean, dt_s)
    }

    fn jacobian(&self, mean: &DVector<f64>, dt_s: f64) -> DMatrix<f64> {
        self.model().jacobian(mean, dt_s)
    }

    fn process_noise(&self, dt_s: f64) -> DMatrix<f64> {
        self.model().process_noise(dt_s)
    }

    fn predict_in_place(&self, mean: &mut DVector<f64>, covar: &mut DMatrix<f64>, dt_s: f64) {
        self.model().predict_in_place(mean, covar, dt_s);
    }

    fn predict_position(
        &self,
        mean: &DVector<f64>,
        covar: &DMatrix<f64>,
        dt_s: f64,
    ) -> PositionBelief {
        self.model().predict_position(mean, covar, dt_s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CT: CoordinatedTurn = CoordinatedTurn {
        q_accel_m2ps3: 0.5,
        q_turn_rad2ps3: 0.01,
    };

    #[test]
    fn cv_noise_is_the_white_acceleration_matrix() {
        let q = ConstantVelocity { q_accel_m2ps3: 3.0 }.process_noise(2.0);
        // q dt³/3 = 8, q dt²/2 = 6, q dt = 6.
        assert_eq!(q[(0, 0)], 8.0);
        assert_eq!(q[(1, 1)], 8.0);
        assert_eq!(q[(0, 2)], 6.0);
        assert_eq!(q[(3, 1)], 6.0);
        assert_eq!(q[(2, 2)], 6.0);
        assert_eq!(q[(0, 1)], 0.0);
        assert_eq!(q[(2, 3)], 0.0);
    }

    /// The default `predict_in_place` and `predict_position`, through matrices, for `model`.
    struct ByMatrices<'a>(&'a dyn MotionModel);

    impl MotionModel for ByMatrices<'_> {
        fn state_dim(&self) -> usize {
            self.0.state_dim()
        }
        fn transition(&self, mean: &DVector<f64>, dt_s: f64) -> DVector<f64> {
            self.0.transition(mean, dt_s)
        }
        fn jacobian(&self, mean: &DVector<f64>, dt_s: f64) -> DMatrix<f64> {
            self.0.jacobian(mean, dt_s)
        }
        fn process_noise(&self, dt_s: f64) -> DMatrix<f64> {
            self.0.process_noise(dt_s)
        }
    }

    #[test]
    fn cv_on_the_stack_predicts_what_the_matrices_do() {
        let cv = ConstantVelocity { q_accel_m2ps3: 0.7 };
        let mean = DVector::from_vec(vec![1200.0, -350.0, 1.4, -0.6]);
        #[rustfmt::skip]
        let covar = DMatrix::from_row_slice(4, 4, &[
            25.0, 3.0, 4.0, 0.5,
            3.0, 16.0, 0.2, 2.0,
            4.0, 0.2, 2.0, 0.1,
            0.5, 2.0, 0.1, 1.5,
        ]);
        for dt_s in [0.0, 0.4, 1.0, 7.5] {
            let (mut m1, mut p1) = (mean.clone(), covar.clone());
            let (mut m2, mut p2) = (mean.clone(), covar.clone());
            cv.predict_in_place(&mut m1, &mut p1, dt_s);
            ByMatrices(&cv).predict_in_place(&mut m2, &mut p2, dt_s);
            assert!((&m1 - &m2).abs().max() < 1e-9, "dt {dt_s}: {m1} vs {m2}");
            assert!((&p1 - &p2).abs().max() < 1e-9, "dt {dt_s}: {p1} vs {p2}");
            let fast = cv.predict_position(&mean, &covar, dt_s);
            let slow = ByMatrices(&cv).predict_position(&mean, &covar, dt_s);
            assert!((fast.pos_enu_m - slow.pos_enu_m).abs().max() < 1e-9);
            assert!((fast.pos_covar_m2 - slow.pos_covar_m2).abs().max() < 1e-9);
            assert_eq!(fast.pos_enu_m, Vector2::new(m1[0], m1[1]));
        }
    }

    #[test]
    fn ct_quarter_turn_moves_on_the_circle() {
        // 10 m/s east, turning left at pi/20 rad/s for 10 s: a quarter circle of radius
        // 10/(pi/20) = 63.66 m, ending heading north at (r, r).
        let omega = std::f64::consts::PI / 20.0;
        let mean = DVector::from_vec(vec![0.0, 0.0, 10.0, 0.0, omega]);
        let next = CT.transition(&mean, 10.0);
        let r = 10.0 / omega;
        assert!((next[0] - r).abs() < 1e-9, "{next}");
        assert!((next[1] - r).abs() < 1e-9, "{next}");
        assert!(
            next[2].abs() < 1e-9 && (next[3] - 10.0).abs() < 1e-9,
            "{next}"
        );
    }

    fn assert_jacobian_matches_finite_differences(mean: &DVector<f64>, dt: f64) {
        let jacobian = CT.jacobian(mean, dt);
        let h = 1e-6;
        for col in 0..5 {
            let mut up = mean.clone();
            let mut down = mean.clone();
            up[col] += h;
            down[col] -= h;
            let numeric = (CT.transition(&up, dt) - CT.transition(&down, dt)) / (2.0 * h);
            for row in 0..5 {
                let diff = (numeric[row] - jacobian[(row, col)]).abs();
                assert!(diff < 1e-5, "({row},{col}): {numeric} vs {jacobian}");
            }
        }
    }

    #[test]
    fn ct_jacobian_matches_finite_differences_turning_and_straight() {
        let turning = DVector::from_vec(vec![5.0, -3.0, 7.0, -2.0, 0.2]);
        assert_jacobian_matches_finite_differences(&turning, 1.5);
        // omega dt inside the Taylor branch.
        let straight = DVector::from_vec(vec![5.0, -3.0, 7.0, -2.0, 1e-5]);
        assert_jacobian_matches_finite_differences(&straight, 1.5);
    }

    #[test]
    fn ct_series_and_closed_forms_agree_at_the_threshold() {
        let dt = 2.0;
        let omega = SMALL_TURN_RAD / dt;
        let series = TurnTerms::series(omega, dt);
        let closed = TurnTerms::closed(omega, dt);
        // a ≈ 2, b ≈ 1e-3, da ≈ −1.3e-3, db ≈ 2: agreement to 1e-9 of dt² at least.
        assert!((series.a - closed.a).abs() < 1e-12, "a");
        assert!((series.b - closed.b).abs() < 1e-12, "b");
        assert!((series.da - closed.da).abs() < 1e-9, "da");
        assert!((series.db - closed.db).abs() < 1e-9, "db");
    }
}

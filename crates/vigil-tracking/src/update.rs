//! Corrects a prediction with one measurement: the (extended) Kalman update with the
//! covariance in Joseph form, (I − K H) P (I − K H)ᵀ + K R Kᵀ, which stays symmetric and
//! positive definite under rounding where the short form (I − K H) P can drift out of it.

use nalgebra::{DMatrix, DVector, Matrix2, SMatrix, SVector};

use super::error::TrackingError;
use super::measure::{Linearised, Observation};
use super::types::{GaussianState, Innovation, Prediction, Update};

/// Turns a prediction and a measurement into an update.
pub trait Updater {
    /// The posterior of `prediction` given `observation`; `innovation` is
    /// `observation.innovation(&prediction.state)`, computed once for gating and reused.
    fn update(
        &self,
        prediction: &Prediction,
        observation: &Observation,
        innovation: &Innovation,
    ) -> Result<Update, TrackingError>;
}

/// The (extended) Kalman updater.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct KalmanUpdater;

impl Updater for KalmanUpdater {
    fn update(
        &self,
        prediction: &Prediction,
        observation: &Observation,
        innovation: &Innovation,
    ) -> Result<Update, TrackingError> {
        let prior = &prediction.state;
        prior.check_dims()?;
        observation.check_dims()?;
        let (n, m) = (prior.dim(), observation.model.dim());
        let fits = innovation.jacobian.shape() == (m, n)
            && innovation.residual.len() == m
            && innovation.covar_inv.shape() == (m, m);
        if !fits {
            return Err(TrackingError::DimensionMismatch {
                expected: n,
                got: innovation.jacobian.ncols(),
            });
        }
        let h = &innovation.jacobian;
        let gain = &prior.covar * h.transpose() * &innovation.covar_inv;
        let mean = &prior.mean + &gain * &innovation.residual;
        let a = DMatrix::identity(n, n) - &gain * h;
        let covar =
            &a * &prior.covar * a.transpose() + &gain * &observation.noise_covar * gain.transpose();
        Ok(Update {
            state: GaussianState {
                mean,
                covar: (&covar + covar.transpose()) * 0.5,
                time_s: prior.time_s,
            },
            innovation: innovation.clone(),
        })
    }
}

impl KalmanUpdater {
    /// Corrects `state` with `observation` in place, at the state's own time: the update of
    /// [`Updater::update`] with the innovation formed from `state`, worked in fixed-size
    /// matrices on the stack for the tracker's states (4 and 5 entries; others go through
    /// `update`). On an error (an innovation that cannot be formed, a singular S) `state`
    /// is unchanged.
    pub fn update_in_place(
        &self,
        state: &mut GaussianState,
        observation: &Observation,
    ) -> Result<(), TrackingError> {
        state.check_dims()?;
        observation.check_dims()?;
        let linearised = observation.linearise(state.pos_enu_m())?;
        match (state.dim(), linearised) {
            (4, Linearised::Position { residual, noise }) => {
                update_fixed::<4, 2>(state, Matrix2::identity(), residual, noise)
            }
            (4, Linearised::Two { h, residual, noise }) => {
                update_fixed::<4, 2>(state, h, residual, noise)
            }
            (4, Linearised::One { h, residual, noise }) => {
                update_fixed::<4, 1>(state, h, residual, noise)
            }
            (5, Linearised::Position { residual, noise }) => {
                update_fixed::<5, 2>(state, Matrix2::identity(), residual, noise)
            }
            (5, Linearised::Two { h, residual, noise }) => {
                update_fixed::<5, 2>(state, h, residual, noise)
            }
            (5, Linearised::One { h, residual, noise }) => {
                update_fixed::<5, 1>(state, h, residual, noise)
            }
            _ => {
                let innovation = observation.innovation(state)?;
                let prediction = Prediction {
                    state: state.clone(),
                };
                *state = self.update(&prediction, observation, &innovation)?.state;
                Ok(())
            }
        }
    }
}

/// The Kalman update of an N-state with an M-component measurement whose Jacobian is
/// `h_pos` over the position and zero elsewhere, as `KalmanUpdater::update` forms it (S
/// symmetrised and factorised by Cholesky, the gain with S⁻¹, the covariance in Joseph
/// form, symmetrised), on the stack. `state` is N long (the caller matched it).
fn update_fixed<const N: usize, const M: usize>(
    state: &mut GaussianState,
    h_pos: SMatrix<f64, M, 2>,
    residual: SVector<f64, M>,
    noise: SMatrix<f64, M, M>,
) -> Result<(), TrackingError> {
    let p = SMatrix::<f64, N, N>::from_column_slice(state.covar.as_slice());
    let mut h = SMatrix::<f64, M, N>::zeros();
    h.fixed_view_mut::<M, 2>(0, 0).copy_from(&h_pos);
    let s = h * p * h.transpose() + noise;
    let s = (s + s.transpose()) * 0.5;
    let cholesky = s.cholesky().ok_or(TrackingError::SingularInnovation)?;
    if !residual.dot(&cholesky.solve(&residual)).is_finite() {
        return Err(TrackingError::SingularInnovation);
    }
    let gain = p * h.transpose() * cholesky.inverse();
    let a = SMatrix::<f64, N, N>::identity() - gain * h;
    let covar = a * p * a.transpose() + gain * noise * gain.transpose();
    let covar = (covar + covar.transpose()) * 0.5;
    let correction = gain * residual;
    for (x, dx) in state.mean.iter_mut().zip(correction.iter()) {
        *x += dx;
    }
    state.covar.copy_from_slice(covar.as_slice());
    Ok(())
}

/// The JPDA (and PDA) posterior of a track: the mixture of its prediction, weighted by β₀
/// (no detection was its), and of each detection's Kalman update, weighted by that
/// detection's β, collapsed to the one Gaussian with the same mean and covariance. The
/// covariance is β₀ P̂ + Σ β_j P_j plus the spread of the means about theirs,
/// Σ β_j d_j d_jᵀ − δ δᵀ with d_j = x_j − x̂ and δ = Σ β_j d_j (kept relative to x̂, so that
/// positions of thousands of metres lose nothing to rounding). When every detection shares
/// one innovation covariance S (one sensor's positions) this is Bar-Shalom's PDA update
/// exactly: x = x̂ + K ν with ν = Σ β_j ν_j, and P = β₀ P̂ + (1 − β₀) P_c +
/// K (Σ β_j ν_j ν_jᵀ − ν νᵀ) Kᵀ. The weights are normalised by their sum (they are
/// marginals, which sum to one up to rounding); a sum that is not positive and finite is an
/// error.
pub fn collapse<'a>(
    prediction: &GaussianState,
    miss: f64,
    updates: impl IntoIterator<Item = (f64, &'a GaussianState)>,
) -> Result<GaussianState, TrackingError> {
    prediction.check_dims()?;
    let n = prediction.dim();
    let mut delta = DVector::zeros(n);
    let mut covar = &prediction.covar * miss;
    let mut total = miss;
    for (weight, state) in updates {
        state.check_dims()?;
        if state.dim() != n {
            return Err(TrackingError::DimensionMismatch {
                expected: n,
                got: state.dim(),
            });
        }
        let d = &state.mean - &prediction.mean;
        covar += (&state.covar + &d * d.transpose()) * weight;
        delta += d * weight;
        total += weight;
    }
    if !(total.is_finite() && total > 0.0) {
        return Err(TrackingError::InvalidConfig(
            "association weights must sum to a positive number",
        ));
    }
    covar /= total;
    delta /= total;
    covar -= &delta * delta.transpose();
    Ok(GaussianState {
        mean: &prediction.mean + delta,
        covar: (&covar + covar.transpose()) * 0.5,
        time_s: prediction.time_s,
    })
}

#[cfg(test)]
mod tests {
    use nalgebra::Vector2;

    use super::*;
    use crate::measure::MeasurementModel;
    use crate::motion::ConstantVelocity;
    use crate::predict::{KalmanPredictor, Predictor};

    fn prediction(mean: &[f64], covar: DMatrix<f64>) -> Prediction {
        Prediction {
            state: GaussianState::new(DVector::from_column_slice(mean), covar, 5.0).expect("state"),
        }
    }

    fn update(prediction: &Prediction, observation: &Observation) -> Update {
        let innovation = observation
            .innovation(&prediction.state)
            .expect("innovation");
        KalmanUpdater
            .update(prediction, observation, &innovation)
            .expect("update")
    }

    #[test]
    fn position_update_matches_hand_computation() {
        // Position variance 4 on x, 9 on y, velocity 1, x-vx covariance 1; measurement
        // variance 1 on each axis at (2, -3) against a prediction at the origin.
        #[rustfmt::skip]
        let covar = DMatrix::from_row_slice(4, 4, &[
            4.0, 0.0, 1.0, 0.0,
            0.0, 9.0, 0.0, 0.0,
            1.0, 0.0, 1.0, 0.0,
            0.0, 0.0, 0.0, 1.0,
        ]);
        let pred = prediction(&[0.0, 0.0, 1.0, 0.0], covar);
        let obs = Observation {
            model: MeasurementModel::Position,
            z: DVector::from_vec(vec![2.0, -3.0]),
            noise_covar: DMatrix::identity(2, 2),
        };
        let up = update(&pred, &obs);
        // S = diag(5, 10); d² = 4/5 + 9/10 = 1.7.
        assert!((up.innovation.mahalanobis_sq - 1.7).abs() < 1e-12);
        // K x-column = (4/5, 0, 1/5, 0), y-column = (0, 9/10, 0, 0).
        // Mean: x = 0.8·2 = 1.6, y = 0.9·(−3) = −2.7, vx = 1 + 0.2·2 = 1.4, vy = 0.
        let expected_mean = [1.6, -2.7, 1.4, 0.0];
        for (got, want) in up.state.mean.iter().zip(expected_mean) {
            assert!((got - want).abs() < 1e-12, "{}", up.state.mean);
        }
        // P⁺ = P − K S Kᵀ: x 4 − 16/5 = 0.8, x-vx 1 − 4/5 = 0.2, vx 1 − 1/5 = 0.8,
        // y 9 − 81/10 = 0.9, vy unchanged 1.
        #[rustfmt::skip]
        let expected = DMatrix::from_row_slice(4, 4, &[
            0.8, 0.0, 0.2, 0.0,
            0.0, 0.9, 0.0, 0.0,
            0.2, 0.0, 0.8, 0.0,
            0.0, 0.0, 0.0, 1.0,
        ]);
        assert!(
            (&up.state.covar - expected).abs().max() < 1e-12,
            "{}",
            up.state.covar
        );
        assert_eq!(up.state.time_s, 5.0);
    }

    #[test]
    fn one_dimensional_bearing_update_moves_towards_the_measurement() {
        // Target due north at 100 m; bearing measured 0.01 rad east of north, σ 0.01 rad.
        // H = [1/100, 0, 0, 0] (d = (0, 100): ∂θ/∂x = 100/100²), P_xx = 1 ⇒
        // S = 1e-4 + 1e-4 = 2e-4, K_x = 1·0.01/2e-4 = 50, x⁺ = 50·0.01 = 0.5,
        // P_xx⁺ = 1 − 50·0.01 = 0.5.
        let pred = prediction(&[0.0, 100.0, 0.0, 0.0], DMatrix::identity(4, 4));
        let obs = Observation {
            model: MeasurementModel::Bearing {
                sensor_pos_enu_m: Vector2::zeros(),
            },
            z: DVector::from_element(1, 0.01),
            noise_covar: DMatrix::from_element(1, 1, 1e-4),
        };
        let up = update(&pred, &obs);
        assert!((up.state.mean[0] - 0.5).abs() < 1e-9, "{}", up.state.mean);
        assert!((up.state.mean[1] - 100.0).abs() < 1e-9);
        assert!((up.state.covar[(0, 0)] - 0.5).abs() < 1e-9);
        assert!((up.state.covar[(1, 1)] - 1.0).abs() < 1e-9);
    }

    #[test]
    fn joseph_form_stays_symmetric_positive_semidefinite_when_rounding_bites() {
        // Position variances of 1e12 m², correlated at 0.999, measured to 1e-3 m, then
        // predicted a second on without process noise, ten times over. In exact arithmetic
        // every covariance is positive definite; in floating point the short form
        // (I − K H) P has an eigenvalue of −0.07 after the first update. The eigen solver's
        // accuracy for entries of 1e12 is about 1e-4, so "not below −1e-3" is what can be
        // asked.
        let scale = 1e12;
        #[rustfmt::skip]
        let covar = DMatrix::from_row_slice(4, 4, &[
            scale,         0.999 * scale, 1e3, 1e2,
            0.999 * scale, scale,         1e2, 1e3,
            1e3,           1e2,           1e2, 1.0,
            1e2,           1e3,           1.0, 1e2,
        ]);
        let mut pred = prediction(&[10.0, 20.0, 1.0, 1.0], covar);
        let obs = Observation {
            model: MeasurementModel::Position,
            z: DVector::from_vec(vec![11.0, 19.0]),
            noise_covar: DMatrix::identity(2, 2) * 1e-6,
        };
        let predictor = KalmanPredictor {
            model: ConstantVelocity { q_accel_m2ps3: 0.0 },
        };
        for round in 0..10 {
            let up = update(&pred, &obs);
            let p = &up.state.covar;
            assert_eq!(p, &p.transpose(), "not symmetric");
            let smallest = p.clone().symmetric_eigen().eigenvalues.min();
            assert!(smallest > -1e-3, "round {round}: eigenvalue {smallest}");
            pred = predictor.predict(&up.state, 1.0).expect("valid step");
            let smallest = pred.state.covar.clone().symmetric_eigen().eigenvalues.min();
            assert!(
                smallest > -1e-3,
                "round {round}: predicted eigenvalue {smallest}"
            );
        }
    }

    #[test]
    fn the_update_on_the_stack_is_the_matrices_update_for_every_model_and_state_size() {
        let sensor = Vector2::new(-300.0, 150.0);
        let observations = [
            Observation {
                model: MeasurementModel::Position,
                z: DVector::from_vec(vec![103.0, -47.5]),
                noise_covar: DMatrix::from_row_slice(2, 2, &[4.0, 0.5, 0.5, 2.0]),
            },
            Observation {
                model: MeasurementModel::RangeBearing {
                    sensor_pos_enu_m: sensor,
                },
                z: DVector::from_vec(vec![455.0, 2.03]),
                noise_covar: DMatrix::from_diagonal(&DVector::from_vec(vec![9.0, 1e-4])),
            },
            Observation {
                model: MeasurementModel::Bearing {
                    sensor_pos_enu_m: sensor,
                },
                z: DVector::from_element(1, 2.04),
                noise_covar: DMatrix::from_element(1, 1, 4e-4),
            },
        ];
        #[rustfmt::skip]
        let covar4 = DMatrix::from_row_slice(4, 4, &[
            25.0, 3.0, 4.0, 0.5,
            3.0, 16.0, 0.2, 2.0,
            4.0, 0.2, 2.0, 0.1,
            0.5, 2.0, 0.1, 1.5,
        ]);
        let mut covar5 = DMatrix::identity(5, 5) * 0.01;
        covar5.view_mut((0, 0), (4, 4)).copy_from(&covar4);
        covar5[(0, 4)] = 0.02;
        covar5[(4, 0)] = 0.02;
        let priors = [
            prediction(&[100.0, -50.0, 1.0, 2.0], covar4),
            prediction(&[100.0, -50.0, 1.0, 2.0, 0.05], covar5),
        ];
        for prior in &priors {
            for observation in &observations {
                let by_matrices = update(prior, observation).state;
                let mut on_stack = prior.state.clone();
                KalmanUpdater
                    .update_in_place(&mut on_stack, observation)
                    .expect("update");
                let mean_off = (&on_stack.mean - &by_matrices.mean).abs().max();
                let covar_off = (&on_stack.covar - &by_matrices.covar).abs().max();
                assert!(
                    mean_off < 1e-9,
                    "{:?}: mean off by {mean_off}",
                    observation.model
                );
                assert!(
                    covar_off < 1e-9,
                    "{:?}: covar off by {covar_off}",
                    observation.model
                );
                assert_eq!(on_stack.time_s, prior.state.time_s);
            }
        }
        // A target on an angle-measuring sensor: an error, and the state as it was.
        let mut on_sensor = priors[0].state.clone();
        on_sensor.mean[0] = sensor.x;
        on_sensor.mean[1] = sensor.y;
        let before = on_sensor.clone();
        assert!(
            KalmanUpdater
                .update_in_place(&mut on_sensor, &observations[2])
                .is_err()
        );
        assert_eq!(on_sensor, before);
    }

    #[test]
    fn collapse_is_the_pda_update_when_detections_share_s() {
        // Two position detections of one sensor around a prediction, β₀ = 0.2, β = 0.5 and
        // 0.3: the collapsed mixture must be Bar-Shalom's closed form.
        #[rustfmt::skip]
        let covar = DMatrix::from_row_slice(4, 4, &[
            4.0, 0.5, 1.0, 0.0,
            0.5, 9.0, 0.0, 2.0,
            1.0, 0.0, 1.0, 0.0,
            0.0, 2.0, 0.0, 3.0,
        ]);
        let pred = prediction(&[100.0, -50.0, 1.0, 2.0], covar.clone());
        let observation = |x: f64, y: f64| Observation {
            model: MeasurementModel::Position,
            z: DVector::from_vec(vec![x, y]),
            noise_covar: DMatrix::identity(2, 2) * 2.0,
        };
        let (o1, o2) = (observation(102.0, -49.0), observation(97.0, -53.0));
        let (u1, u2) = (update(&pred, &o1), update(&pred, &o2));
        let (b0, b1, b2) = (0.2, 0.5, 0.3);
        let got = collapse(&pred.state, b0, [(b1, &u1.state), (b2, &u2.state)]).expect("sum");
        // Closed form.
        let h = DMatrix::from_row_slice(2, 4, &[1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0]);
        let s = &h * &covar * h.transpose() + DMatrix::identity(2, 2) * 2.0;
        let k = &covar * h.transpose() * s.clone().try_inverse().expect("invertible");
        let n1 = DVector::from_vec(vec![2.0, 1.0]);
        let n2 = DVector::from_vec(vec![-3.0, -3.0]);
        let nu = &n1 * b1 + &n2 * b2;
        let mean = &pred.state.mean + &k * &nu;
        let p_c = &covar - &k * &s * k.transpose();
        let spread = &n1 * n1.transpose() * b1 + &n2 * n2.transpose() * b2 - &nu * nu.transpose();
        let expected = &covar * b0 + p_c * (1.0 - b0) + &k * spread * k.transpose();
        assert!((&got.mean - mean).abs().max() < 1e-9, "{}", got.mean);
        assert!(
            (&got.covar - &expected).abs().max() < 1e-9,
            "{} vs {expected}",
            got.covar
        );
        // All weight on one detection is its Kalman update; all on none, the prediction.
        let one = collapse(&pred.state, 0.0, [(1.0, &u1.state), (0.0, &u2.state)]).expect("sum");
        assert!((&one.mean - &u1.state.mean).abs().max() < 1e-12);
        assert!((&one.covar - &u1.state.covar).abs().max() < 1e-12);
        let none = collapse(&pred.state, 1.0, [(0.0, &u1.state)]).expect("sum");
        assert!((&none.covar - &covar).abs().max() < 1e-12);
        assert!(collapse(&pred.state, 0.0, [(0.0, &u1.state)]).is_err());
    }

    #[test]
    fn a_wrong_sized_innovation_is_refused() {
        let pred = prediction(&[0.0; 4], DMatrix::identity(4, 4));
        let obs = Observation {
            model: MeasurementModel::Position,
            z: DVector::zeros(2),
            noise_covar: DMatrix::identity(2, 2),
        };
        let five =
            GaussianState::new(DVector::zeros(5), DMatrix::identity(5, 5), 0.0).expect("state");
        let innovation = obs.innovation(&five).expect("innovation");
        assert!(matches!(
            KalmanUpdater.update(&pred, &obs, &innovation),
            Err(TrackingError::DimensionMismatch { .. })
        ));
    }
}

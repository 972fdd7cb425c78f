//! Carries a belief forward in time: the Kalman prediction x' = f(x), P' = F P Fᵀ + Q with
//! F the motion model's Jacobian. For the linear constant-velocity model F is the transition
//! matrix and this is the Kalman filter's prediction exactly; for the coordinated turn it is
//! the extended Kalman filter's.

use super::error::TrackingError;
use super::motion::MotionModel;
use super::types::{GaussianState, PositionBelief, Prediction};

/// Predicts a state forward by a time step.
pub trait Predictor {
    /// The state `dt_s` seconds after `prior`. `dt_s` must be finite and not negative: a
    /// process noise for a negative step would not be a covariance.
    fn predict(&self, prior: &GaussianState, dt_s: f64) -> Result<Prediction, TrackingError>;

    /// `state` carried `dt_s` seconds forward in place, as [`Predictor::predict`] gives it;
    /// on an error `state` is unchanged.
    fn predict_in_place(&self, state: &mut GaussianState, dt_s: f64) -> Result<(), TrackingError> {
        *state = self.predict(state, dt_s)?.state;
        Ok(())
    }

    /// The position and its covariance of `prior` carried `dt_s` seconds forward.
    fn predict_position(
        &self,
        prior: &GaussianState,
        dt_s: f64,
    ) -> Result<PositionBelief, TrackingError> {
        Ok(self.predict(prior, dt_s)?.state.position_belief())
    }
}

/// The (extended) Kalman predictor over a motion model.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KalmanPredictor<M> {
    /// The motion model.
    pub model: M,
}

impl<M: MotionModel> KalmanPredictor<M> {
    /// Refuses a step that is negative or not finite, and a state not of the model's size.
    fn check(&self, prior: &GaussianState, dt_s: f64) -> Result<(), TrackingError> {
        if !(dt_s.is_finite() && dt_s >= 0.0) {
            return Err(TrackingError::InvalidTimeStep(dt_s));
        }
        prior.check_dims()?;
        let n = self.model.state_dim();
        if prior.dim() != n {
            return Err(TrackingError::DimensionMismatch {
                expected: n,
                got: prior.dim(),
            });
        }
        Ok(())
    }
}

impl<M: MotionModel> Predictor for KalmanPredictor<M> {
    fn predict(&self, prior: &GaussianState, dt_s: f64) -> Result<Prediction, TrackingError> {
        let mut state = prior.clone();
        self.predict_in_place(&mut state, dt_s)?;
        Ok(Prediction { state })
    }

    fn predict_in_place(&self, state: &mut GaussianState, dt_s: f64) -> Result<(), TrackingError> {
        self.check(state, dt_s)?;
        self.model
            .predict_in_place(&mut state.mean, &mut state.covar, dt_s);
        state.time_s += dt_s;
        Ok(())
    }

    fn predict_position(
        &self,
        prior: &GaussianState,
        dt_s: f64,
    ) -> Result<PositionBelief, TrackingError> {
        self.check(prior, dt_s)?;
        Ok(self.model.predict_position(&prior.mean, &prior.covar, dt_s))
    }
}

#[cfg(test)]
mod tests {
    use nalgebra::{DMatrix, DVector};

    use super::*;
    use crate::motion::{ConstantVelocity, CoordinatedTurn};

    fn cv() -> KalmanPredictor<ConstantVelocity> {
        KalmanPredictor {
            model: ConstantVelocity { q_accel_m2ps3: 0.5 },
        }
    }

    #[test]
    fn cv_prediction_matches_hand_computed_matrices() {
        let prior = GaussianState::new(
            DVector::from_vec(vec![10.0, 20.0, 1.0, -2.0]),
            DMatrix::from_diagonal(&DVector::from_vec(vec![4.0, 9.0, 1.0, 0.25])),
            100.0,
        )
        .expect("valid state");
        let predicted = cv().predict(&prior, 2.0).expect("valid step").state;
        assert_eq!(predicted.mean.as_slice(), &[12.0, 16.0, 1.0, -2.0]);
        assert_eq!(predicted.time_s, 102.0);
        // F P Fᵀ: x: 4 + 2²·1 = 8, cross 2·1 = 2, v 1; y: 9 + 4·0.25 = 10, cross 0.5, v 0.25.
        // Q with q = 0.5, dt = 2: dt³/3·q = 4/3, dt²/2·q = 1, dt·q = 1.
        #[rustfmt::skip]
        let expected = DMatrix::from_row_slice(4, 4, &[
            8.0 + 4.0 / 3.0, 0.0,              2.0 + 1.0, 0.0,
            0.0,             10.0 + 4.0 / 3.0, 0.0,       0.5 + 1.0,
            3.0,             0.0,              2.0,       0.0,
            0.0,             1.5,              0.0,       1.25,
        ]);
        assert!((predicted.covar - expected).abs().max() < 1e-12);
    }

    #[test]
    fn negative_nan_steps_and_wrong_dimensions_are_refused() {
        let prior = GaussianState::new(DVector::zeros(4), DMatrix::identity(4, 4), 0.0)
            .expect("valid state");
        assert_eq!(
            cv().predict(&prior, -1.0),
            Err(TrackingError::InvalidTimeStep(-1.0))
        );
        assert!(cv().predict(&prior, f64::NAN).is_err());
        let five = GaussianState::new(DVector::zeros(5), DMatrix::identity(5, 5), 0.0)
            .expect("valid state");
        assert!(matches!(
            cv().predict(&five, 1.0),
            Err(TrackingError::DimensionMismatch { .. })
        ));
    }

    #[test]
    fn ct_with_vanishing_turn_rate_equals_cv() {
        let ct = KalmanPredictor {
            model: CoordinatedTurn {
                q_accel_m2ps3: 0.5,
                q_turn_rad2ps3: 0.01,
            },
        };
        let mut covar4 = DMatrix::from_row_slice(
            4,
            4,
            &[
                4.0, 0.5, 0.3, 0.0, 0.5, 9.0, 0.0, 0.2, 0.3, 0.0, 1.0, 0.1, 0.0, 0.2, 0.1, 0.25,
            ],
        );
        covar4 = (&covar4 + covar4.transpose()) * 0.5;
        let mean4 = DVector::from_vec(vec![10.0, 20.0, 1.0, -2.0]);
        let cv_pred = cv()
            .predict(
                &GaussianState::new(mean4.clone(), covar4.clone(), 0.0).expect("4"),
                3.0,
            )
            .expect("cv");
        // A rate of 1e-12 rad/s moves a 2 m/s target by 1e-11 m in 3 s: CV to 1e-9.
        for omega in [0.0, 1e-12, -1e-11] {
            let mut mean5 = DVector::zeros(5);
            mean5.rows_mut(0, 4).copy_from(&mean4);
            mean5[4] = omega;
            let mut covar5 = DMatrix::zeros(5, 5);
            covar5.view_mut((0, 0), (4, 4)).copy_from(&covar4);
            let ct_pred = ct
                .predict(&GaussianState::new(mean5, covar5, 0.0).expect("5"), 3.0)
                .expect("ct")
                .state;
            let mean_diff = (ct_pred.mean.rows(0, 4) - &cv_pred.state.mean).abs().max();
            let covar_diff = (ct_pred.covar.view((0, 0), (4, 4)) - &cv_pred.state.covar)
                .abs()
                .max();
            assert!(mean_diff < 1e-9, "omega {omega}: mean off by {mean_diff}");
            assert!(
                covar_diff < 1e-9,
                "omega {omega}: covar off by {covar_diff}"
            );
            assert!((ct_pred.covar[(4, 4)] - 0.03).abs() < 1e-15);
        }
    }
}

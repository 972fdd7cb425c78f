//! What a sensor would see of a state: the measurement function h(x), its Jacobian H and the
//! noise covariance R for each kind of detection, and the innovation they give against a
//! predicted state. Range and bearing are relative to the sensor's position; bearing
//! residuals are wrapped so that 359° against 1° is a 2° error, not 358°.

use std::f64::consts::{PI, TAU};

use nalgebra::{DMatrix, DVector, Matrix1, Matrix2, RowVector2, Vector1, Vector2};

use super::error::TrackingError;
use super::types::{Detection, GaussianState, Innovation, Measurement, check_shape};

/// Closer than this to the sensor, angles to the target are undefined.
pub const MIN_RANGE_M: f64 = 1e-3;

/// The measurement function of one kind of detection.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum MeasurementModel {
    /// z = `[x_e_m, y_n_m]`; linear.
    Position,
    /// z = `[range_m, bearing_rad]` from the sensor.
    RangeBearing {
        /// The sensor's position, ENU metres.
        sensor_pos_enu_m: Vector2<f64>,
    },
    /// z = `[bearing_rad]` from the sensor.
    Bearing {
        /// The sensor's position, ENU metres.
        sensor_pos_enu_m: Vector2<f64>,
    },
}

/// An angle wrapped into (-π, π].
pub fn wrap_angle_rad(angle_rad: f64) -> f64 {
    let wrapped = (angle_rad + PI).rem_euclid(TAU) - PI;
    if wrapped == -PI { PI } else { wrapped }
}

/// The bearing from `from` to `to`, radians clockwise from north, in (-π, π].
pub fn bearing_rad(from_enu_m: Vector2<f64>, to_enu_m: Vector2<f64>) -> f64 {
    let d = to_enu_m - from_enu_m;
    d.x.atan2(d.y)
}

impl MeasurementModel {
    /// Size of the measurement vector.
    pub fn dim(&self) -> usize {
        match self {
            Self::Position | Self::RangeBearing { .. } => 2,
            Self::Bearing { .. } => 1,
        }
    }

    /// The target's offset from the sensor and its length, refusing targets on the sensor.
    fn offset(
        sensor: Vector2<f64>,
        mean: &DVector<f64>,
    ) -> Result<(Vector2<f64>, f64), TrackingError> {
        offset_of(sensor, Vector2::new(mean[0], mean[1]))
    }

    /// h(x): the measurement a target in state `mean` would give.
    pub fn function(&self, mean: &DVector<f64>) -> Result<DVector<f64>, TrackingError> {
        check_state(mean)?;
        Ok(match *self {
            Self::Position => DVector::from_vec(vec![mean[0], mean[1]]),
            Self::RangeBearing { sensor_pos_enu_m } => {
                let (d, range_m) = Self::offset(sensor_pos_enu_m, mean)?;
                DVector::from_vec(vec![range_m, d.x.atan2(d.y)])
            }
            Self::Bearing { sensor_pos_enu_m } => {
                let (d, _) = Self::offset(sensor_pos_enu_m, mean)?;
                DVector::from_vec(vec![d.x.atan2(d.y)])
            }
        })
    }

    /// H = ∂h/∂x at `mean`, one row per measurement component, one column per state.
    pub fn jacobian(&self, mean: &DVector<f64>) -> Result<DMatrix<f64>, TrackingError> {
        check_state(mean)?;
        let mut h = DMatrix::zeros(self.dim(), mean.len());
        match *self {
            Self::Position => {
                h[(0, 0)] = 1.0;
                h[(1, 1)] = 1.0;
            }
            Self::RangeBearing { sensor_pos_enu_m } => {
                let (d, r) = Self::offset(sensor_pos_enu_m, mean)?;
                let r2 = r * r;
                h[(0, 0)] = d.x / r;
                h[(0, 1)] = d.y / r;
                h[(1, 0)] = d.y / r2;
                h[(1, 1)] = -d.x / r2;
            }
            Self::Bearing { sensor_pos_enu_m } => {
                let (d, r) = Self::offset(sensor_pos_enu_m, mean)?;
                let r2 = r * r;
                h[(0, 0)] = d.y / r2;
                h[(0, 1)] = -d.x / r2;
            }
        }
        Ok(h)
    }

    /// z − ẑ, with bearings wrapped into (-π, π].
    pub fn residual(&self, z: &DVector<f64>, z_pred: &DVector<f64>) -> DVector<f64> {
        let mut y = z - z_pred;
        match self {
            Self::Position => {}
            Self::RangeBearing { .. } => y[1] = wrap_angle_rad(y[1]),
            Self::Bearing { .. } => y[0] = wrap_angle_rad(y[0]),
        }
        y
    }
}

/// The target's offset from the sensor and its length, refusing targets on the sensor.
fn offset_of(
    sensor: Vector2<f64>,
    pos_enu_m: Vector2<f64>,
) -> Result<(Vector2<f64>, f64), TrackingError> {
    let d = pos_enu_m - sensor;
    let range_m = d.norm();
    if range_m.is_finite() && range_m >= MIN_RANGE_M {
        Ok((d, range_m))
    } else {
        Err(TrackingError::DegenerateGeometry { range_m })
    }
}

fn check_state(mean: &DVector<f64>) -> Result<(), TrackingError> {
    if mean.len() < 2 {
        return Err(TrackingError::DimensionMismatch {
            expected: 2,
            got: mean.len(),
        });
    }
    Ok(())
}

/// A detection ready for filtering: its model, its measurement vector and noise covariance.
#[derive(Debug, Clone, PartialEq)]
pub struct Observation {
    /// The measurement function.
    pub model: MeasurementModel,
    /// The measurement vector z.
    pub z: DVector<f64>,
    /// The measurement noise covariance R.
    pub noise_covar: DMatrix<f64>,
}

impl Observation {
    /// Validates a detection and turns it into an observation. A presence detection becomes
    /// a position at the sensor with per-axis standard deviation half the zone radius.
    pub fn from_detection(detection: &Detection) -> Result<Self, TrackingError> {
        detection.validate()?;
        let sensor_pos_enu_m = detection.sensor_pos_enu_m;
        Ok(match detection.measurement {
            Measurement::Position { pos_enu_m, noise } => {
                position_observation(pos_enu_m, noise.covar_m2())
            }
            Measurement::Presence { zone_radius_m } => {
                let std_m = zone_radius_m / 2.0;
                position_observation(sensor_pos_enu_m, Matrix2::identity() * (std_m * std_m))
            }
            Measurement::RangeBearing {
                range_m,
                range_std_m,
                bearing_rad,
                bearing_std_rad,
            } => Self {
                model: MeasurementModel::RangeBearing { sensor_pos_enu_m },
                z: DVector::from_vec(vec![range_m, wrap_angle_rad(bearing_rad)]),
                noise_covar: DMatrix::from_diagonal(&DVector::from_vec(vec![
                    range_std_m * range_std_m,
                    bearing_std_rad * bearing_std_rad,
                ])),
            },
            Measurement::Bearing {
                bearing_rad,
                bearing_std_rad,
            } => Self {
                model: MeasurementModel::Bearing { sensor_pos_enu_m },
                z: DVector::from_vec(vec![wrap_angle_rad(bearing_rad)]),
                noise_covar: DMatrix::from_element(1, 1, bearing_std_rad * bearing_std_rad),
            },
        })
    }

    /// The innovation of this observation against a predicted state: residual, its
    /// covariance S = H P Hᵀ + R, S⁻¹ and the squared Mahalanobis distance.
    pub fn innovation(&self, predicted: &GaussianState) -> Result<Innovation, TrackingError> {
        predicted.check_dims()?;
        self.check_dims()?;
        let jacobian = self.model.jacobian(&predicted.mean)?;
        let residual = self
            .model
            .residual(&self.z, &self.model.function(&predicted.mean)?);
        let s = &jacobian * &predicted.covar * jacobian.transpose() + &self.noise_covar;
        let covar = (&s + s.transpose()) * 0.5;
        let cholesky = covar
            .clone()
            .cholesky()
            .ok_or(TrackingError::SingularInnovation)?;
        let covar_inv = cholesky.inverse();
        let mahalanobis_sq = residual.dot(&cholesky.solve(&residual));
        if !mahalanobis_sq.is_finite() {
            return Err(TrackingError::SingularInnovation);
        }
        Ok(Innovation {
            log_det_covar: cholesky.ln_determinant(),
            residual,
            covar,
            covar_inv,
            jacobian,
            mahalanobis_sq,
        })
    }
}

/// An observation linearised about a predicted position (see [`Observation::linearise`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Linearised {
    /// A position: H over the position is the identity.
    Position {
        residual: Vector2<f64>,
        noise: Matrix2<f64>,
    },
    /// Two components (range and bearing).
    Two {
        h: Matrix2<f64>,
        residual: Vector2<f64>,
        noise: Matrix2<f64>,
    },
    /// One component (a bearing).
    One {
        h: RowVector2<f64>,
        residual: Vector1<f64>,
        noise: Matrix1<f64>,
    },
}

/// What the gate needs of an innovation, computed on the stack: the squared Mahalanobis
/// distance and ln det S of a measurement of `dim` components.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GateDistance {
    /// Squared Mahalanobis distance yᵀ S⁻¹ y.
    pub mahalanobis_sq: f64,
    /// ln det S.
    pub log_det_covar: f64,
    /// Dimension of the measurement.
    pub dim: usize,
}

impl GateDistance {
    /// Negative log-likelihood of the measurement, as [`Innovation::negative_log_likelihood`].
    pub fn negative_log_likelihood(&self) -> f64 {
        let m = self.dim as f64;
        0.5 * (self.mahalanobis_sq + self.log_det_covar + m * (2.0 * std::f64::consts::PI).ln())
    }
}

/// yᵀ S⁻¹ y and ln det S of a fixed-size innovation, as [`Observation::innovation`] forms
/// them (S symmetrised, then factorised by Cholesky).
macro_rules! fixed_distance {
    ($residual:expr, $s:expr, $dim:expr) => {{
        let s = $s;
        let covar = (s + s.transpose()) * 0.5;
        let cholesky = covar.cholesky().ok_or(TrackingError::SingularInnovation)?;
        let residual = $residual;
        let mahalanobis_sq = residual.dot(&cholesky.solve(&residual));
        if !mahalanobis_sq.is_finite() {
            return Err(TrackingError::SingularInnovation);
        }
        Ok(GateDistance {
            mahalanobis_sq,
            log_det_covar: cholesky.ln_determinant(),
            dim: $dim,
        })
    }};
}

impl Observation {
    /// The gate's view of the innovation against a predicted position `pos_enu_m` with
    /// covariance `pos_covar_m2`: the same d² and ln det S as [`Observation::innovation`]
    /// (every measurement model depends on the position alone, so H P Hᵀ needs only P's
    /// position block), but in fixed-size matrices on the stack, without the Jacobian over
    /// the whole state or S⁻¹: nothing is allocated, so gating a pair costs a few dozen
    /// floating-point operations. Errors as `innovation` does (geometry, a singular S, an
    /// observation of the wrong size).
    pub fn gate_distance(
        &self,
        pos_enu_m: Vector2<f64>,
        pos_covar_m2: &Matrix2<f64>,
    ) -> Result<GateDistance, TrackingError> {
        let m = self.model.dim();
        if self.z.len() != m || self.noise_covar.shape() != (m, m) {
            return Err(TrackingError::DimensionMismatch {
                expected: m,
                got: self.z.len(),
            });
        }
        match self.linearise(pos_enu_m)? {
            // H = I: S = P + R exactly.
            Linearised::Position { residual, noise } => {
                fixed_distance!(residual, pos_covar_m2 + noise, 2)
            }
            Linearised::Two { h, residual, noise } => {
                fixed_distance!(residual, h * pos_covar_m2 * h.transpose() + noise, 2)
            }
            Linearised::One { h, residual, noise } => {
                fixed_distance!(residual, h * pos_covar_m2 * h.transpose() + noise, 1)
            }
        }
    }

    /// This observation linearised about a predicted position `pos_enu_m`, in fixed-size
    /// matrices: the columns of H over the position (the others are zero: every
    /// measurement model depends on the position alone), the residual z − h(x̂) (bearings
    /// wrapped) and R. Assumes z and R of the model's size (`check_dims`); errors when the
    /// position is on an angle-measuring sensor.
    pub(crate) fn linearise(&self, pos_enu_m: Vector2<f64>) -> Result<Linearised, TrackingError> {
        let r = &self.noise_covar;
        Ok(match self.model {
            MeasurementModel::Position => Linearised::Position {
                residual: Vector2::new(self.z[0] - pos_enu_m.x, self.z[1] - pos_enu_m.y),
                noise: Matrix2::new(r[(0, 0)], r[(0, 1)], r[(1, 0)], r[(1, 1)]),
            },
            MeasurementModel::RangeBearing { sensor_pos_enu_m } => {
                let (d, range_m) = offset_of(sensor_pos_enu_m, pos_enu_m)?;
                let r2 = range_m * range_m;
                Linearised::Two {
                    h: Matrix2::new(d.x / range_m, d.y / range_m, d.y / r2, -d.x / r2),
                    residual: Vector2::new(
                        self.z[0] - range_m,
                        wrap_angle_rad(self.z[1] - d.x.atan2(d.y)),
                    ),
                    noise: Matrix2::new(r[(0, 0)], r[(0, 1)], r[(1, 0)], r[(1, 1)]),
                }
            }
            MeasurementModel::Bearing { sensor_pos_enu_m } => {
                let (d, range_m) = offset_of(sensor_pos_enu_m, pos_enu_m)?;
                let r2 = range_m * range_m;
                Linearised::One {
                    h: RowVector2::new(d.y / r2, -d.x / r2),
                    residual: Vector1::new(wrap_angle_rad(self.z[0] - d.x.atan2(d.y))),
                    noise: Matrix1::new(r[(0, 0)]),
                }
            }
        })
    }

    /// Checks that z and R have the model's dimension (the fields are public).
    pub fn check_dims(&self) -> Result<(), TrackingError> {
        let m = self.model.dim();
        if self.z.len() != m {
            return Err(TrackingError::DimensionMismatch {
                expected: m,
                got: self.z.len(),
            });
        }
        check_shape(&self.noise_covar, m)
    }
}

fn position_observation(pos_enu_m: Vector2<f64>, covar_m2: Matrix2<f64>) -> Observation {
    Observation {
        model: MeasurementModel::Position,
        z: DVector::from_vec(vec![pos_enu_m.x, pos_enu_m.y]),
        noise_covar: DMatrix::from_iterator(2, 2, covar_m2.iter().copied()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{ClassHint, PositionNoise};

    fn deg(d: f64) -> f64 {
        d.to_radians()
    }

    #[test]
    fn wrap_angle_folds_into_half_open_interval() {
        assert!((wrap_angle_rad(deg(358.0)) - deg(-2.0)).abs() < 1e-12);
        assert!((wrap_angle_rad(deg(-190.0)) - deg(170.0)).abs() < 1e-12);
        assert_eq!(wrap_angle_rad(-PI), PI);
        assert_eq!(wrap_angle_rad(PI), PI);
        assert!((wrap_angle_rad(5.0 * TAU + 0.25) - 0.25).abs() < 1e-12);
    }

    #[test]
    fn bearing_is_clockwise_from_north() {
        let o = Vector2::zeros();
        assert!((bearing_rad(o, Vector2::new(0.0, 10.0))).abs() < 1e-15);
        assert!((bearing_rad(o, Vector2::new(10.0, 0.0)) - deg(90.0)).abs() < 1e-15);
        assert!((bearing_rad(o, Vector2::new(-10.0, 0.0)) - deg(-90.0)).abs() < 1e-15);
    }

    #[test]
    fn range_bearing_h_and_jacobian_match_finite_differences() {
        let model = MeasurementModel::RangeBearing {
            sensor_pos_enu_m: Vector2::new(100.0, -50.0),
        };
        let mean = DVector::from_vec(vec![130.0, -10.0, 3.0, 4.0, 0.1]);
        let z = model.function(&mean).expect("h");
        // Offset (30, 40): range 50, bearing atan2(30, 40).
        assert!((z[0] - 50.0).abs() < 1e-12);
        assert!((z[1] - 30f64.atan2(40.0)).abs() < 1e-12);
        let h = model.jacobian(&mean).expect("H");
        assert_eq!(h.shape(), (2, 5));
        let step = 1e-6;
        for col in 0..5 {
            let mut up = mean.clone();
            let mut down = mean.clone();
            up[col] += step;
            down[col] -= step;
            let numeric = (model.function(&up).expect("h") - model.function(&down).expect("h"))
                / (2.0 * step);
            for row in 0..2 {
                assert!(
                    (numeric[row] - h[(row, col)]).abs() < 1e-8,
                    "({row},{col}) {numeric} vs {h}"
                );
            }
        }
        // Hand values: dr/dx = 30/50, dr/dy = 40/50, dθ/dx = 40/2500, dθ/dy = -30/2500.
        assert!((h[(0, 0)] - 0.6).abs() < 1e-15 && (h[(0, 1)] - 0.8).abs() < 1e-15);
        assert!((h[(1, 0)] - 0.016).abs() < 1e-15 && (h[(1, 1)] + 0.012).abs() < 1e-15);
    }

    fn rb_detection(bearing_deg: f64) -> Detection {
        Detection {
            time_s: 0.0,
            sensor_pos_enu_m: Vector2::zeros(),
            measurement: Measurement::RangeBearing {
                range_m: 100.0,
                range_std_m: 2.0,
                bearing_rad: deg(bearing_deg),
                bearing_std_rad: deg(1.0),
            },
            class_hint: ClassHint::Unknown,
            count: None,
            confidence: 1.0,
            source_id: 0,
        }
    }

    #[test]
    fn bearing_residual_wraps_across_north() {
        // Target predicted at bearing 1°, measured at 359°: residual −2°, small distance.
        let state = GaussianState::new(
            DVector::from_vec(vec![
                100.0 * deg(1.0).sin(),
                100.0 * deg(1.0).cos(),
                0.0,
                0.0,
            ]),
            DMatrix::identity(4, 4),
            0.0,
        )
        .expect("state");
        let innovation = Observation::from_detection(&rb_detection(359.0))
            .expect("valid")
            .innovation(&state)
            .expect("innovation");
        assert!((innovation.residual[1] - deg(-2.0)).abs() < 1e-9);
        assert!(
            innovation.mahalanobis_sq < 5.0,
            "{}",
            innovation.mahalanobis_sq
        );
        let bearing_only = Observation {
            model: MeasurementModel::Bearing {
                sensor_pos_enu_m: Vector2::zeros(),
            },
            z: DVector::from_element(1, deg(-179.0)),
            noise_covar: DMatrix::from_element(1, 1, 1e-4),
        };
        let south_west = GaussianState::new(
            DVector::from_vec(vec![
                10.0 * deg(179.0).sin(),
                10.0 * deg(179.0).cos(),
                0.0,
                0.0,
            ]),
            DMatrix::identity(4, 4) * 1e-6,
            0.0,
        )
        .expect("state");
        let y = bearing_only
            .innovation(&south_west)
            .expect("innovation")
            .residual[0];
        assert!((y - deg(2.0)).abs() < 1e-9, "{y}");
    }

    #[test]
    fn presence_is_a_position_at_the_sensor_with_half_radius_std() {
        let detection = Detection {
            measurement: Measurement::Presence {
                zone_radius_m: 30.0,
            },
            sensor_pos_enu_m: Vector2::new(5.0, 6.0),
            ..rb_detection(0.0)
        };
        let obs = Observation::from_detection(&detection).expect("valid");
        assert_eq!(obs.model, MeasurementModel::Position);
        assert_eq!(obs.z.as_slice(), &[5.0, 6.0]);
        assert_eq!(obs.noise_covar, DMatrix::identity(2, 2) * 225.0);
    }

    #[test]
    fn full_covariance_positions_keep_their_correlation() {
        let covar_m2 = Matrix2::new(4.0, 1.0, 1.0, 9.0);
        let detection = Detection {
            measurement: Measurement::Position {
                pos_enu_m: Vector2::new(1.0, 2.0),
                noise: PositionNoise::Covariance { covar_m2 },
            },
            ..rb_detection(0.0)
        };
        let obs = Observation::from_detection(&detection).expect("valid");
        assert_eq!(
            obs.noise_covar,
            DMatrix::from_row_slice(2, 2, &[4.0, 1.0, 1.0, 9.0])
        );
    }

    #[test]
    fn hand_built_observations_and_states_of_the_wrong_size_are_refused() {
        let state =
            GaussianState::new(DVector::zeros(4), DMatrix::identity(4, 4), 0.0).expect("state");
        let long_z = Observation {
            model: MeasurementModel::Position,
            z: DVector::zeros(3),
            noise_covar: DMatrix::identity(2, 2),
        };
        assert!(matches!(
            long_z.innovation(&state),
            Err(TrackingError::DimensionMismatch { .. })
        ));
        let small_covar = GaussianState {
            covar: DMatrix::identity(3, 3),
            ..state
        };
        let fine = Observation::from_detection(&rb_detection(10.0)).expect("valid");
        assert!(matches!(
            fine.innovation(&small_covar),
            Err(TrackingError::DimensionMismatch { .. })
        ));
    }

    #[test]
    fn targets_on_the_sensor_and_nan_detections_are_refused() {
        let state =
            GaussianState::new(DVector::zeros(4), DMatrix::identity(4, 4), 0.0).expect("state");
        let obs = Observation::from_detection(&rb_detection(10.0)).expect("valid");
        assert!(matches!(
            obs.innovation(&state),
            Err(TrackingError::DegenerateGeometry { .. })
        ));
        assert!(Observation::from_detection(&rb_detection(f64::NAN)).is_err());
    }
}

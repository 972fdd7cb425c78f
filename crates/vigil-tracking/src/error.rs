//! The tracker's one error type: everything that can go wrong is an input that does not make
//! sense (a NaN, a negative standard deviation, time running backwards) or geometry that a
//! model cannot linearise, and the caller is told which.

/// Why the tracker refused an input or could not use it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TrackingError {
    /// A number that must be finite is NaN or infinite.
    #[error("{field} is not finite")]
    NonFinite {
        /// Which input.
        field: &'static str,
    },
    /// A number that must be strictly positive is not.
    #[error("{field} must be positive, got {value}")]
    NonPositive {
        /// Which input.
        field: &'static str,
        /// The value received.
        value: f64,
    },
    /// A detection's confidence lies outside 0..=1.
    #[error("confidence {0} is outside 0..=1")]
    Confidence(f64),
    /// A covariance matrix is not symmetric positive definite.
    #[error("{field} is not a symmetric positive definite covariance")]
    NotPositiveDefinite {
        /// Which matrix.
        field: &'static str,
    },
    /// A time is earlier than the tracker's last scan.
    #[error("time {now_s} s is before the tracker's last scan at {last_s} s")]
    TimeWentBackwards {
        /// The tracker's last scan time, seconds.
        last_s: f64,
        /// The time received, seconds.
        now_s: f64,
    },
    /// A detection is later than the scan it was handed in with.
    #[error("detection at {detection_s} s is after its scan at {scan_s} s")]
    DetectionAfterScan {
        /// The detection's time, seconds.
        detection_s: f64,
        /// The scan's time, seconds.
        scan_s: f64,
    },
    /// A prediction was asked for a negative or non-finite time step.
    #[error("time step {0} s is negative or not finite")]
    InvalidTimeStep(f64),
    /// The target is so close to the sensor that an angle to it is undefined.
    #[error("target {range_m} m from the sensor is too close for an angle measurement")]
    DegenerateGeometry {
        /// Distance from the sensor to the predicted target, metres.
        range_m: f64,
    },
    /// The innovation covariance could not be factorised.
    #[error("innovation covariance is not positive definite")]
    SingularInnovation,
    /// A state vector or matrix does not have the size the model needs.
    #[error("state has dimension {got}, the model needs {expected}")]
    DimensionMismatch {
        /// The dimension the model needs.
        expected: usize,
        /// The dimension received.
        got: usize,
    },
    /// A configuration value is out of its range.
    #[error("invalid configuration: {0}")]
    InvalidConfig(&'static str),
}

impl TrackingError {
    /// The error's kind, without its values (to tell the operator once per kind).
    pub fn kind(&self) -> &'static str {
        match self {
            Self::NonFinite { .. } => "non-finite",
            Self::NonPositive { .. } => "non-positive",
            Self::Confidence(_) => "confidence",
            Self::NotPositiveDefinite { .. } => "not-positive-definite",
            Self::TimeWentBackwards { .. } => "time-went-backwards",
            Self::DetectionAfterScan { .. } => "detection-after-scan",
            Self::InvalidTimeStep(_) => "invalid-time-step",
            Self::DegenerateGeometry { .. } => "degenerate-geometry",
            Self::SingularInnovation => "singular-innovation",
            Self::DimensionMismatch { .. } => "dimension-mismatch",
            Self::InvalidConfig(_) => "invalid-config",
        }
    }
}

/// Checks that `value` is finite.
pub(crate) fn finite(field: &'static str, value: f64) -> Result<f64, TrackingError> {
    if value.is_finite() {
        Ok(value)
    } else {
        Err(TrackingError::NonFinite { field })
    }
}

/// Checks that `value` is finite and strictly positive.
pub(crate) fn positive(field: &'static str, value: f64) -> Result<f64, TrackingError> {
    finite(field, value)?;
    if value > 0.0 {
        Ok(value)
    } else {
        Err(TrackingError::NonPositive { field, value })
    }
}

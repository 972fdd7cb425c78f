//! The protection requests on the client's handle: each goes to the world thread and its
//! answer comes back on a channel of its own (as commands do).

use std::path::Path;

use crossbeam_channel::{Receiver, bounded};

use crate::{GroundStation, PipelineError};
use vigil_protection::dispatch::DISPATCH_REPLY_CAPACITY;
use vigil_protection::{
    DispatchTarget, DispatchUpdate, NewIncident, NewReport, ProtectionError, ProtectionRequest,
    Verdict,
};

type Reply<T> = Receiver<Result<T, ProtectionError>>;

impl GroundStation {
    fn protection(&self, request: ProtectionRequest) -> Result<(), PipelineError> {
        self.protection
            .try_send(request)
            .map_err(|_| PipelineError::Closed)
    }

    pub fn acknowledge_alert(&self, alert: u64, by: &str) -> Result<Reply<()>, PipelineError> {
        let (reply, answer) = bounded(1);
        self.protection(ProtectionRequest::Acknowledge {
            alert,
            by: by.to_owned(),
            reply,
        })?;
        Ok(answer)
    }

    /// Assigns an alert to `to` (acknowledging it if it was open).
    pub fn assign_alert(&self, alert: u64, by: &str, to: &str) -> Result<Reply<()>, PipelineError> {
        let (reply, answer) = bounded(1);
        self.protection(ProtectionRequest::Assign {
            alert,
            by: by.to_owned(),
            to: to.to_owned(),
            reply,
        })?;
        Ok(answer)
    }

    pub fn annotate_alert(
        &self,
        alert: u64,
        author: &str,
        text: &str,
    ) -> Result<Reply<()>, PipelineError> {
        let (reply, answer) = bounded(1);
        self.protection(ProtectionRequest::Annotate {
            alert,
            author: author.to_owned(),
            text: text.to_owned(),
            reply,
        })?;
        Ok(answer)
    }

    pub fn resolve_alert(
        &self,
        alert: u64,
        by: &str,
        resolution: &str,
    ) -> Result<Reply<()>, PipelineError> {
        let (reply, answer) = bounded(1);
        self.protection(ProtectionRequest::Resolve {
            alert,
            by: by.to_owned(),
            resolution: resolution.to_owned(),
            reply,
        })?;
        Ok(answer)
    }

    /// Sends the nearest suitable drone to orbit `target` with its camera on it. The channel
    /// gives `Chosen`, a `Step` per command (with the engine's outcome), then `Done`.
    pub fn send_drone(
        &self,
        target: DispatchTarget,
        by: &str,
    ) -> Result<Receiver<DispatchUpdate>, PipelineError> {
        let (reply, updates) = bounded(DISPATCH_REPLY_CAPACITY);
        self.protection(ProtectionRequest::SendDrone {
            target,
            by: by.to_owned(),
            reply,
        })?;
        Ok(updates)
    }

    /// Records an incident; the answer is its id.
    pub fn record_incident(
        &self,
        incident: NewIncident,
        by: &str,
    ) -> Result<Reply<u64>, PipelineError> {
        let (reply, answer) = bounded(1);
        self.protection(ProtectionRequest::RecordIncident {
            incident,
            by: by.to_owned(),
            reply,
        })?;
        Ok(answer)
    }

    pub fn verify_incident(
        &self,
        incident: u64,
        by: &str,
        verdict: Verdict,
    ) -> Result<Reply<()>, PipelineError> {
        let (reply, answer) = bounded(1);
        self.protection(ProtectionRequest::VerifyIncident {
            incident,
            by: by.to_owned(),
            verdict,
            reply,
        })?;
        Ok(answer)
    }

    /// Adds community reports (unverified); the answer is their ids.
    pub fn add_reports(&self, reports: Vec<NewReport>) -> Result<Reply<Vec<u64>>, PipelineError> {
        let (reply, answer) = bounded(1);
        self.protection(ProtectionRequest::AddReports { reports, reply })?;
        Ok(answer)
    }

    /// Reads a CSV or GeoJSON report file here, in the caller's thread, and adds its reports.
    pub fn import_reports(&self, path: &Path) -> Result<Reply<Vec<u64>>, ProtectionError> {
        let reports = vigil_protection::reports::load_reports(path)?;
        self.add_reports(reports)
            .map_err(|_| ProtectionError::Closed)
    }

    pub fn verify_report(
        &self,
        report: u64,
        by: &str,
        verdict: Verdict,
    ) -> Result<Reply<()>, PipelineError> {
        let (reply, answer) = bounded(1);
        self.protection(ProtectionRequest::VerifyReport {
            report,
            by: by.to_owned(),
            verdict,
            reply,
        })?;
        Ok(answer)
    }
}

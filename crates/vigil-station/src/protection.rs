//! The protection requests on the client's handle: each goes to the world thread and its
//! answer comes back on a channel of its own (as commands do).

use std::path::Path;

use crossbeam_channel::{Receiver, bounded};

use crate::{GroundStation, PipelineError};
use vigil_protection::dispatch::{DISPATCH_REPLY_CAPACITY, DispatchPlan};
use vigil_protection::{
    DispatchTarget, DispatchUpdate, LatLon, NewIncident, NewReport, ProtectionError,
    ProtectionRequest, Verdict,
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

    /// Which drone "send a drone" to `target` would take, its task, distance and time to
    /// arrive, and why each other drone was passed over: what the operator confirms.
    pub fn plan_dispatch(
        &self,
        target: DispatchTarget,
    ) -> Result<Receiver<Result<DispatchPlan, String>>, PipelineError> {
        let (reply, answer) = bounded(1);
        self.protection(ProtectionRequest::PlanDispatch { target, reply })?;
        Ok(answer)
    }

    /// Sends the suitable drone that gets there first to orbit `target` with its camera on
    /// it. The channel gives `Chosen`, a `Step` per command (with the engine's outcome),
    /// `EnRoute`, then `Done` once on station (or why not).
    pub fn send_drone(
        &self,
        target: DispatchTarget,
        by: &str,
    ) -> Result<Receiver<DispatchUpdate>, PipelineError> {
        self.send_confirmed_drone(target, by, None)
    }

    /// As [`Self::send_drone`], with the drone the operator confirmed (`None`: the nearest
    /// suitable one); if it can no longer go, nothing moves and `Done` says why.
    pub fn send_confirmed_drone(
        &self,
        target: DispatchTarget,
        by: &str,
        drone: Option<u8>,
    ) -> Result<Receiver<DispatchUpdate>, PipelineError> {
        let (reply, updates) = bounded(DISPATCH_REPLY_CAPACITY);
        self.protection(ProtectionRequest::SendDrone {
            target,
            by: by.to_owned(),
            drone,
            reply,
        })?;
        Ok(updates)
    }

    /// Ends the dispatch under way with `drone` (see `ProtectionRequest::ReleaseDrone`); the
    /// answer is the dispatch's id, or why there is none.
    pub fn release_drone(&self, drone: u8) -> Result<Receiver<Result<u64, String>>, PipelineError> {
        let (reply, answer) = bounded(1);
        self.protection(ProtectionRequest::ReleaseDrone { drone, reply })?;
        Ok(answer)
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

    /// Verifies or rejects an incident, saying how it was checked or why it was rejected.
    pub fn verify_incident(
        &self,
        incident: u64,
        by: &str,
        verdict: Verdict,
        reason: &str,
    ) -> Result<Reply<()>, PipelineError> {
        let (reply, answer) = bounded(1);
        self.protection(ProtectionRequest::VerifyIncident {
            incident,
            by: by.to_owned(),
            verdict,
            reason: reason.to_owned(),
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

    /// Reads a report file here, in the caller's thread (Vigil's CSV or GeoJSON, or a
    /// KoboToolbox, ODK Central or Ushahidi export, found from its columns), and adds its
    /// reports.
    pub fn import_reports(&self, path: &Path) -> Result<Reply<Vec<u64>>, ProtectionError> {
        let reports = vigil_protection::imports::import_reports(path, None)?;
        self.add_reports(reports)
            .map_err(|_| ProtectionError::Closed)
    }

    /// Verifies or rejects a report, saying how it was checked or why it was rejected.
    pub fn verify_report(
        &self,
        report: u64,
        by: &str,
        verdict: Verdict,
        reason: &str,
    ) -> Result<Reply<()>, PipelineError> {
        let (reply, answer) = bounded(1);
        self.protection(ProtectionRequest::VerifyReport {
            report,
            by: by.to_owned(),
            verdict,
            reason: reason.to_owned(),
            reply,
        })?;
        Ok(answer)
    }

    /// Report `report`'s contact (a name or number the reporter left), for a call-back. The
    /// reveal is recorded in the journal: who asked and when (not the contact).
    pub fn reveal_contact(&self, report: u64, by: &str) -> Result<Reply<String>, PipelineError> {
        let (reply, answer) = bounded(1);
        self.protection(ProtectionRequest::RevealContact {
            report,
            by: by.to_owned(),
            reply,
        })?;
        Ok(answer)
    }

    /// An operator's note for the record (a handover, an observation, a decision), at a
    /// place or not; it goes into the session's journal with the station's time.
    pub fn add_note(
        &self,
        author: &str,
        position: Option<LatLon>,
        text: &str,
    ) -> Result<Reply<()>, PipelineError> {
        let (reply, answer) = bounded(1);
        self.protection(ProtectionRequest::AddNote {
            author: author.to_owned(),
            position,
            text: text.to_owned(),
            reply,
        })?;
        Ok(answer)
    }
}

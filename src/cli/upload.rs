//! `vigil cmd upload FILE`: the plan is read and checked before the vehicle is even waited
//! for, so that a bad plan never reaches it. Each bad item is reported as
//! `FILE: item N (seq N): field: reason`, and the command exits 1 with nothing sent. A plan
//! without mission items would clear the vehicle's mission: that takes `--force` (or
//! `vigil cmd clear`, which clears the mission, fence and rally points). The command engine
//! checks the same again for every client (`MissionOp::Upload`).

use std::path::Path;

use anyhow::{Result, anyhow, bail};
use vigil_mission::{self as mission, Mission};
use vigil_station::GroundStation;
use vigil_world::command::{MissionOp, MissionOutcome};

/// Reads and checks the plan: its warnings go to stderr; a problem, or an empty mission
/// without `force`, is an error naming the file, and nothing is sent.
pub(super) fn check(file: &Path, force: bool) -> Result<Mission> {
    let plan = mission::load_mission(file)?;
    let name = file.display();
    let findings = mission::inspect(&plan);
    for warning in &findings.warnings {
        eprintln!("vigil: warning: {name}: {warning}");
    }
    if !findings.problems.is_empty() {
        for problem in &findings.problems {
            eprintln!("vigil: {name}: {problem}");
        }
        let problems = mission::count(findings.problems.len(), "problem", "problems");
        bail!("{name}: {problems} in the plan, so nothing was sent to the vehicle");
    }
    if plan.items.is_empty() && !force {
        let also = match (plan.fence.is_empty(), plan.rally.is_empty()) {
            (true, true) => String::new(),
            (false, true) => format!(" (it has {})", plan.fence.describe()),
            (true, false) => format!(
                " (it has {})",
                mission::count(plan.rally.len(), "rally point", "rally points")
            ),
            (false, false) => format!(
                " (it has {} and {})",
                plan.fence.describe(),
                mission::count(plan.rally.len(), "rally point", "rally points")
            ),
        };
        bail!(
            "{name}: the plan has no mission items{also}: uploading it would clear the \
             vehicle's mission, so nothing was sent; to clear it with this plan, run `vigil cmd \
             upload --force {name}`, or `vigil cmd clear` to clear the mission, fence and rally \
             points"
        );
    }
    Ok(plan)
}

/// Uploads the plan [`check`] passed (read again; the engine checks it again too); `force` lets
/// a plan without mission items clear the vehicle's.
pub(super) fn upload(
    station: &GroundStation,
    sysid: u8,
    file: &Path,
    force: bool,
) -> Result<String> {
    let plan = mission::load_mission(file)?;
    let (fence, rally) = (plan.fence.clone(), plan.rally.len());
    let cleared = cleared(plan.items.is_empty(), fence.is_empty(), rally == 0);
    let op = if force {
        MissionOp::UploadAllowingClear(plan)
    } else {
        MissionOp::Upload(plan)
    };
    match super::mission_op(station, sysid, op)? {
        MissionOutcome::Uploaded { items } => Ok(format!(
            "vehicle {sysid}: uploaded {} from {}{cleared}",
            super::plan_contents(items.mission, &fence, items.rally),
            file.display()
        )),
        other => Err(anyhow!("unexpected outcome {other:?}")),
    }
}

/// " (the vehicle's fence and rally points were cleared)": the lists the plan leaves empty.
fn cleared(mission: bool, fence: bool, rally: bool) -> String {
    let lists: Vec<String> = [
        (mission, "mission"),
        (fence, "fence"),
        (rally, "rally points"),
    ]
    .into_iter()
    .filter(|(empty, _)| *empty)
    .map(|(_, list)| list.to_string())
    .collect();
    let verb = match lists.as_slice() {
        [] => return String::new(),
        [one] if one != "rally points" => "was",
        _ => "were",
    };
    format!(
        " (the vehicle's {} {verb} cleared)",
        mission::join_words(&lists)
    )
}

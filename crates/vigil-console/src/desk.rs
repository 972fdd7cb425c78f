//! What the console's parts share while they draw: the frame's snapshot, the station to ask,
//! the operator's settings, what the operator has picked, and the requests in flight.
//!
//! Each part (the drone list, the details panel, the alerts, the reports, the planner, ...)
//! keeps its own state in its own struct and draws with one `ui` method that is handed a
//! [`Shared`]; no part reaches into another's state or into the app. The app builds a
//! `Shared` from its fields for each part it draws (`shared!`), so the borrows stay disjoint.

use std::collections::BTreeSet;
use std::sync::Arc;

use super::actions::ActionCenter;
use super::dispatch::DispatchDesk;
use super::map::{Palette, Pick};
use super::messages::MessageFilter;
use super::settings::Settings;
use super::{Pos, SideTab};
use vigil_station::{GroundStation, Snapshot};

/// What the operator has picked: one thing to show in detail, the drones actions go to, the
/// side panel's tab, and a request to centre the map (taken by the map when it draws).
#[derive(Debug)]
pub struct Focus {
    /// The thing shown in the details panel.
    pub pick: Option<Pick>,
    /// The drones the actions go to.
    pub vehicles: BTreeSet<u8>,
    pub side_tab: SideTab,
    /// Where the operator asked the map to be centred; the map takes it on its next frame.
    pub centre_request: Option<Pos>,
}

impl Default for Focus {
    fn default() -> Self {
        Self {
            pick: None,
            vehicles: BTreeSet::new(),
            side_tab: SideTab::Details,
            centre_request: None,
        }
    }
}

impl Focus {
    /// The drones actions go to, in order.
    pub fn targets(&self) -> Vec<u8> {
        self.vehicles.iter().copied().collect()
    }
}

/// What a part draws with and asks through, for one frame.
pub struct Shared<'a> {
    pub snapshot: &'a Arc<Snapshot>,
    pub station: &'a GroundStation,
    pub settings: &'a mut Settings,
    pub focus: &'a mut Focus,
    /// Requests in flight and their answers.
    pub actions: &'a mut ActionCenter,
    /// The console's own messages (the Messages tab).
    pub messages: &'a mut MessageFilter,
    /// "Send a drone", confirmed before anything moves.
    pub dispatch: &'a mut DispatchDesk,
    /// A replay is shown: nothing in it can be commanded.
    pub replaying: bool,
}

impl Shared<'_> {
    pub fn palette(&self) -> Palette {
        Palette::of(self.settings.theme)
    }

    /// The operator's name, for the workflow records.
    pub fn operator(&self) -> &str {
        &self.settings.operator
    }

    /// Shows `pick` in the details panel (opening the side panel on its Details tab).
    pub fn open(&mut self, pick: Pick) {
        self.focus.pick = Some(pick);
        self.focus.side_tab = SideTab::Details;
        self.settings.panels.details = true;
    }
}

/// A [`Shared`] made of the app's fields, borrowed one by one so that the part drawn (another
/// field) can be borrowed beside it.
macro_rules! shared {
    ($app:expr) => {
        $crate::desk::Shared {
            snapshot: &$app.snapshot,
            station: &$app.station,
            settings: &mut $app.settings,
            focus: &mut $app.focus,
            actions: &mut $app.actions,
            messages: &mut $app.messages,
            dispatch: &mut $app.dispatch_desk,
            replaying: $app.replay.is_active(),
        }
    };
}
pub(crate) use shared;

//! The incident categories: ACLED's event types and sub-event types (Armed Conflict Location &
//! Event Data, codebook of 2023), so that analysts can merge the mission's incidents with ACLED
//! data without a lookup table. An incident's `category` is one [`SubEventType`]; each knows
//! its [`EventType`] and its ACLED disorder type.
//!
//! Each is written three ways, and [`SubEventType::from_str`] reads all of them (ignoring case,
//! spaces, `/` and `-`, which all read as `_`):
//! - as ACLED spells it: `Abduction/forced disappearance` (the sub-event type alone), or
//!   `Violence against civilians/Abduction/forced disappearance`;
//! - lower_snake_case: `abduction_forced_disappearance`;
//! - the event type and the sub-event type, as Vigil stores it ([`SubEventType::category`]):
//!   `violence_against_civilians/abduction_forced_disappearance`.
//!
//! The 25 categories, in ACLED's order ([`SubEventType::ALL`], [`SubEventType::label`] for a
//! dropdown):
//!
//! | Event type | Sub-event types |
//! |---|---|
//! | `battles` | `armed_clash`, `government_regains_territory`, `non_state_actor_overtakes_territory` |
//! | `explosions_remote_violence` | `chemical_weapon`, `air_drone_strike`, `suicide_bomb`, `shelling_artillery_missile_attack`, `remote_explosive_landmine_ied`, `grenade` |
//! | `violence_against_civilians` | `sexual_violence`, `attack`, `abduction_forced_disappearance` |
//! | `protests` | `peaceful_protest`, `protest_with_intervention`, `excessive_force_against_protesters` |
//! | `riots` | `violent_demonstration`, `mob_violence` |
//! | `strategic_developments` | `agreement`, `arrests`, `change_to_group_activity`, `disrupted_weapons_use`, `headquarters_or_base_established`, `looting_property_destruction`, `non_violent_transfer_of_territory`, `other` |

use std::fmt;
use std::str::FromStr;

/// ACLED's six event types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EventType {
    Battles,
    ExplosionsRemoteViolence,
    ViolenceAgainstCivilians,
    Protests,
    Riots,
    StrategicDevelopments,
}

impl EventType {
    pub const ALL: [EventType; 6] = [
        Self::Battles,
        Self::ExplosionsRemoteViolence,
        Self::ViolenceAgainstCivilians,
        Self::Protests,
        Self::Riots,
        Self::StrategicDevelopments,
    ];

    /// As ACLED spells it in `event_type`: `Explosions/Remote violence`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Battles => "Battles",
            Self::ExplosionsRemoteViolence => "Explosions/Remote violence",
            Self::ViolenceAgainstCivilians => "Violence against civilians",
            Self::Protests => "Protests",
            Self::Riots => "Riots",
            Self::StrategicDevelopments => "Strategic developments",
        }
    }

    /// lower_snake_case: `explosions_remote_violence`.
    pub fn key(self) -> &'static str {
        match self {
            Self::Battles => "battles",
            Self::ExplosionsRemoteViolence => "explosions_remote_violence",
            Self::ViolenceAgainstCivilians => "violence_against_civilians",
            Self::Protests => "protests",
            Self::Riots => "riots",
            Self::StrategicDevelopments => "strategic_developments",
        }
    }

    /// Its sub-event types, in ACLED's order.
    pub fn sub_event_types(self) -> impl Iterator<Item = SubEventType> {
        SubEventType::ALL
            .into_iter()
            .filter(move |s| s.event_type() == self)
    }
}

impl fmt::Display for EventType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// ACLED's `disorder_type`, assigned per sub-event type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DisorderType {
    PoliticalViolence,
    Demonstrations,
    /// Excessive force against protesters: violence against a demonstration.
    PoliticalViolenceDemonstrations,
    StrategicDevelopments,
}

impl DisorderType {
    /// As ACLED spells it: `Political violence; Demonstrations`.
    pub fn name(self) -> &'static str {
        match self {
            Self::PoliticalViolence => "Political violence",
            Self::Demonstrations => "Demonstrations",
            Self::PoliticalViolenceDemonstrations => "Political violence; Demonstrations",
            Self::StrategicDevelopments => "Strategic developments",
        }
    }
}

/// ACLED's 25 sub-event types, each within one [`EventType`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SubEventType {
    ArmedClash,
    GovernmentRegainsTerritory,
    NonStateActorOvertakesTerritory,
    ChemicalWeapon,
    AirDroneStrike,
    SuicideBomb,
    ShellingArtilleryMissileAttack,
    RemoteExplosiveLandmineIed,
    Grenade,
    SexualViolence,
    Attack,
    AbductionForcedDisappearance,
    PeacefulProtest,
    ProtestWithIntervention,
    ExcessiveForceAgainstProtesters,
    ViolentDemonstration,
    MobViolence,
    Agreement,
    Arrests,
    ChangeToGroupActivity,
    DisruptedWeaponsUse,
    HeadquartersOrBaseEstablished,
    LootingPropertyDestruction,
    NonViolentTransferOfTerritory,
    Other,
}

/// Each sub-event type's event type, ACLED spelling and snake_case, in the enum's order.
const TABLE: [(SubEventType, EventType, &str, &str); 25] = {
    use EventType as E;
    use SubEventType as S;
    [
        (S::ArmedClash, E::Battles, "Armed clash", "armed_clash"),
        (
            S::GovernmentRegainsTerritory,
            E::Battles,
            "Government regains territory",
            "government_regains_territory",
        ),
        (
            S::NonStateActorOvertakesTerritory,
            E::Battles,
            "Non-state actor overtakes territory",
            "non_state_actor_overtakes_territory",
        ),
        (
            S::ChemicalWeapon,
            E::ExplosionsRemoteViolence,
            "Chemical weapon",
            "chemical_weapon",
        ),
        (
            S::AirDroneStrike,
            E::ExplosionsRemoteViolence,
            "Air/drone strike",
            "air_drone_strike",
        ),
        (
            S::SuicideBomb,
            E::ExplosionsRemoteViolence,
            "Suicide bomb",
            "suicide_bomb",
        ),
        (
            S::ShellingArtilleryMissileAttack,
            E::ExplosionsRemoteViolence,
            "Shelling/artillery/missile attack",
            "shelling_artillery_missile_attack",
        ),
        (
            S::RemoteExplosiveLandmineIed,
            E::ExplosionsRemoteViolence,
            "Remote explosive/landmine/IED",
            "remote_explosive_landmine_ied",
        ),
        (
            S::Grenade,
            E::ExplosionsRemoteViolence,
            "Grenade",
            "grenade",
        ),
        (
            S::SexualViolence,
            E::ViolenceAgainstCivilians,
            "Sexual violence",
            "sexual_violence",
        ),
        (S::Attack, E::ViolenceAgainstCivilians, "Attack", "attack"),
        (
            S::AbductionForcedDisappearance,
            E::ViolenceAgainstCivilians,
            "Abduction/forced disappearance",
            "abduction_forced_disappearance",
        ),
        (
            S::PeacefulProtest,
            E::Protests,
            "Peaceful protest",
            "peaceful_protest",
        ),
        (
            S::ProtestWithIntervention,
            E::Protests,
            "Protest with intervention",
            "protest_with_intervention",
        ),
        (
            S::ExcessiveForceAgainstProtesters,
            E::Protests,
            "Excessive force against protesters",
            "excessive_force_against_protesters",
        ),
        (
            S::ViolentDemonstration,
            E::Riots,
            "Violent demonstration",
            "violent_demonstration",
        ),
        (S::MobViolence, E::Riots, "Mob violence", "mob_violence"),
        (
            S::Agreement,
            E::StrategicDevelopments,
            "Agreement",
            "agreement",
        ),
        (S::Arrests, E::StrategicDevelopments, "Arrests", "arrests"),
        (
            S::ChangeToGroupActivity,
            E::StrategicDevelopments,
            "Change to group/activity",
            "change_to_group_activity",
        ),
        (
            S::DisruptedWeaponsUse,
            E::StrategicDevelopments,
            "Disrupted weapons use",
            "disrupted_weapons_use",
        ),
        (
            S::HeadquartersOrBaseEstablished,
            E::StrategicDevelopments,
            "Headquarters or base established",
            "headquarters_or_base_established",
        ),
        (
            S::LootingPropertyDestruction,
            E::StrategicDevelopments,
            "Looting/property destruction",
            "looting_property_destruction",
        ),
        (
            S::NonViolentTransferOfTerritory,
            E::StrategicDevelopments,
            "Non-violent transfer of territory",
            "non_violent_transfer_of_territory",
        ),
        (S::Other, E::StrategicDevelopments, "Other", "other"),
    ]
};

impl SubEventType {
    /// Every sub-event type, grouped by event type in ACLED's order: the dropdown's entries.
    pub const ALL: [SubEventType; 25] = {
        let mut all = [SubEventType::Other; 25];
        let mut i = 0;
        while i < TABLE.len() {
            all[i] = TABLE[i].0;
            i += 1;
        }
        all
    };

    fn entry(self) -> &'static (SubEventType, EventType, &'static str, &'static str) {
        // The table is in the enum's order (checked by a test), so the discriminant indexes it.
        &TABLE[self as usize]
    }

    pub fn event_type(self) -> EventType {
        self.entry().1
    }

    /// As ACLED spells it in `sub_event_type`: `Abduction/forced disappearance`.
    pub fn name(self) -> &'static str {
        self.entry().2
    }

    /// lower_snake_case: `abduction_forced_disappearance`.
    pub fn key(self) -> &'static str {
        self.entry().3
    }

    /// `event_type/sub_event_type` in snake_case, the form incidents are stored in:
    /// `violence_against_civilians/abduction_forced_disappearance`.
    pub fn category(self) -> String {
        format!("{}/{}", self.event_type().key(), self.key())
    }

    /// For a dropdown or a list: `Violence against civilians / Abduction/forced disappearance`.
    pub fn label(self) -> String {
        format!("{} / {}", self.event_type().name(), self.name())
    }

    /// ACLED's `disorder_type`: political violence for battles, explosions/remote violence,
    /// violence against civilians and mob violence; demonstrations for protests and violent
    /// demonstrations; both for excessive force against protesters; strategic developments.
    pub fn disorder_type(self) -> DisorderType {
        match (self, self.event_type()) {
            (Self::ExcessiveForceAgainstProtesters, _) => {
                DisorderType::PoliticalViolenceDemonstrations
            }
            (Self::MobViolence, _) => DisorderType::PoliticalViolence,
            (_, EventType::Protests | EventType::Riots) => DisorderType::Demonstrations,
            (_, EventType::StrategicDevelopments) => DisorderType::StrategicDevelopments,
            (_, _) => DisorderType::PoliticalViolence,
        }
    }

    /// Whether ACLED's `civilian_targeting` applies on the category alone: violence against
    /// civilians always targets civilians (ACLED also marks some explosions and riots, which
    /// only the event's details can tell).
    pub fn targets_civilians(self) -> bool {
        self.event_type() == EventType::ViolenceAgainstCivilians
    }
}

impl fmt::Display for SubEventType {
    /// The stored form, [`SubEventType::category`].
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.category())
    }
}

/// A text that names no ACLED sub-event type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{text:?} is not an ACLED sub-event type: write one of the 25 in `vigil_protection::acled` \
     (SubEventType::ALL) as `event_type/sub_event_type` in snake_case, e.g. \
     `battles/armed_clash` or `strategic_developments/other`, or as ACLED spells it, e.g. \
     `Armed clash`"
)]
pub struct UnknownCategory {
    pub text: String,
}

/// Lower case, every run of spaces, `/`, `-` and `_` as one `_`, no leading or trailing `_`.
fn fold(text: &str) -> String {
    let mut folded = String::with_capacity(text.len());
    for c in text.trim().chars() {
        if matches!(c, ' ' | '/' | '-' | '_' | '\t') {
            if !folded.is_empty() && !folded.ends_with('_') {
                folded.push('_');
            }
        } else {
            folded.extend(c.to_lowercase());
        }
    }
    while folded.ends_with('_') {
        folded.pop();
    }
    folded
}

impl FromStr for SubEventType {
    type Err = UnknownCategory;

    /// Reads the sub-event type alone or with its event type, as ACLED spells it or in
    /// snake_case: `Armed clash`, `armed_clash`, `battles/armed_clash`, `Battles / Armed clash`.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let folded = fold(text);
        Self::ALL
            .into_iter()
            .find(|s| {
                let key = s.key();
                folded == key
                    || folded
                        .strip_prefix(s.event_type().key())
                        .and_then(|rest| rest.strip_prefix('_'))
                        == Some(key)
            })
            .ok_or_else(|| UnknownCategory {
                text: text.to_owned(),
            })
    }
}

/// The stored form of a category ([`SubEventType::category`]) when it names one, else `None`.
pub fn canonical(category: &str) -> Option<String> {
    category.parse::<SubEventType>().ok().map(|s| s.category())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_in_the_enums_order_and_keys_are_the_names_folded() {
        for (index, (sub, event, name, key)) in TABLE.iter().enumerate() {
            assert_eq!(*sub as usize, index, "{name}");
            assert_eq!(sub.event_type(), *event);
            assert_eq!(fold(name), *key, "{name}");
            assert_eq!(fold(event.name()), event.key());
        }
        let counts: Vec<usize> = EventType::ALL
            .iter()
            .map(|e| e.sub_event_types().count())
            .collect();
        assert_eq!(counts, [3, 6, 3, 3, 2, 8]);
    }

    #[test]
    fn every_form_parses_and_round_trips() {
        for sub in SubEventType::ALL {
            for text in [
                sub.name().to_owned(),
                sub.key().to_owned(),
                sub.category(),
                sub.label(),
                format!("{}/{}", sub.event_type().name(), sub.name()),
                sub.name().to_uppercase(),
            ] {
                assert_eq!(text.parse::<SubEventType>(), Ok(sub), "{text}");
            }
        }
        assert_eq!(
            " violence_against_civilians/abduction_forced_disappearance ".parse(),
            Ok(SubEventType::AbductionForcedDisappearance)
        );
        assert_eq!(
            "Explosions/Remote violence/Remote explosive/landmine/IED".parse(),
            Ok(SubEventType::RemoteExplosiveLandmineIed)
        );
        assert_eq!(
            canonical("Armed clash").as_deref(),
            Some("battles/armed_clash")
        );
    }

    #[test]
    fn other_words_and_mismatched_event_types_are_refused() {
        for text in [
            "",
            "armed presence",
            "shooting",
            "battles",
            "battles/attack",
            "riots/other",
            "armed_clash_x",
            "_",
        ] {
            let err = text.parse::<SubEventType>().expect_err(text);
            assert_eq!(err.text, text);
            assert!(
                err.to_string().contains("strategic_developments/other"),
                "{err}"
            );
        }
        assert_eq!(canonical("armed presence"), None);
    }

    #[test]
    fn disorder_types_and_civilian_targeting_follow_acled() {
        use DisorderType as D;
        use SubEventType as S;
        for (sub, disorder) in [
            (S::ArmedClash, D::PoliticalViolence),
            (S::Grenade, D::PoliticalViolence),
            (S::Attack, D::PoliticalViolence),
            (S::PeacefulProtest, D::Demonstrations),
            (S::ProtestWithIntervention, D::Demonstrations),
            (
                S::ExcessiveForceAgainstProtesters,
                D::PoliticalViolenceDemonstrations,
            ),
            (S::ViolentDemonstration, D::Demonstrations),
            (S::MobViolence, D::PoliticalViolence),
            (S::LootingPropertyDestruction, D::StrategicDevelopments),
            (S::Other, D::StrategicDevelopments),
        ] {
            assert_eq!(sub.disorder_type(), disorder, "{sub}");
        }
        assert_eq!(
            D::PoliticalViolenceDemonstrations.name(),
            "Political violence; Demonstrations"
        );
        let targeting: Vec<SubEventType> = SubEventType::ALL
            .into_iter()
            .filter(|s| s.targets_civilians())
            .collect();
        assert_eq!(
            targeting,
            [
                S::SexualViolence,
                S::Attack,
                S::AbductionForcedDisappearance
            ]
        );
        assert_eq!(
            S::AbductionForcedDisappearance.label(),
            "Violence against civilians / Abduction/forced disappearance"
        );
        assert_eq!(S::Other.to_string(), "strategic_developments/other");
    }
}

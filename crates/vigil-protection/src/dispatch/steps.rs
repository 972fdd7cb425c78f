//! A dispatch's steps, one turn at a time (`advance`): the commands sent one after another,
//! each awaited, the climb, the flight there (the orbit and the camera already going with
//! followed movers: `lead`) and the follow on station.

use super::*;

/// What `advance` returns: whether the dispatch has ended (and how), and the command that
/// finished during the call, if any.
type Advanced = (Option<Result<u8, Ending>>, Option<Stepped>);

/// What the answer to the command sent last lets `advance` do.
enum Answer {
    /// Go on with the plan: the command that finished, if one was sent.
    GoOn(Option<Stepped>),
    /// Return this: still awaited (nothing), or refused (the ending).
    Stop(Advanced),
}

/// The answer to the command sent last.
fn answer(dispatch: &mut Active) -> Answer {
    let drone = dispatch.drone;
    let Some((action, outcome)) = dispatch.waiting.take() else {
        return Answer::GoOn(None);
    };
    match outcome.try_recv() {
        Ok(CommandOutcome::Accepted) => Answer::GoOn(Some((action, CommandOutcome::Accepted))),
        Ok(other) => {
            let reason = format!("drone {drone}: {action}: {other}");
            Answer::Stop((Some(Err(Ending::failed(reason))), Some((action, other))))
        }
        Err(crossbeam_channel::TryRecvError::Empty) => {
            dispatch.waiting = Some((action, outcome));
            Answer::Stop((None, None))
        }
        Err(crossbeam_channel::TryRecvError::Disconnected) => {
            let reason = format!("drone {drone}: {action}: got no outcome");
            Answer::Stop((Some(Err(Ending::failed(reason))), None))
        }
    }
}

/// Following, on the way there: the orbit and the camera go with the movers (see
/// [`follow::lead`]); whether a command was put before the arrival.
fn lead(
    dispatch: &mut Active,
    world: &World,
    tracks: &dyn follow::TrackPositions,
    config: &DispatchConfig,
) -> bool {
    let Some(following) = dispatch.follow.as_mut() else {
        return false;
    };
    let actions = follow::lead(following, dispatch.drone, world, tracks, config);
    let led = !actions.is_empty();
    for action in actions.into_iter().rev() {
        dispatch.plan.push_front(Step::Command(action));
    }
    led
}

/// A command that finished and how.
pub(super) type Stepped = (Action, CommandOutcome);

/// Moves a dispatch on: returns whether it has ended (and how), and the command that finished
/// during this call, if any.
pub(super) fn advance(
    dispatch: &mut Active,
    world: &World,
    now: TimeUs,
    tracks: &dyn follow::TrackPositions,
    config: &DispatchConfig,
    requests: &mut Vec<Request>,
) -> Advanced {
    let drone = dispatch.drone;
    let stepped = match answer(dispatch) {
        Answer::GoOn(stepped) => stepped,
        Answer::Stop(advanced) => return advanced,
    };
    loop {
        match dispatch.plan.front().cloned() {
            None => return (Some(Ok(drone)), stepped),
            Some(Step::Climb {
                min_alt_rel_m,
                timeout_s,
            }) => {
                let since = *dispatch.climb_since.get_or_insert(now);
                let alt = world
                    .vehicles
                    .get(&drone)
                    .and_then(|v| v.position)
                    .map(|p| p.alt_rel_home_m);
                if alt.is_some_and(|a| a >= min_alt_rel_m) {
                    dispatch.plan.pop_front();
                    continue;
                }
                if now.since(since).as_secs_f64() > timeout_s {
                    let reason = format!(
                        "drone {drone} did not reach {min_alt_rel_m:.0} m within {timeout_s:.0} s"
                    );
                    return (Some(Err(Ending::failed(reason))), stepped);
                }
                return (None, stepped);
            }
            Some(Step::Arrive {
                target,
                within_m,
                timeout_s,
            }) => {
                let since = *dispatch.en_route_since.get_or_insert(now);
                if let Some(ending) = lost(world, drone) {
                    return (Some(Err(ending)), stepped);
                }
                if lead(dispatch, world, tracks, config) {
                    continue;
                }
                let goal = dispatch.follow.as_ref().map_or(target, |f| f.centre());
                if distance_to(world, drone, goal) <= within_m {
                    dispatch.plan.pop_front();
                    continue;
                }
                if now.since(since).as_secs_f64() > timeout_s {
                    let reason =
                        format!("drone {drone} did not reach the place within {timeout_s:.0} s");
                    return (Some(Err(Ending::failed(reason))), stepped);
                }
                return (None, stepped);
            }
            Some(Step::Follow) => {
                if let Some(ending) = lost(world, drone) {
                    return (Some(Err(ending)), stepped);
                }
                dispatch.on_station = true;
                let Some(following) = dispatch.follow.as_mut() else {
                    dispatch.plan.pop_front();
                    continue;
                };
                match follow::step(following, drone, world, tracks, config) {
                    Ok(actions) if actions.is_empty() => return (None, stepped),
                    Ok(actions) => {
                        // Sent one at a time before the follow goes on, as any command.
                        for action in actions.into_iter().rev() {
                            dispatch.plan.push_front(Step::Command(action));
                        }
                        continue;
                    }
                    Err(ending) => {
                        if ending.state == DispatchState::HandedOver {
                            follow::go_home(drone, requests);
                        }
                        return (Some(Err(ending)), stepped);
                    }
                }
            }
            Some(Step::Command(action)) => {
                dispatch.plan.pop_front();
                if matches!(action, Action::Orbit { .. }) {
                    // The orbit takes the drone there (ArduCopter flies to the place before
                    // it circles): from now on it is en route.
                    dispatch.en_route_since.get_or_insert(now);
                }
                let (reply, outcome) = bounded(1);
                requests.push(Request::Command {
                    target: drone,
                    action: action.clone(),
                    reply,
                });
                dispatch.waiting = Some((action, outcome));
                return (None, stepped);
            }
        }
    }
}

/// How far the drone is from `target`, m (infinite without a position).
pub(super) fn distance_to(world: &World, drone: u8, target: LatLon) -> f64 {
    world
        .vehicles
        .get(&drone)
        .and_then(|v| v.position)
        .map_or(f64::INFINITY, |p| {
            distance_m(
                &Geodetic::from_deg(p.lat_deg, p.lon_deg, 0.0),
                &Geodetic::from_deg(target.lat_deg, target.lon_deg, 0.0),
            )
        })
}

/// Why the drone is lost to the dispatch, if it is: its link, or its motors stopped.
fn lost(world: &World, drone: u8) -> Option<Ending> {
    let reason = match world.vehicles.get(&drone) {
        None => format!("drone {drone} is gone"),
        Some(v) if v.health == Health::Lost => format!("drone {drone}: link lost on the way"),
        Some(v) if !v.armed => format!("drone {drone} stopped its motors on the way"),
        Some(_) => return None,
    };
    Some(Ending {
        state: DispatchState::Lost,
        reason,
    })
}

//! The entrance to the pipeline, used by every link task: applies the full-queue policy of
//! the module documentation (coalesce telemetry, never lose events or recorded frames) and
//! counts what it had to do.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crossbeam_channel::{Sender, TrySendError};

use super::{COALESCE_MAX_KEYS, Class, Envelope, Inbound, class_of};
use crate::LinkEvent;
use vigil_protocol::tlog::TlogRecord;

/// Pipeline-wide counters of what the full-queue policy did.
#[derive(Debug, Default)]
pub struct PipelineCounters {
    /// Telemetry frames replaced by a newer frame of the same sender and id before the world
    /// thread saw them.
    pub coalesced: AtomicU64,
    /// Frames dropped because the coalescing table was full.
    pub dropped: AtomicU64,
    /// Times a link task had to wait for the world queue (events only).
    pub world_waits: AtomicU64,
    /// Times a link task had to wait for the recorder.
    pub recorder_waits: AtomicU64,
}

impl PipelineCounters {
    fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

/// The shared, cloneable ends of the pipeline's queues.
#[derive(Debug, Clone)]
pub struct Ingress {
    pub(crate) world: Sender<Inbound>,
    pub(crate) recorder: Option<Sender<TlogRecord>>,
    pub(crate) counters: Arc<PipelineCounters>,
}

impl Ingress {
    pub fn new(
        world: Sender<Inbound>,
        recorder: Option<Sender<TlogRecord>>,
        counters: Arc<PipelineCounters>,
    ) -> Self {
        Self {
            world,
            recorder,
            counters,
        }
    }

    /// One link's view of the ingress, with its own coalescing table. Replays (`lossless`)
    /// are never recorded again, so they do not hold the recorder open either.
    pub fn for_link(&self, lossless: bool) -> LinkIngress {
        let mut ingress = self.clone();
        if lossless {
            ingress.recorder = None;
        }
        LinkIngress {
            ingress,
            pending: BTreeMap::new(),
            lossless,
        }
    }
}

/// Why delivery stopped: the world thread is gone (the pipeline is shutting down).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the pipeline has shut down")]
pub struct Closed;

/// A link task's handle on the ingress.
#[derive(Debug)]
pub struct LinkIngress {
    ingress: Ingress,
    /// Telemetry waiting for room in the world queue, latest per (sysid, compid, msgid).
    pending: BTreeMap<(u8, u8, u32), Box<super::Envelope>>,
    lossless: bool,
}

impl LinkIngress {
    /// Records a frame in the tlog; waits rather than lose it.
    pub fn record(&self, record: TlogRecord) -> Result<(), Closed> {
        let Some(recorder) = &self.ingress.recorder else {
            return Ok(());
        };
        match recorder.try_send(record) {
            Ok(()) => Ok(()),
            Err(TrySendError::Full(record)) => {
                PipelineCounters::bump(&self.ingress.counters.recorder_waits);
                wait(|| recorder.send(record).map_err(|_| Closed))
            }
            Err(TrySendError::Disconnected(_)) => Err(Closed),
        }
    }

    /// Hands a decoded frame to the world thread, applying the full-queue policy.
    pub fn deliver(&mut self, envelope: Envelope) -> Result<(), Closed> {
        self.flush()?;
        let envelope = Box::new(envelope);
        if self.lossless || class_of(envelope.frame.msgid()) == Class::Event {
            return self.send_waiting(Inbound::Frame(envelope));
        }
        if self.pending.is_empty() {
            match self.ingress.world.try_send(Inbound::Frame(envelope)) {
                Ok(()) => return Ok(()),
                Err(TrySendError::Disconnected(_)) => return Err(Closed),
                Err(TrySendError::Full(Inbound::Frame(envelope))) => self.hold(envelope),
                Err(TrySendError::Full(Inbound::Link(_))) => unreachable!("sent a frame"),
            }
        } else {
            self.hold(envelope);
        }
        Ok(())
    }

    /// Hands a link event (up, down, error) to the world thread; never dropped.
    pub fn event(&mut self, event: LinkEvent) -> Result<(), Closed> {
        self.send_waiting(Inbound::Link(event))
    }

    /// True while coalesced telemetry waits for room; the link task then calls `flush` soon.
    pub fn has_pending(&self) -> bool {
        !self.pending.is_empty()
    }

    /// Sends held telemetry, oldest first, until the queue is full again.
    pub fn flush(&mut self) -> Result<(), Closed> {
        while let Some(entry) = self.pending.first_entry() {
            let key = *entry.key();
            let envelope = entry.remove();
            match self.ingress.world.try_send(Inbound::Frame(envelope)) {
                Ok(()) => {}
                Err(TrySendError::Disconnected(_)) => return Err(Closed),
                Err(TrySendError::Full(Inbound::Frame(envelope))) => {
                    self.pending.insert(key, envelope);
                    return Ok(());
                }
                Err(TrySendError::Full(Inbound::Link(_))) => unreachable!("sent a frame"),
            }
        }
        Ok(())
    }

    fn hold(&mut self, envelope: Box<Envelope>) {
        let frame = &envelope.frame;
        let key = (frame.sysid(), frame.compid(), frame.msgid());
        let counters = &self.ingress.counters;
        if self.pending.insert(key, envelope).is_some() {
            PipelineCounters::bump(&counters.coalesced);
        } else if self.pending.len() > COALESCE_MAX_KEYS {
            self.pending.remove(&key);
            PipelineCounters::bump(&counters.dropped);
        }
    }

    fn send_waiting(&self, inbound: Inbound) -> Result<(), Closed> {
        match self.ingress.world.try_send(inbound) {
            Ok(()) => Ok(()),
            Err(TrySendError::Full(inbound)) => {
                PipelineCounters::bump(&self.ingress.counters.world_waits);
                let world = &self.ingress.world;
                wait(|| world.send(inbound).map_err(|_| Closed))
            }
            Err(TrySendError::Disconnected(_)) => Err(Closed),
        }
    }
}

/// Runs a blocking send from a link task. Inside the multi-threaded I/O runtime the worker
/// hands its other tasks to another thread first, so only this link waits.
fn wait<T>(send: impl FnOnce() -> T) -> T {
    match tokio::runtime::Handle::try_current() {
        Ok(handle) if handle.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(send)
        }
        _ => send(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{LinkId, RxStamp};
    use vigil_core::time::TimeUs;
    use vigil_protocol::{FrameEncoder, MavMessage, MavVersion, mav};

    fn envelope(encoder: &mut FrameEncoder, message: MavMessage) -> Envelope {
        let frame = encoder.encode(&message, MavVersion::V2).expect("encodes");
        Envelope {
            link: LinkId(0),
            rx: RxStamp {
                time: TimeUs(1),
                mono: std::time::Instant::now(),
            },
            frame,
            message,
        }
    }

    fn attitude(roll_rad: f32) -> MavMessage {
        MavMessage::ATTITUDE(mav::ATTITUDE_DATA {
            roll: roll_rad,
            ..Default::default()
        })
    }

    #[test]
    fn full_queue_coalesces_telemetry_to_the_latest_and_counts_it() {
        let (tx, rx) = crossbeam_channel::bounded(1);
        let counters = Arc::new(PipelineCounters::default());
        let mut link = Ingress::new(tx, None, counters.clone()).for_link(false);
        let mut encoder = FrameEncoder::new(1, 1);
        for roll in [0.1, 0.2, 0.3, 0.4] {
            link.deliver(envelope(&mut encoder, attitude(roll)))
                .expect("open");
        }
        // One in the queue, the rest coalesced into the latest.
        assert_eq!(counters.coalesced.load(Ordering::Relaxed), 2);
        let Ok(Inbound::Frame(first)) = rx.try_recv() else {
            panic!("expected a frame")
        };
        assert_eq!(first.message, attitude(0.1));
        link.flush().expect("open");
        let Ok(Inbound::Frame(latest)) = rx.try_recv() else {
            panic!("expected a frame")
        };
        assert_eq!(latest.message, attitude(0.4));
        assert!(!link.has_pending());
    }

    #[test]
    fn events_are_never_dropped_when_the_queue_is_full() {
        let (tx, rx) = crossbeam_channel::bounded(1);
        let counters = Arc::new(PipelineCounters::default());
        let mut link = Ingress::new(tx, None, counters.clone()).for_link(false);
        let mut encoder = FrameEncoder::new(1, 1);
        let ack = |result| {
            MavMessage::COMMAND_ACK(mav::COMMAND_ACK_DATA {
                command: mav::MavCmd::MAV_CMD_COMPONENT_ARM_DISARM,
                result,
                ..Default::default()
            })
        };
        link.deliver(envelope(
            &mut encoder,
            ack(mav::MavResult::MAV_RESULT_ACCEPTED),
        ))
        .expect("open");
        let consumer = std::thread::Builder::new()
            .name("test-consumer".into())
            .spawn(move || {
                std::thread::sleep(std::time::Duration::from_millis(50));
                rx.iter().take(2).count()
            })
            .expect("spawn");
        // The queue is full: this waits until the consumer makes room, and is not dropped.
        link.deliver(envelope(
            &mut encoder,
            ack(mav::MavResult::MAV_RESULT_DENIED),
        ))
        .expect("open");
        assert_eq!(consumer.join().expect("consumer"), 2);
        assert_eq!(counters.world_waits.load(Ordering::Relaxed), 1);
        assert_eq!(counters.coalesced.load(Ordering::Relaxed), 0);
    }
}

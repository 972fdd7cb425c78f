//! Audible cues: a drone's link lost, a battery low, a warning, a critical alert. Each cue is a
//! short tone pattern, made here as a WAV and played by `aplay` (ALSA) or `paplay` (PulseAudio)
//! on the `vigil-audio` thread, so the UI never waits on the sound system. A cue that finds the
//! queue full is dropped: cues repeat what the screen already shows.

use std::io::Write;
use std::process::{Command, Stdio};
use std::thread::JoinHandle;

use crossbeam_channel::{Sender, bounded};

/// Cues queued for the player; when full, new cues are dropped (see the module comment).
const CUE_QUEUE_CAPACITY: usize = 4;
const SAMPLE_RATE_HZ: u32 = 22_050;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cue {
    LinkLost,
    LowBattery,
    Warning,
    Critical,
}

impl Cue {
    /// Tones as (frequency Hz, duration s); a frequency of 0 is a pause.
    fn pattern(self) -> &'static [(f32, f32)] {
        match self {
            // Falling pair: something went away.
            Self::LinkLost => &[(880.0, 0.18), (0.0, 0.05), (440.0, 0.35)],
            Self::LowBattery => &[(520.0, 0.12), (0.0, 0.08), (520.0, 0.12)],
            Self::Warning => &[(660.0, 0.2)],
            // Three fast high beeps.
            Self::Critical => &[
                (1200.0, 0.1),
                (0.0, 0.05),
                (1200.0, 0.1),
                (0.0, 0.05),
                (1200.0, 0.1),
            ],
        }
    }
}

/// A cue as a 16-bit mono WAV file.
pub fn wav(cue: Cue) -> Vec<u8> {
    let mut samples: Vec<i16> = Vec::new();
    for &(freq, secs) in cue.pattern() {
        let n = (secs * SAMPLE_RATE_HZ as f32) as usize;
        for i in 0..n {
            let t = i as f32 / SAMPLE_RATE_HZ as f32;
            // 5 ms fades at both ends avoid clicks.
            let fade = (t / 0.005).min((secs - t) / 0.005).clamp(0.0, 1.0);
            let v = if freq > 0.0 {
                (t * freq * std::f32::consts::TAU).sin() * 0.4 * fade
            } else {
                0.0
            };
            samples.push((v * f32::from(i16::MAX)) as i16);
        }
    }
    let data_len = (samples.len() * 2) as u32;
    let mut out = Vec::with_capacity(44 + data_len as usize);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data_len).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes()); // PCM
    out.extend_from_slice(&1u16.to_le_bytes()); // mono
    out.extend_from_slice(&SAMPLE_RATE_HZ.to_le_bytes());
    out.extend_from_slice(&(SAMPLE_RATE_HZ * 2).to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&16u16.to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data_len.to_le_bytes());
    for s in samples {
        out.extend_from_slice(&s.to_le_bytes());
    }
    out
}

/// The player thread and its queue.
pub struct Audio {
    tx: Option<Sender<Cue>>,
    thread: Option<JoinHandle<()>>,
    enabled: bool,
    /// Cues asked for (played or not), for the status line and tests.
    pub cues: u64,
    pub last: Option<Cue>,
    /// The latest cues asked for, oldest first (at most [`RECENT_CUES`]).
    pub recent: std::collections::VecDeque<Cue>,
    /// Set by the audio thread when neither `aplay` nor `paplay` could be run: cues are asked
    /// for but nothing sounds, which the console says once.
    pub no_player: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

/// Cues remembered in [`Audio::recent`].
pub const RECENT_CUES: usize = 16;

impl Audio {
    /// `wanted == false` (tests, `--no-audio`) never starts a thread or a player.
    pub fn new(wanted: bool) -> Self {
        let mut audio = Self {
            tx: None,
            thread: None,
            enabled: wanted,
            cues: 0,
            last: None,
            recent: std::collections::VecDeque::with_capacity(RECENT_CUES),
            no_player: Default::default(),
        };
        if wanted {
            let (tx, rx) = bounded::<Cue>(CUE_QUEUE_CAPACITY);
            let no_player = audio.no_player.clone();
            let thread = std::thread::Builder::new()
                .name("vigil-audio".into())
                .spawn(move || {
                    let player = ["aplay", "paplay"].into_iter().find(|p| {
                        Command::new(p)
                            .arg("--version")
                            .stdout(Stdio::null())
                            .stderr(Stdio::null())
                            .status()
                            .is_ok()
                    });
                    if player.is_none() {
                        no_player.store(true, std::sync::atomic::Ordering::Relaxed);
                    }
                    for cue in rx {
                        if let Some(player) = player {
                            play_with(player, &wav(cue));
                        }
                    }
                })
                .ok();
            if thread.is_some() {
                audio.tx = Some(tx);
                audio.thread = thread;
            }
        }
        audio
    }

    pub fn set_enabled(&mut self, enabled: bool) {
        self.enabled = enabled;
    }

    /// Queues a cue; never waits.
    pub fn play(&mut self, cue: Cue) {
        self.cues += 1;
        self.last = Some(cue);
        if self.recent.len() == RECENT_CUES {
            self.recent.pop_front();
        }
        self.recent.push_back(cue);
        if self.enabled
            && let Some(tx) = &self.tx
        {
            let _ = tx.try_send(cue);
        }
    }
}

impl Drop for Audio {
    fn drop(&mut self) {
        self.tx = None;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn play_with(player: &str, wav: &[u8]) {
    let mut cmd = Command::new(player);
    if player == "aplay" {
        cmd.arg("-q");
    }
    let Ok(mut child) = cmd
        .arg("-")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
    else {
        return;
    };
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(wav);
    }
    let _ = child.wait();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cues_are_valid_wav_files_of_their_length() {
        for cue in [Cue::LinkLost, Cue::LowBattery, Cue::Warning, Cue::Critical] {
            let bytes = wav(cue);
            assert_eq!(&bytes[0..4], b"RIFF");
            assert_eq!(&bytes[8..16], b"WAVEfmt ");
            let data_len = u32::from_le_bytes([bytes[40], bytes[41], bytes[42], bytes[43]]);
            assert_eq!(bytes.len(), 44 + data_len as usize);
            let secs: f32 = cue.pattern().iter().map(|p| p.1).sum();
            let expect = (secs * SAMPLE_RATE_HZ as f32 * 2.0) as i64;
            assert!((i64::from(data_len) - expect).abs() < 16, "{cue:?}");
        }
    }

    #[test]
    fn silent_audio_counts_cues_without_a_thread() {
        let mut a = Audio::new(false);
        a.play(Cue::Critical);
        assert_eq!((a.cues, a.last), (1, Some(Cue::Critical)));
        assert!(a.thread.is_none());
    }
}

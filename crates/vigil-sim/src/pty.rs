//! Pseudo-terminal pairs: the simulator writes to the master end, and Vigil (or any ground
//! station) opens the slave end as if it were a USB telemetry radio, so the serial path is
//! exercised without hardware. The pair comes from `serialport` (already under
//! `tokio-serial`), which opens it in raw mode, as a serial line.

use std::io;
use std::path::PathBuf;
use std::time::Duration;

use serialport::{SerialPort, TTYPort};

/// How long a read or write on the master waits for the other end: a read with nothing to
/// read gives up after this (as `TimedOut`, which the runner takes for "nothing yet").
pub const MASTER_TIMEOUT: Duration = Duration::from_millis(2);

/// A pseudo-terminal: the master for the simulated device, the slave's path for the ground
/// station. The slave stays open while `slave` lives, as a device that is plugged in.
pub struct Pty {
    pub master: TTYPort,
    pub slave_path: PathBuf,
    pub slave: TTYPort,
}

/// Opens a pseudo-terminal in raw mode (as a serial line); reads and writes on the master
/// wait at most [`MASTER_TIMEOUT`].
pub fn open_pty() -> io::Result<Pty> {
    let (mut master, slave) = TTYPort::pair().map_err(io::Error::from)?;
    master.set_timeout(MASTER_TIMEOUT)?;
    let slave_path = slave
        .name()
        .ok_or_else(|| io::Error::other("the pseudo-terminal has no slave path"))?
        .into();
    Ok(Pty {
        master,
        slave_path,
        slave,
    })
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};

    use super::*;

    #[test]
    fn bytes_written_to_the_master_come_out_of_the_slave_path_unchanged() {
        let mut pty = open_pty().expect("a pseudo-terminal");
        assert!(pty.slave_path.starts_with("/dev/"), "{:?}", pty.slave_path);
        let mut device = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(&pty.slave_path)
            .expect("the slave opens as a device");
        // Raw mode: no echo, no line discipline (0x0D stays 0x0D, 0x03 is no interrupt).
        let bytes = [0xFD, 0x0D, 0x03, 0x0A, 0x00, 0x7F];
        pty.master.write_all(&bytes).expect("write");
        let mut got = [0u8; 6];
        device.read_exact(&mut got).expect("read");
        assert_eq!(got, bytes);
        device.write_all(b"back").expect("write back");
        let mut back = [0u8; 4];
        pty.master.read_exact(&mut back).expect("read back");
        assert_eq!(&back, b"back");
        // Nothing to read: the master gives up quickly instead of blocking the runner.
        let err = pty.master.read(&mut back).expect_err("nothing to read");
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
    }
}

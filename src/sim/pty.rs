//! Pseudo-terminal pairs: the simulator writes to the master end, and Vigil (or any ground
//! station) opens the slave end as if it were a USB telemetry radio, so the serial path is
//! exercised without hardware.

use std::fs::File;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::path::PathBuf;

/// A pseudo-terminal: the master for the simulated device, the slave's path for the ground
/// station. The slave stays open while `slave` lives, as a device that is plugged in.
pub struct Pty {
    pub master: File,
    pub slave_path: PathBuf,
    pub slave: OwnedFd,
}

/// Opens a pseudo-terminal in raw mode (as a serial line), with a non-blocking master.
pub fn open_pty() -> io::Result<Pty> {
    let (mut master, mut slave) = (0, 0);
    let mut name = [0 as libc::c_char; 128];
    // SAFETY: openpty writes two descriptors and a NUL-terminated name of at most 128 bytes
    // into buffers we own; null termios and winsize pointers are allowed.
    let rc = unsafe {
        libc::openpty(
            &mut master,
            &mut slave,
            name.as_mut_ptr(),
            std::ptr::null(),
            std::ptr::null(),
        )
    };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: both descriptors were just opened by openpty and nothing else owns them.
    let (master, slave) = unsafe { (File::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) };
    // SAFETY: openpty NUL-terminated the name buffer.
    let slave_path = unsafe { std::ffi::CStr::from_ptr(name.as_ptr()) }
        .to_string_lossy()
        .into_owned()
        .into();
    // SAFETY: termios is plain data, filled by tcgetattr; the descriptors are valid.
    unsafe {
        let mut termios: libc::termios = std::mem::zeroed();
        if libc::tcgetattr(slave.as_raw_fd(), &mut termios) == 0 {
            libc::cfmakeraw(&mut termios);
            libc::tcsetattr(slave.as_raw_fd(), libc::TCSANOW, &termios);
        }
        let flags = libc::fcntl(master.as_raw_fd(), libc::F_GETFL);
        if flags < 0 || libc::fcntl(master.as_raw_fd(), libc::F_SETFL, flags | libc::O_NONBLOCK) < 0
        {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(Pty {
        master,
        slave_path,
        slave,
    })
}

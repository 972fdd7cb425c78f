//! Link addresses in the form MAVProxy users already type, parsed into a typed configuration
//! ("parse, don't validate"): `serial:/dev/ttyUSB0:57600`, `/dev/ttyUSB0:57600`,
//! `udpin:0.0.0.0:14550`, `udpout:10.0.0.2:14550`, `tcp:host:5760`, `tcpin:0.0.0.0:5760`,
//! `file:recording.tlog`.

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::str::FromStr;

/// The baud rate of SiK telemetry radios, and so the default for serial links.
pub const DEFAULT_BAUD: u32 = 57_600;

/// Where a link's bytes come from and go to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkAddress {
    /// A serial device (USB telemetry radio, flight controller on USB).
    Serial { path: PathBuf, baud: u32 },
    /// Listen for UDP datagrams; replies go to whoever sent last (as MAVProxy's `udpin:`).
    UdpIn { bind: SocketAddr },
    /// Send UDP datagrams to a peer, and read its replies.
    UdpOut { host: String, port: u16 },
    /// Connect to a TCP server (SITL, a companion computer); redialled when it drops.
    TcpClient { host: String, port: u16 },
    /// Accept TCP connections on a port.
    TcpListen { bind: SocketAddr },
    /// Replay a recorded telemetry log.
    File { path: PathBuf },
}

/// An address that could not be understood; the message says which part and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("link address {address:?}: {reason}")]
pub struct AddressError {
    pub address: String,
    pub reason: String,
}

/// Serial links at or below this baud rate are taken for telemetry radios (SiK radios run at
/// 57600 or 115200); faster ones, and USB CDC devices, for a cable to the flight controller.
pub const RADIO_MAX_BAUD: u32 = 115_200;

impl LinkAddress {
    /// True for a serial link slow enough to be a telemetry radio: what goes over it must
    /// be budgeted.
    pub fn is_radio(&self) -> bool {
        match self {
            Self::Serial { path, baud } => {
                // A flight controller on USB is a CDC device (ttyACM, macOS usbmodem) whatever
                // baud is given; SiK radios sit behind a USB-serial chip (ttyUSB).
                let name = path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let usb_cdc = name.starts_with("ttyACM") || name.contains("usbmodem");
                *baud <= RADIO_MAX_BAUD && !usb_cdc
            }
            _ => false,
        }
    }

    /// True for links that replay a file rather than talk to a live peer.
    pub fn is_replay(&self) -> bool {
        matches!(self, Self::File { .. })
    }
}

impl FromStr for LinkAddress {
    type Err = AddressError;

    fn from_str(address: &str) -> Result<Self, Self::Err> {
        let fail = |reason: String| AddressError {
            address: address.to_owned(),
            reason,
        };
        let trimmed = address.trim();
        if trimmed.is_empty() {
            return Err(fail("empty address".into()));
        }
        let (scheme, rest) = match trimmed.split_once(':') {
            Some((scheme, rest)) if is_scheme(scheme) => (scheme.to_ascii_lowercase(), rest),
            _ => (String::new(), trimmed),
        };
        match scheme.as_str() {
            "serial" => parse_serial(rest).map_err(fail),
            "udpin" | "udp" => parse_socket_addr(rest)
                .map(|bind| Self::UdpIn { bind })
                .map_err(fail),
            "udpout" => parse_host_port(rest)
                .map(|(host, port)| Self::UdpOut { host, port })
                .map_err(fail),
            "tcp" => parse_host_port(rest)
                .map(|(host, port)| Self::TcpClient { host, port })
                .map_err(fail),
            "tcpin" => parse_socket_addr(rest)
                .map(|bind| Self::TcpListen { bind })
                .map_err(fail),
            "file" => {
                if rest.is_empty() {
                    Err(fail("file: needs a path".into()))
                } else {
                    Ok(Self::File { path: rest.into() })
                }
            }
            _ if rest.ends_with(".tlog") => Ok(Self::File { path: rest.into() }),
            _ if looks_like_device(rest) => parse_serial(rest).map_err(fail),
            _ => Err(fail(
                "expected serial:DEVICE:BAUD, DEVICE:BAUD, udpin:IP:PORT, udpout:HOST:PORT, \
                 tcp:HOST:PORT, tcpin:IP:PORT or file:PATH.tlog"
                    .into(),
            )),
        }
    }
}

fn is_scheme(candidate: &str) -> bool {
    matches!(
        candidate.to_ascii_lowercase().as_str(),
        "serial" | "udpin" | "udp" | "udpout" | "tcp" | "tcpin" | "file"
    )
}

fn looks_like_device(text: &str) -> bool {
    text.starts_with("/dev/") || text.to_ascii_uppercase().starts_with("COM")
}

fn parse_serial(rest: &str) -> Result<LinkAddress, String> {
    // The baud rate is the part after the last colon, when it is a number; device paths on
    // Linux have no colons, but /dev/serial/by-path names do, so only a numeric tail is a baud.
    let (path, baud) = match rest.rsplit_once(':') {
        Some((path, baud)) if !baud.is_empty() && baud.bytes().all(|b| b.is_ascii_digit()) => {
            let baud: u32 = baud
                .parse()
                .map_err(|_| format!("baud rate {baud:?} is too large"))?;
            (path, baud)
        }
        _ => (rest, DEFAULT_BAUD),
    };
    if path.is_empty() {
        return Err("serial link needs a device path".into());
    }
    if baud == 0 {
        return Err("baud rate must be positive".into());
    }
    Ok(LinkAddress::Serial {
        path: path.into(),
        baud,
    })
}

fn parse_host_port(rest: &str) -> Result<(String, u16), String> {
    let (host, port) = rest
        .rsplit_once(':')
        .ok_or_else(|| "expected HOST:PORT".to_string())?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.is_empty() {
        return Err("host is empty".into());
    }
    let port: u16 = port
        .parse()
        .map_err(|_| format!("port {port:?} is not a number from 0 to 65535"))?;
    Ok((host.to_owned(), port))
}

fn parse_socket_addr(rest: &str) -> Result<SocketAddr, String> {
    let (host, port) = parse_host_port(rest)?;
    let ip = if host == "localhost" {
        "127.0.0.1".to_owned()
    } else {
        host
    };
    let ip = ip
        .parse()
        .map_err(|_| format!("{ip:?} is not an IP address to listen on"))?;
    Ok(SocketAddr::new(ip, port))
}

impl fmt::Display for LinkAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Serial { path, baud } => write!(f, "serial:{}:{baud}", path.display()),
            Self::UdpIn { bind } => write!(f, "udpin:{bind}"),
            Self::UdpOut { host, port } => write!(f, "udpout:{host}:{port}"),
            Self::TcpClient { host, port } => write!(f, "tcp:{host}:{port}"),
            Self::TcpListen { bind } => write!(f, "tcpin:{bind}"),
            Self::File { path } => write!(f, "file:{}", path.display()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> LinkAddress {
        text.parse().unwrap_or_else(|err| panic!("{text}: {err}"))
    }

    #[test]
    fn mavproxy_strings_parse() {
        assert_eq!(
            parse("serial:/dev/ttyUSB0:57600"),
            LinkAddress::Serial {
                path: "/dev/ttyUSB0".into(),
                baud: 57_600
            }
        );
        assert_eq!(
            parse("/dev/ttyACM0:115200"),
            LinkAddress::Serial {
                path: "/dev/ttyACM0".into(),
                baud: 115_200
            }
        );
        assert_eq!(
            parse("/dev/ttyUSB1"),
            LinkAddress::Serial {
                path: "/dev/ttyUSB1".into(),
                baud: DEFAULT_BAUD
            }
        );
        assert_eq!(
            parse("udpin:0.0.0.0:14550"),
            LinkAddress::UdpIn {
                bind: "0.0.0.0:14550".parse().expect("addr")
            }
        );
        assert_eq!(
            parse("udpout:10.0.0.2:14550"),
            LinkAddress::UdpOut {
                host: "10.0.0.2".into(),
                port: 14550
            }
        );
        assert_eq!(
            parse("tcp:localhost:5760"),
            LinkAddress::TcpClient {
                host: "localhost".into(),
                port: 5760
            }
        );
        assert_eq!(
            parse("tcpin:0.0.0.0:5760"),
            LinkAddress::TcpListen {
                bind: "0.0.0.0:5760".parse().expect("addr")
            }
        );
        assert_eq!(
            parse("file:flight.tlog"),
            LinkAddress::File {
                path: "flight.tlog".into()
            }
        );
        assert_eq!(
            parse("logs/flight.tlog"),
            LinkAddress::File {
                path: "logs/flight.tlog".into()
            }
        );
    }

    #[test]
    fn display_gives_back_a_parsable_canonical_string() {
        for text in [
            "serial:/dev/ttyUSB0:57600",
            "udpin:0.0.0.0:14550",
            "tcp:sitl:5760",
            "file:a.tlog",
        ] {
            assert_eq!(parse(text).to_string(), text);
            assert_eq!(parse(&parse(text).to_string()), parse(text));
        }
    }

    #[test]
    fn bad_addresses_say_what_is_wrong() {
        let err = "udpin:0.0.0.0:99999"
            .parse::<LinkAddress>()
            .expect_err("bad port");
        assert!(err.to_string().contains("port \"99999\""), "{err}");
        let err = "tcp:5760".parse::<LinkAddress>().expect_err("no host");
        assert!(err.to_string().contains("HOST:PORT"), "{err}");
        let err = "udpin:example.org:14550"
            .parse::<LinkAddress>()
            .expect_err("name");
        assert!(err.to_string().contains("not an IP address"), "{err}");
        let err = "carrier-pigeon"
            .parse::<LinkAddress>()
            .expect_err("unknown");
        assert!(err.to_string().contains("expected serial:"), "{err}");
        assert!("serial:/dev/ttyUSB0:0".parse::<LinkAddress>().is_err());
    }

    #[test]
    fn radios_are_slow_serial_links_but_not_usb_flight_controllers() {
        assert!(parse("/dev/ttyUSB0:57600").is_radio());
        assert!(parse("serial:/dev/ttyUSB1:115200").is_radio());
        assert!(!parse("/dev/ttyUSB0:921600").is_radio());
        assert!(!parse("/dev/ttyACM0:115200").is_radio());
        assert!(!parse("/dev/cu.usbmodem14101:57600").is_radio());
        assert!(!parse("udpin:0.0.0.0:14550").is_radio());
    }
}

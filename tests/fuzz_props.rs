//! A mutation test over the fuzz targets' entry points (`vigil::fuzzing`), on the stable
//! toolchain: each seed of `fuzz/corpus/` is mutated (bits flipped, bytes inserted, deleted
//! and repeated, cut short, spliced with another seed) and fed to the same checks the
//! cargo-fuzz targets run. Deterministic (a fixed seed); `VIGIL_FUZZ_ITERATIONS` raises the
//! number of mutations per seed (default 300) for a longer run.

use std::path::Path;

use vigil::fuzzing::{check_link_bytes, check_mission_file, check_scenario, check_tlog};

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

fn mutate(rng: &mut Rng, input: &[u8], other: &[u8]) -> Vec<u8> {
    let mut data = input.to_vec();
    for _ in 0..=rng.below(4) {
        let at = rng.below(data.len() + 1);
        match rng.below(7) {
            0 if at < data.len() => data[at] ^= 1 << rng.below(8),
            1 if at < data.len() => data[at] = rng.next() as u8,
            2 => data.insert(at, rng.next() as u8),
            3 if at < data.len() => {
                let end = (at + 1 + rng.below(16)).min(data.len());
                data.drain(at..end);
            }
            4 => data.truncate(at),
            5 if at < data.len() => {
                let end = (at + 1 + rng.below(32)).min(data.len());
                let piece = data[at..end].to_vec();
                data.splice(at..at, piece);
            }
            _ => {
                let from = rng.below(other.len());
                let end = (from + rng.below(64)).min(other.len());
                data.splice(at..at, other[from..end].iter().copied());
            }
        }
    }
    data
}

fn seeds(target: &str) -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|err| panic!("{}: {err}", dir.display()))
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.is_file())
        .collect();
    paths.sort();
    let seeds: Vec<_> = paths
        .iter()
        .map(|path| std::fs::read(path).expect("a readable seed"))
        .collect();
    assert!(!seeds.is_empty(), "no seeds in {}", dir.display());
    seeds
}

fn iterations() -> usize {
    std::env::var("VIGIL_FUZZ_ITERATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300)
}

fn run(target: &str, salt: u64, check: fn(&[u8])) {
    let seeds = seeds(target);
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ salt);
    for seed in &seeds {
        check(seed);
        for _ in 0..iterations() {
            let other = &seeds[rng.below(seeds.len())];
            let input = mutate(&mut rng, seed, other);
            check(&input);
        }
    }
}

#[test]
fn link_bytes_survive_mutation() {
    run("frame_parser", 1, check_link_bytes);
}

#[test]
fn tlogs_survive_mutation() {
    run("tlog_reader", 2, check_tlog);
}

#[test]
fn scenarios_survive_mutation() {
    run("scenario", 3, check_scenario);
}

#[test]
fn mission_and_parameter_files_survive_mutation() {
    run("mission_files", 4, check_mission_file);
}

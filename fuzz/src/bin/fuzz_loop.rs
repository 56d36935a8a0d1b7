//! Runs a fuzz target without libFuzzer (stable toolchain, no sanitizer): every corpus file,
//! then random mutations of corpus entries (byte flips, inserts, deletes, splices, repeated
//! chunks), deterministic under a seed.
//!
//! ```text
//! cargo run --release --no-default-features --bin fuzz_loop -- <target> <executions> [seed]
//! ```
//!
//! `<target>` is `emulator_request_parsing` or `client_response_decoding`; inputs are read from
//! `seeds/<target>/` (checked in) and `corpus/<target>/` (collected by `cargo fuzz run`). A panic
//! aborts the run with the offending input written to
//! `artifacts/<target>/crash-<n>`.

use std::path::Path;
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let target = args
        .get(1)
        .map(String::as_str)
        .unwrap_or("emulator_request_parsing");
    let executions: u64 = args
        .get(2)
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let seed: u64 = args.get(3).and_then(|v| v.parse().ok()).unwrap_or(1);
    let run: fn(&[u8]) = match target {
        "emulator_request_parsing" => mns_fuzz::emulator_request_parsing,
        "client_response_decoding" => mns_fuzz::client_response_decoding,
        other => {
            eprintln!("unknown target {other}");
            std::process::exit(2);
        }
    };
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    // Checked-in seeds plus whatever `cargo fuzz run` has collected.
    let mut corpus: Vec<Vec<u8>> = ["seeds", "corpus"]
        .iter()
        .filter_map(|d| std::fs::read_dir(dir.join(d).join(target)).ok())
        .flat_map(|entries| entries.filter_map(|e| std::fs::read(e.ok()?.path()).ok()))
        .collect();
    if corpus.is_empty() {
        corpus.push(Vec::new());
    }
    let mut rng = SplitMix(seed);
    let started = Instant::now();
    let mut input = Vec::new();
    for n in 0..executions {
        input.clear();
        let base = &corpus[(n as usize) % corpus.len()];
        input.extend_from_slice(base);
        if n >= corpus.len() as u64 {
            let other = &corpus[rng.below(corpus.len())];
            mutate(&mut input, other, &mut rng);
        }
        let result = std::panic::catch_unwind(|| run(&input));
        if result.is_err() {
            let out = dir.join("artifacts").join(target);
            let _ = std::fs::create_dir_all(&out);
            let path = out.join(format!("crash-{n}"));
            let _ = std::fs::write(&path, &input);
            eprintln!(
                "crash after {n} executions; input saved to {}",
                path.display()
            );
            std::process::exit(1);
        }
        if n > 0 && n % 1_000_000 == 0 {
            eprintln!("{n} executions, {:.0?}", started.elapsed());
        }
    }
    println!(
        "{target}: {executions} executions, no crash, {:.1?} (seed {seed}, {} corpus files)",
        started.elapsed(),
        corpus.len()
    );
}

struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// A few random edits; interesting bytes for XML and HTTP are favoured.
fn mutate(input: &mut Vec<u8>, other: &[u8], rng: &mut SplitMix) {
    const INTERESTING: &[u8] = b"<>/&;\"'=?:\r\n \x00\xff\xc3-+0123456789";
    for _ in 0..=rng.below(4) {
        let len = input.len();
        match rng.below(7) {
            0 if len > 0 => {
                let i = rng.below(len);
                input[i] ^= 1 << rng.below(8);
            }
            1 => {
                let i = rng.below(len + 1);
                input.insert(i, INTERESTING[rng.below(INTERESTING.len())]);
            }
            2 if len > 0 => {
                let i = rng.below(len);
                let n = rng.below((len - i).min(16) + 1);
                input.drain(i..i + n);
            }
            3 if !other.is_empty() => {
                let from = rng.below(other.len());
                let n = rng.below((other.len() - from).min(64) + 1);
                let at = rng.below(len + 1);
                let chunk = other[from..from + n].to_vec();
                input.splice(at..at, chunk);
            }
            4 if len > 0 => {
                let i = rng.below(len);
                let n = rng.below((len - i).min(32) + 1);
                let chunk = input[i..i + n].to_vec();
                for _ in 0..rng.below(8) {
                    input.splice(i..i, chunk.iter().copied());
                }
            }
            5 if len > 0 => {
                let i = rng.below(len);
                input[i] = INTERESTING[rng.below(INTERESTING.len())];
            }
            _ => {
                let i = rng.below(len + 1);
                input.insert(i, rng.next() as u8);
            }
        }
    }
}

//! Runs the emulator's fuzz entry point (`fuzz/`, target `emulator_request_parsing`) in CI over
//! the checked-in seed inputs, a few hostile shapes, and every truncation and single-byte change
//! of each seed: a cheap guard that the parsers never panic between fuzzing campaigns.

use std::path::Path;

#[test]
fn request_parsers_survive_seeds_and_their_mutations() {
    let seeds =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/seeds/emulator_request_parsing");
    let mut inputs: Vec<Vec<u8>> = std::fs::read_dir(&seeds)
        .expect("seed directory")
        .map(|e| std::fs::read(e.expect("entry").path()).expect("seed"))
        .collect();
    assert!(!inputs.is_empty());
    // Deep nesting, parsed once (mutating 350 KB inputs would make this slow in debug).
    mns_emulator::fuzzing::parse_request(format!("<Queue>{}", "<a>".repeat(50_000)).as_bytes());
    mns_emulator::fuzzing::parse_request(
        format!(
            "<Queue>{}{}</Queue>",
            "<a>".repeat(50_000),
            "</a>".repeat(50_000)
        )
        .as_bytes(),
    );
    inputs.push(b"\xef\xbb\xbf<Message><MessageBody>&#xD800;</MessageBody></Message>".to_vec());
    let mut runs = 0;
    for input in &inputs {
        for cut in 0..=input.len().min(512) {
            mns_emulator::fuzzing::parse_request(&input[..cut]);
            runs += 1;
        }
        for i in 0..input.len().min(512) {
            for b in [b'<', b'>', b'&', b'/', 0xff, 0] {
                let mut changed = input.clone();
                changed[i] = b;
                mns_emulator::fuzzing::parse_request(&changed);
                runs += 1;
            }
        }
    }
    assert!(runs > 1_000, "{runs}");
}

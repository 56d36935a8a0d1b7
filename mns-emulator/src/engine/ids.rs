//! Message ids, receipt handles and body MD5s.
//!
//! Nothing here is stored per message beyond a sequence number and a handle generation: ids and
//! handles are derived on output. A handle carries `(seq, generation)` plus a keyed check value, so
//! the engine can tell a well-formed handle it issued (stale or current) from garbage without
//! remembering every handle ever issued.

use md5::{Digest, Md5};

/// The splitmix64 finaliser: a bijection on `u64` with good mixing.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Derives ids and handles from per-engine keys.
#[derive(Debug, Clone)]
pub(crate) struct IdCodec {
    id_key: u64,
    handle_key: u64,
}

/// Length of the token after the `N-` prefix: 16 hex seq + 8 hex generation + 16 hex check.
const TOKEN_LEN: usize = 40;

impl IdCodec {
    pub(crate) fn new(seed: u64) -> Self {
        IdCodec {
            id_key: mix(seed ^ 0x6D6E_735F_6964_5F6B),
            handle_key: mix(seed ^ 0x6D6E_735F_7268_5F6B),
        }
    }

    /// 32 upper-case hex characters; unique per sequence number (the high half is a bijection of it).
    pub(crate) fn message_id(&self, seq: u64) -> String {
        let hi = mix(seq.wrapping_add(self.id_key));
        let lo = mix(hi ^ self.id_key.rotate_left(17));
        let mut s = String::with_capacity(32);
        push_hex(&mut s, hi, 16, UPPER);
        push_hex(&mut s, lo, 16, UPPER);
        s
    }

    fn check(&self, seq: u64, generation: u32) -> u64 {
        mix(mix(seq ^ self.handle_key)
            ^ u64::from(generation).wrapping_add(self.handle_key.rotate_left(29)))
    }

    /// A receipt handle for generation `generation` of message `seq`: `[0-9]-[0-9a-f]{40}`.
    pub(crate) fn receipt_handle(&self, seq: u64, generation: u32) -> String {
        let mut s = String::with_capacity(TOKEN_LEN + 2);
        s.push(char::from(b'1' + (seq % 9) as u8));
        s.push('-');
        push_hex(&mut s, seq, 16, LOWER);
        push_hex(&mut s, u64::from(generation), 8, LOWER);
        push_hex(&mut s, self.check(seq, generation), 16, LOWER);
        s
    }

    /// Decodes a handle this codec issued into `(seq, generation)`; `None` for anything else.
    pub(crate) fn parse_receipt_handle(&self, handle: &str) -> Option<(u64, u32)> {
        let (prefix, token) = handle.split_once('-')?;
        if prefix.len() != 1 || token.len() != TOKEN_LEN {
            return None;
        }
        if !token
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        {
            return None;
        }
        let seq = u64::from_str_radix(&token[..16], 16).ok()?;
        let generation = u32::from_str_radix(&token[16..24], 16).ok()?;
        let check = u64::from_str_radix(&token[24..], 16).ok()?;
        let expected_prefix = char::from_digit((seq % 9 + 1) as u32, 10)?;
        if check != self.check(seq, generation) || !prefix.starts_with(expected_prefix) {
            return None;
        }
        Some((seq, generation))
    }
}

/// MD5 of the body text's UTF-8 bytes.
pub(crate) fn body_md5(body: &str) -> [u8; 16] {
    Md5::digest(body.as_bytes()).into()
}

/// Upper-case hex of an MD5.
/// Upper-case hex digits.
const UPPER: &[u8; 16] = b"0123456789ABCDEF";
/// Lower-case hex digits.
const LOWER: &[u8; 16] = b"0123456789abcdef";

/// Appends the low `digits` hex digits of `v`, most significant first, zero-padded (what
/// `{v:016X}` writes, without the formatting machinery: ids are written on every request).
fn push_hex(out: &mut String, v: u64, digits: u32, alphabet: &[u8; 16]) {
    for i in (0..digits).rev() {
        out.push(char::from(alphabet[((v >> (4 * i)) & 0xF) as usize]));
    }
}

pub(crate) fn md5_hex(md5: &[u8; 16]) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut s = String::with_capacity(32);
    for b in md5 {
        s.push(char::from(HEX[usize::from(b >> 4)]));
        s.push(char::from(HEX[usize::from(b & 0x0F)]));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn md5_matches_captured_values() {
        assert_eq!(
            md5_hex(&body_md5("hello world")),
            "5EB63BBBE01EEED093CB22BB8F5ACDC3"
        );
        assert_eq!(
            md5_hex(&body_md5("I am 测试字符串.")),
            "9D75198CAA17528AB23790C1861987AF"
        );
    }

    #[test]
    fn hex_writers_match_the_formatted_layouts() {
        let c = IdCodec::new(11);
        for seq in [0_u64, 1, 9, 12_345, u64::MAX] {
            let (hi, lo) = {
                let hi = mix(seq.wrapping_add(c.id_key));
                (hi, mix(hi ^ c.id_key.rotate_left(17)))
            };
            assert_eq!(c.message_id(seq), format!("{hi:016X}{lo:016X}"));
            for generation in [0_u32, 7, u32::MAX] {
                let want = format!(
                    "{}-{seq:016x}{generation:08x}{:016x}",
                    seq % 9 + 1,
                    c.check(seq, generation)
                );
                assert_eq!(c.receipt_handle(seq, generation), want);
            }
        }
    }

    #[test]
    fn message_ids_are_32_upper_hex_and_distinct() {
        let c = IdCodec::new(7);
        let ids: std::collections::HashSet<String> = (0..10_000).map(|s| c.message_id(s)).collect();
        assert_eq!(ids.len(), 10_000);
        for id in ids.iter().take(100) {
            assert_eq!(id.len(), 32);
            assert!(
                id.bytes()
                    .all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(&b))
            );
        }
    }

    #[test]
    fn handles_round_trip_and_reject_garbage() {
        let c = IdCodec::new(42);
        for (seq, generation) in [(0, 0), (1, 1), (123_456_789, 7), (u64::MAX, u32::MAX)] {
            let h = c.receipt_handle(seq, generation);
            assert!(h.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'));
            assert_eq!(c.parse_receipt_handle(&h), Some((seq, generation)));
            // Tampering with any character is detected.
            let mut tampered = h.clone().into_bytes();
            let last = tampered.len() - 1;
            tampered[last] = if tampered[last] == b'0' { b'1' } else { b'0' };
            let tampered = String::from_utf8(tampered).unwrap();
            assert_eq!(c.parse_receipt_handle(&tampered), None);
        }
        for garbage in [
            "",
            "x",
            "1-abc",
            "garbage-handle",
            "8-0zxjHBaWtzPz8zphz0z6OGz5yWWidU1fJM",
        ] {
            assert_eq!(c.parse_receipt_handle(garbage), None);
        }
        // Another engine's handles are not recognised.
        let other = IdCodec::new(43);
        assert_eq!(other.parse_receipt_handle(&c.receipt_handle(5, 1)), None);
    }
}

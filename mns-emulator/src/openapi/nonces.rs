//! The control plane's replay protection: every signature nonce seen within the date-skew
//! window, refused when it comes back (400 `SignatureNonceUsed`, reference §2.5).
//!
//! Checked under the engine lock on every control-plane request, so the cost must not grow with
//! the number of nonces held: they are kept in order of when they were seen, expired ones are
//! dropped from the front, and the lookup is a hash probe. (A virtual clock set backwards only
//! keeps nonces longer, as the window is measured from when each was seen.)

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, SystemTime};

use super::error::OpenApiError;

/// Nonces seen recently, with when they were seen.
#[derive(Debug, Default)]
pub(crate) struct NonceStore {
    /// Nonce → when it was seen (the key of its entry in `by_time`).
    seen: HashMap<String, (SystemTime, u64)>,
    /// (when seen, arrival number) → nonce: the expiry order.
    by_time: BTreeMap<(SystemTime, u64), String>,
    /// Arrival counter, separating nonces seen at the same instant.
    next: u64,
    /// Entries looked at by expiry (for the test that keeps it proportional to what expires).
    #[cfg(test)]
    examined: usize,
}

impl NonceStore {
    /// Records `nonce`; `SignatureNonceUsed` when it was seen within `window` before `now`.
    pub(crate) fn check_and_record(
        &mut self,
        nonce: &str,
        now: SystemTime,
        window: Duration,
    ) -> Result<(), OpenApiError> {
        self.expire(now, window);
        if self.seen.contains_key(nonce) {
            return Err(OpenApiError::new(
                400,
                "SignatureNonceUsed",
                "Specified signature nonce was used already.",
            ));
        }
        let key = (now, self.next);
        self.next += 1;
        self.seen.insert(nonce.to_owned(), key);
        self.by_time.insert(key, nonce.to_owned());
        Ok(())
    }

    /// Drops, oldest first, every nonce seen `window` or more before `now`.
    fn expire(&mut self, now: SystemTime, window: Duration) {
        while let Some(entry) = self.by_time.first_entry() {
            #[cfg(test)]
            {
                self.examined += 1;
            }
            let (seen, _) = *entry.key();
            // A window so long it overflows never expires anything.
            if seen.checked_add(window).is_none_or(|until| until > now) {
                break;
            }
            let nonce = entry.remove();
            self.seen.remove(&nonce);
        }
    }

    /// How many nonces are held.
    #[cfg(test)]
    fn len(&self) -> usize {
        debug_assert_eq!(self.seen.len(), self.by_time.len());
        self.seen.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const WINDOW: Duration = Duration::from_secs(900);

    fn at(secs: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000 + secs)
    }

    #[test]
    fn a_nonce_is_refused_within_the_window_and_accepted_after() {
        let mut store = NonceStore::default();
        store.check_and_record("n", at(0), WINDOW).unwrap();
        let again = store.check_and_record("n", at(899), WINDOW).unwrap_err();
        assert_eq!(
            (again.status, again.code.as_str()),
            (400, "SignatureNonceUsed")
        );
        store.check_and_record("n", at(900), WINDOW).unwrap();
        assert_eq!(store.len(), 1);
    }

    #[test]
    fn expiry_looks_only_at_what_expires() {
        let mut store = NonceStore::default();
        for i in 0..10_000u64 {
            store
                .check_and_record(&format!("old-{i}"), at(i / 100), WINDOW)
                .unwrap();
        }
        store.examined = 0;
        // One second later than the first hundred expire: those hundred go, and expiry stops
        // at the first live nonce instead of visiting the other 9 900.
        store.check_and_record("fresh", at(900), WINDOW).unwrap();
        assert_eq!(store.len(), 10_000 - 100 + 1);
        assert!(store.examined <= 101, "examined {}", store.examined);
        // An old nonce that expired can be used again; a live one cannot.
        store.check_and_record("old-0", at(900), WINDOW).unwrap();
        assert!(store.check_and_record("old-100", at(900), WINDOW).is_err());
    }

    #[test]
    fn a_clock_set_backwards_keeps_nonces() {
        let mut store = NonceStore::default();
        store.check_and_record("n", at(1_000), WINDOW).unwrap();
        assert!(store.check_and_record("n", at(0), WINDOW).is_err());
        store.check_and_record("m", at(0), WINDOW).unwrap();
        // Back to the later time: "m" (seen at 0) expired, "n" (seen at 1000) did not.
        store.check_and_record("m", at(1_000), WINDOW).unwrap();
        assert!(store.check_and_record("n", at(1_000), WINDOW).is_err());
    }
}

//! Small deterministic generators: everything "random" in the fake (inventory, SIDs, tokens)
//! comes from here, seeded, so the same seed always gives the same answers.
//! Kept hand-written on purpose: these exact streams are the fake's deterministic-inventory
//! contract (SPEC §12), which an RNG crate need not keep stable from one version to the next.

/// SplitMix64: tiny, fast, and good enough for test data (not for secrets).
#[derive(Debug, Clone)]
pub(crate) struct SplitMix64(u64);

impl SplitMix64 {
    /// A generator for one purpose (`label`) under `seed`. Different labels give independent
    /// streams, so adding a use of randomness in one place does not shift the others.
    pub(crate) fn derive(seed: u64, label: &str) -> Self {
        Self(seed ^ fnv1a(label.as_bytes()).rotate_left(17))
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform-enough value in `0..n` (`n > 0`); the modulo bias is irrelevant here.
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// True with probability `percent`/100.
    pub(crate) fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    /// Picks one element of a non-empty slice.
    pub(crate) fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        let len = u64::try_from(items.len()).unwrap_or(u64::MAX);
        let index = usize::try_from(self.below(len)).unwrap_or(0);
        &items[index]
    }

    /// 128 random bits: the 32 hex digits of a Twilio SID.
    pub(crate) fn next_u128(&mut self) -> u128 {
        (u128::from(self.next_u64()) << 64) | u128::from(self.next_u64())
    }

    /// `count` decimal digits, the first one in `first_min..=9`.
    pub(crate) fn digits(&mut self, count: usize, first_min: u8) -> String {
        let mut out = String::with_capacity(count);
        for i in 0..count {
            let low = if i == 0 { first_min } else { 0 };
            let span = u64::from(10 - low);
            let d = low + u8::try_from(self.below(span)).unwrap_or(0);
            out.push(char::from(b'0' + d));
        }
        out
    }
}

/// FNV-1a, 64-bit: a stable hash for labels and page-token tags.
pub(crate) fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0000_0100_0000_01B3);
    }
    hash
}

/// A SID: two-letter prefix and 32 lowercase hex digits.
pub(crate) fn format_sid(prefix: &str, value: u128) -> String {
    format!("{prefix}{value:032x}")
}

/// Parses a SID with the given prefix; `None` unless it is the prefix and exactly 32 hex digits.
pub(crate) fn parse_sid(prefix: &str, sid: &str) -> Option<u128> {
    let hex = sid.strip_prefix(prefix)?;
    if hex.len() != 32 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u128::from_str_radix(hex, 16).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_and_label_give_the_same_stream_and_labels_are_independent() {
        let mut a = SplitMix64::derive(7, "x");
        let mut b = SplitMix64::derive(7, "x");
        let mut c = SplitMix64::derive(7, "y");
        let mut d = SplitMix64::derive(8, "x");
        let sa: Vec<u64> = (0..8).map(|_| a.next_u64()).collect();
        let sb: Vec<u64> = (0..8).map(|_| b.next_u64()).collect();
        let sc: Vec<u64> = (0..8).map(|_| c.next_u64()).collect();
        let sd: Vec<u64> = (0..8).map(|_| d.next_u64()).collect();
        assert_eq!(sa, sb);
        assert_ne!(sa, sc);
        assert_ne!(sa, sd);
    }

    #[test]
    fn sids_round_trip_and_malformed_ones_are_refused() {
        let sid = format_sid("PN", 0xabc);
        assert_eq!(sid.len(), 34);
        assert_eq!(parse_sid("PN", &sid), Some(0xabc));
        assert_eq!(parse_sid("AC", &sid), None);
        assert_eq!(parse_sid("PN", "PN123"), None);
        assert_eq!(parse_sid("PN", &format!("PN{}", "g".repeat(32))), None);
    }

    #[test]
    fn digits_respect_length_and_first_digit_floor() {
        let mut r = SplitMix64::derive(1, "d");
        for _ in 0..200 {
            let s = r.digits(7, 2);
            assert_eq!(s.len(), 7);
            assert!(s.as_bytes()[0] >= b'2');
        }
    }
}

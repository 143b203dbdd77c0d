//! Lowercase hexadecimal encoding, the only form this crate needs (key ids, body hashes).

const DIGITS: &[u8; 16] = b"0123456789abcdef";

/// Appends the lowercase hex form of `bytes` to `out`.
pub(crate) fn encode_into(bytes: &[u8], out: &mut String) {
    out.reserve(bytes.len() * 2);
    for byte in bytes {
        out.push(char::from(DIGITS[usize::from(byte >> 4)]));
        out.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
    }
}

/// Returns the lowercase hex form of `bytes`.
pub(crate) fn encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    encode_into(bytes, &mut out);
    out
}

/// Parses hex digits (either case) into `out`; `None` unless `text` has exactly
/// `2 * out.len()` valid digits.
pub(crate) fn decode_exact(text: &str, out: &mut [u8]) -> Option<()> {
    let text = text.as_bytes();
    if text.len() != out.len() * 2 {
        return None;
    }
    for (slot, pair) in out.iter_mut().zip(text.chunks_exact(2)) {
        *slot = (digit(pair[0])? << 4) | digit(pair[1])?;
    }
    Some(())
}

fn digit(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_lowercase_and_decodes_either_case() {
        assert_eq!(encode(&[0x00, 0x9f, 0xab, 0xff]), "009fabff");
        let mut out = [0u8; 2];
        assert_eq!(decode_exact("9FaB", &mut out), Some(()));
        assert_eq!(out, [0x9f, 0xab]);
    }

    #[test]
    fn decode_rejects_wrong_length_and_non_hex() {
        let mut out = [0u8; 2];
        assert_eq!(decode_exact("abc", &mut out), None);
        assert_eq!(decode_exact("abcdef", &mut out), None);
        assert_eq!(decode_exact("zz00", &mut out), None);
    }
}

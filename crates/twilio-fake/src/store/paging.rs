//! Paging: signed page tokens, the list parameters, and the owned-number listing (the JSON
//! page Twilio sends and the structured page of the control API).

use std::ops::Bound;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::{OwnedRec, State, phone_key};
use crate::catalog;
use crate::model::{ApiError, NumberKind, OwnedNumber, codes};
use crate::rng::{SplitMix64, fnv1a};
use crate::wire::{IncomingPage, OwnedSeq};

/// Largest `PageSize` of list endpoints.
pub const MAX_PAGE_SIZE: u32 = 1000;
/// `PageSize` when none is given.
pub const DEFAULT_PAGE_SIZE: u32 = 50;

/// Which way a page token points.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Direction {
    After = 1,
    Before = 2,
}

/// Decoded page token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct PageToken {
    pub(super) direction: Direction,
    pub(super) account: u32,
    pub(super) position: u128,
    pub(super) filter: u64,
}

impl State {
    fn token_tag(&self, payload: &[u8]) -> u64 {
        let mut rng = SplitMix64::derive(self.token_key ^ fnv1a(payload), "tag");
        rng.next_u64()
    }

    pub(super) fn encode_token(&self, token: PageToken) -> String {
        let mut bytes = Vec::with_capacity(37);
        bytes.push(token.direction as u8);
        bytes.extend_from_slice(&token.account.to_be_bytes());
        bytes.extend_from_slice(&token.position.to_be_bytes());
        bytes.extend_from_slice(&token.filter.to_be_bytes());
        let tag = self.token_tag(&bytes);
        bytes.extend_from_slice(&tag.to_be_bytes());
        format!("PA{}", URL_SAFE_NO_PAD.encode(bytes))
    }

    pub(super) fn decode_token(
        &self,
        raw: &str,
        account: u32,
        filter: u64,
    ) -> Result<PageToken, ApiError> {
        let invalid = || ApiError::new(400, codes::INVALID_PAGE_TOKEN, "Invalid PageToken");
        let bytes = raw
            .strip_prefix("PA")
            .and_then(|b| URL_SAFE_NO_PAD.decode(b).ok())
            .filter(|b| b.len() == 37)
            .ok_or_else(invalid)?;
        let (payload, tag) = bytes.split_at(29);
        if u64::from_be_bytes(tag.try_into().map_err(|_| invalid())?) != self.token_tag(payload) {
            return Err(invalid());
        }
        let direction = match payload[0] {
            1 => Direction::After,
            2 => Direction::Before,
            _ => return Err(invalid()),
        };
        let token = PageToken {
            direction,
            account: u32::from_be_bytes(payload[1..5].try_into().map_err(|_| invalid())?),
            position: u128::from_be_bytes(payload[5..21].try_into().map_err(|_| invalid())?),
            filter: u64::from_be_bytes(payload[21..29].try_into().map_err(|_| invalid())?),
        };
        // A token only pages the listing it came from.
        if token.account != account || token.filter != filter {
            return Err(invalid());
        }
        Ok(token)
    }

    /// One page of an account's owned numbers, as the JSON body Twilio sends.
    pub(crate) fn list(
        &self,
        account: u32,
        kind: Option<NumberKind>,
        base_path: &str,
        query: &[(String, String)],
    ) -> Result<Vec<u8>, ApiError> {
        let q = ListQuery::parse(query)?;
        let filter_hash = fnv1a(
            format!(
                "{kind:?}|{:?}|{:?}|{}|{:?}",
                q.phone_number, q.friendly_name, q.beta, q.origin
            )
            .as_bytes(),
        );
        let token = q
            .page_token
            .as_deref()
            .map(|t| self.decode_token(t, account, filter_hash))
            .transpose()?;
        let pattern = q.phone_number.as_deref().map(PhonePattern::new);
        let wanted = |rec: &OwnedRec| {
            kind.is_none_or(|k| rec.kind == k)
                && (q.beta || !rec.beta)
                && q.origin.as_deref().is_none_or(|o| o == "twilio")
                && q.friendly_name.as_deref().is_none_or(|f| {
                    rec.extra
                        .as_deref()
                        .and_then(|e| e.friendly_name.as_deref())
                        .map_or_else(|| catalog::friendly_name(&rec.e164()) == f, |n| n == f)
                })
                && pattern.as_ref().is_none_or(|p| p.matches(rec.phone))
        };
        let size = q.page_size as usize;
        let exact = pattern.as_ref().and_then(PhonePattern::exact);
        let (items, has_next, has_previous) = match (exact, token) {
            // One number at most: look it up instead of scanning.
            (Some(phone), token) => {
                let hit = self
                    .by_phone
                    .get(&phone)
                    .filter(|key| key.0 == account)
                    .and_then(|key| self.owned.get_key_value(key))
                    .filter(|(_, rec)| wanted(rec))
                    .filter(|(key, _)| match token {
                        None => true,
                        Some(t) if t.direction == Direction::After => key.1 > t.position,
                        Some(t) => key.1 < t.position,
                    });
                (hit.into_iter().collect::<Vec<_>>(), false, false)
            }
            (None, Some(t)) if t.direction == Direction::Before => {
                let mut items: Vec<_> = self
                    .owned
                    .range((account, 0)..(account, t.position))
                    .rev()
                    .filter(|(_, rec)| wanted(rec))
                    .take(size)
                    .collect();
                items.reverse();
                // Reached from page `q.page + 1`: there is an earlier page unless this is 0.
                (items, true, q.page > 0)
            }
            (None, token) => {
                let lower = match token {
                    Some(t) => Bound::Excluded((account, t.position)),
                    None => Bound::Included((account, 0)),
                };
                let mut items: Vec<_> = self
                    .owned
                    .range((lower, Bound::Included((account, u128::MAX))))
                    .filter(|(_, rec)| wanted(rec))
                    .take(size + 1)
                    .collect();
                let more = items.len() > size;
                items.truncate(size);
                (items, more, token.is_some() && q.page > 0)
            }
        };
        let uri_with = |page: u32, token: Option<String>| {
            let mut s = url::form_urlencoded::Serializer::new(String::new());
            if let Some(p) = &q.phone_number {
                s.append_pair("PhoneNumber", p);
            }
            if let Some(f) = &q.friendly_name {
                s.append_pair("FriendlyName", f);
            }
            if !q.beta {
                s.append_pair("Beta", "false");
            }
            if let Some(o) = &q.origin {
                s.append_pair("Origin", o);
            }
            s.append_pair("PageSize", &q.page_size.to_string());
            s.append_pair("Page", &page.to_string());
            if let Some(t) = &token {
                s.append_pair("PageToken", t);
            }
            format!("{base_path}?{}", s.finish())
        };
        let next_page_uri = match items.last() {
            Some((key, _)) if has_next => Some(uri_with(
                q.page + 1,
                Some(self.encode_token(PageToken {
                    direction: Direction::After,
                    account,
                    position: key.1,
                    filter: filter_hash,
                })),
            )),
            _ => None,
        };
        let previous_page_uri = match items.first() {
            Some((key, _)) if has_previous && q.page > 0 => Some(uri_with(
                q.page - 1,
                Some(self.encode_token(PageToken {
                    direction: Direction::Before,
                    account,
                    position: key.1,
                    filter: filter_hash,
                })),
            )),
            _ => None,
        };
        let start = u64::from(q.page) * u64::from(q.page_size);
        let count = items.len() as u64;
        let seq = OwnedSeq {
            accounts: &self.accounts,
            items,
        };
        let page = IncomingPage {
            first_page_uri: uri_with(0, None),
            end: start + count.saturating_sub(1),
            previous_page_uri,
            incoming_phone_numbers: &seq,
            uri: uri_with(q.page, q.page_token.clone()),
            page_size: q.page_size,
            start,
            next_page_uri,
            page: q.page,
        };
        // About 1.1 KiB per number: reserve once instead of growing through a dozen copies.
        let mut out = Vec::with_capacity(1024 + page.incoming_phone_numbers.items.len() * 1200);
        serde_json::to_writer(&mut out, &page)
            .map_err(|e| ApiError::new(500, codes::INTERNAL, e.to_string()))?;
        Ok(out)
    }

    /// Structured page for the in-process control API: up to `size` numbers after the
    /// position in `after` (an opaque cursor from the previous call).
    pub(crate) fn owned_page(
        &self,
        account: u32,
        size: usize,
        after: Option<u128>,
    ) -> (Vec<OwnedNumber>, Option<u128>) {
        let lower = match after {
            Some(p) => Bound::Excluded((account, p)),
            None => Bound::Included((account, 0)),
        };
        let mut items: Vec<_> = self
            .owned
            .range((lower, Bound::Included((account, u128::MAX))))
            .take(size + 1)
            .collect();
        let more = items.len() > size;
        items.truncate(size);
        let next = if more {
            items.last().map(|(k, _)| k.1)
        } else {
            None
        };
        (
            items
                .into_iter()
                .map(|(k, rec)| self.owned_snapshot(*k, rec))
                .collect(),
            next,
        )
    }
}

/// Paging and filter parameters of a list request.
#[derive(Debug, Clone)]
pub(super) struct ListQuery {
    pub(super) page_size: u32,
    pub(super) page: u32,
    pub(super) page_token: Option<String>,
    phone_number: Option<String>,
    friendly_name: Option<String>,
    beta: bool,
    origin: Option<String>,
}

impl ListQuery {
    pub(super) fn parse(query: &[(String, String)]) -> Result<Self, ApiError> {
        let mut q = Self {
            page_size: DEFAULT_PAGE_SIZE,
            page: 0,
            page_token: None,
            phone_number: None,
            friendly_name: None,
            beta: true,
            origin: None,
        };
        for (name, value) in query {
            match name.as_str() {
                "PageSize" => {
                    q.page_size = value
                        .trim()
                        .parse::<u32>()
                        .ok()
                        .filter(|s| (1..=MAX_PAGE_SIZE).contains(s))
                        .ok_or_else(|| {
                            ApiError::invalid_parameter(format!(
                                "PageSize must be an integer from 1 to {MAX_PAGE_SIZE}, got {value:?}"
                            ))
                        })?;
                }
                "Page" => {
                    q.page = value.trim().parse().map_err(|_| {
                        ApiError::invalid_parameter(format!(
                            "Page must be a non-negative integer, got {value:?}"
                        ))
                    })?;
                }
                "PageToken" => q.page_token = Some(value.clone()),
                "PhoneNumber" if !value.is_empty() => q.phone_number = Some(value.clone()),
                "FriendlyName" if !value.is_empty() => q.friendly_name = Some(value.clone()),
                "Beta" => {
                    q.beta = match value.to_ascii_lowercase().as_str() {
                        "true" => true,
                        "false" => false,
                        _ => {
                            return Err(ApiError::invalid_parameter(format!(
                                "Beta must be true or false, got {value:?}"
                            )));
                        }
                    };
                }
                "Origin" if !value.is_empty() => q.origin = Some(value.clone()),
                _ => {}
            }
        }
        Ok(q)
    }
}

/// The `PhoneNumber` filter of a list: full or partial number, `*` for any one digit.
#[derive(Debug, Clone)]
struct PhonePattern {
    chars: Vec<u8>,
}

impl PhonePattern {
    fn new(raw: &str) -> Self {
        Self {
            chars: raw
                .bytes()
                .filter(|b| b.is_ascii_digit() || *b == b'*' || *b == b'+')
                .collect(),
        }
    }

    /// The number itself when the pattern is a complete E.164 number.
    fn exact(&self) -> Option<u64> {
        let s = std::str::from_utf8(&self.chars).ok()?;
        if s.contains('*') {
            return None;
        }
        phone_key(s)
    }

    fn matches(&self, phone: u64) -> bool {
        if self.chars.is_empty() {
            return true;
        }
        let hay = format!("+{phone}");
        let hay = hay.as_bytes();
        let n = self.chars.len();
        hay.len() >= n
            && (0..=hay.len() - n).any(|start| {
                self.chars
                    .iter()
                    .zip(&hay[start..start + n])
                    .all(|(p, h)| *p == *h || (*p == b'*' && h.is_ascii_digit()))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::StoreConfig;

    fn state() -> State {
        State::new(&StoreConfig {
            seed: 42,
            inventory_scale: 0.1,
            strict_regulatory: false,
        })
    }

    #[test]
    fn phone_patterns_match_partial_numbers_and_star_digits() {
        let p = PhonePattern::new("+1415");
        assert!(p.matches(14_155_550_123));
        assert!(!p.matches(14_165_550_123));
        assert!(PhonePattern::new("555*123").matches(14_155_550_123));
        assert_eq!(
            PhonePattern::new("+14155550123").exact(),
            Some(14_155_550_123)
        );
        assert_eq!(PhonePattern::new("+1415555012*").exact(), None);
    }

    #[test]
    fn forged_or_foreign_page_tokens_are_refused_with_21481() {
        let s = state();
        let token = s.encode_token(PageToken {
            direction: Direction::After,
            account: 0,
            position: 7,
            filter: 9,
        });
        assert_eq!(s.decode_token(&token, 0, 9).unwrap().position, 7);
        for bad in [
            token.replace('A', "B"),
            format!("{token}x"),
            "PAxyz".to_owned(),
            "garbage".to_owned(),
        ] {
            assert_eq!(s.decode_token(&bad, 0, 9).unwrap_err().code, 21481, "{bad}");
        }
        assert_eq!(s.decode_token(&token, 1, 9).unwrap_err().code, 21481);
        assert_eq!(s.decode_token(&token, 0, 8).unwrap_err().code, 21481);
    }
}

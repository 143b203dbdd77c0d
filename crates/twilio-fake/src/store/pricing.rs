//! The Pricing API: per-country number prices (settable through the control API) and the
//! paged country list.

use super::State;
use super::paging::{Direction, ListQuery, PageToken};
use crate::catalog::{self, COUNTRIES};
use crate::model::{ApiError, NumberKind};
use crate::rng::fnv1a;

impl State {
    pub(crate) fn set_price(
        &mut self,
        iso: &str,
        kind: NumberKind,
        base: &str,
        current: &str,
    ) -> Result<(), String> {
        let valid = |p: &str| {
            let (int, frac) = p.split_once('.').unwrap_or((p, "0"));
            !int.is_empty()
                && !frac.is_empty()
                && int.bytes().all(|c| c.is_ascii_digit())
                && frac.bytes().all(|c| c.is_ascii_digit())
        };
        if !valid(base) || !valid(current) {
            return Err("prices must be non-negative decimal strings such as \"1.15\"".into());
        }
        let country = catalog::country(iso).ok_or_else(|| format!("unknown country {iso:?}"))?;
        let list = self.prices.entry(country.iso).or_default();
        match list.iter_mut().find(|(k, _, _)| *k == kind) {
            Some(entry) => {
                entry.1 = base.to_owned();
                entry.2 = current.to_owned();
            }
            None => list.push((kind, base.to_owned(), current.to_owned())),
        }
        list.sort_by_key(|(k, _, _)| *k);
        Ok(())
    }

    pub(crate) fn pricing_country(
        &self,
        iso: &str,
        pricing_base: &str,
        path: &str,
    ) -> Result<serde_json::Value, ApiError> {
        let country = catalog::country(iso)
            .filter(|c| c.iso == iso.to_ascii_uppercase())
            .ok_or_else(|| ApiError::not_found(path))?;
        let prices: Vec<_> = self
            .prices
            .get(country.iso)
            .map(|list| {
                list.iter()
                    .map(|(k, base, cur)| {
                        serde_json::json!({
                            "number_type": k.pricing_name(),
                            "base_price": base,
                            "current_price": cur,
                        })
                    })
                    .collect()
            })
            .unwrap_or_default();
        Ok(serde_json::json!({
            "country": country.name,
            "iso_country": country.iso,
            "phone_number_prices": prices,
            "price_unit": "USD",
            "url": format!("{pricing_base}/v1/PhoneNumbers/Countries/{}", country.iso),
        }))
    }

    pub(crate) fn pricing_countries(
        &self,
        query: &[(String, String)],
        pricing_base: &str,
    ) -> Result<serde_json::Value, ApiError> {
        let q = ListQuery::parse(query)?;
        let filter = fnv1a(b"pricing-countries");
        let offset = match q.page_token.as_deref() {
            None => u128::from(q.page) * u128::from(q.page_size),
            Some(t) => self.decode_token(t, u32::MAX, filter)?.position,
        };
        let offset = usize::try_from(offset).unwrap_or(usize::MAX);
        let size = q.page_size as usize;
        let countries: Vec<_> = COUNTRIES
            .iter()
            .skip(offset)
            .take(size)
            .map(|c| {
                serde_json::json!({
                    "country": c.name,
                    "iso_country": c.iso,
                    "url": format!("{pricing_base}/v1/PhoneNumbers/Countries/{}", c.iso),
                })
            })
            .collect();
        let list_url = format!("{pricing_base}/v1/PhoneNumbers/Countries");
        let url = |page: u32, position: Option<usize>| {
            let mut s = url::form_urlencoded::Serializer::new(String::new());
            s.append_pair("PageSize", &q.page_size.to_string());
            s.append_pair("Page", &page.to_string());
            if let Some(p) = position {
                s.append_pair(
                    "PageToken",
                    &self.encode_token(PageToken {
                        direction: Direction::After,
                        account: u32::MAX,
                        position: p as u128,
                        filter,
                    }),
                );
            }
            format!("{list_url}?{}", s.finish())
        };
        let next = offset + size;
        let next_page_url = (next < COUNTRIES.len()).then(|| url(q.page + 1, Some(next)));
        let previous_page_url =
            (offset > 0 && q.page > 0).then(|| url(q.page - 1, Some(offset.saturating_sub(size))));
        Ok(serde_json::json!({
            "countries": countries,
            "meta": {
                "page": q.page,
                "page_size": q.page_size,
                "first_page_url": url(0, None),
                "previous_page_url": previous_page_url,
                "url": url(q.page, q.page_token.as_ref().map(|_| offset)),
                "next_page_url": next_page_url,
                "key": "countries",
            },
        }))
    }
}

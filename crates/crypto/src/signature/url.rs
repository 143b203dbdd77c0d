//! The URL variants Twilio's SDKs accept, made by string edits that leave every other
//! character of the URL untouched.
//!
//! Nothing here parses the URL into a normalised form: scheme and host case, userinfo,
//! percent-encoding, double slashes and non-ASCII characters stay exactly as received. Only the
//! position of the port and of the query are located.

use std::borrow::Cow;

/// How the port of the URL was edited before hashing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PortEdit {
    /// The URL as given.
    AsGiven,
    /// The URL had an explicit port (`:1234`), removed.
    Removed,
    /// The URL had no port; the scheme's default (`:443` for https, `:80` otherwise) was
    /// inserted after the host.
    DefaultAdded,
}

/// How apostrophes in the query were edited before hashing (twilio-node compatibility; see
/// the `signature` module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum QuoteEdit {
    /// The query as given.
    AsGiven,
    /// Every `'` in the query written as `%27` (what a WHATWG URL serialiser does).
    Encoded,
    /// Every `%27` in the query written as `'` (what Node's legacy `querystring` round trip
    /// does).
    Decoded,
}

/// Positions found in a URL string: where its port sits (or would go) and where its query is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Layout {
    /// `Some(default port)` when the URL has a `scheme://` authority.
    default_port: Option<&'static str>,
    /// Byte range of `:port` (colon included) if the authority has one.
    port: Option<(usize, usize)>,
    /// Byte offset just after the host (where a port would be inserted).
    host_end: usize,
    /// Byte range of the query (after `?`, before `#`), if any.
    query: Option<(usize, usize)>,
}

fn layout(url: &str) -> Layout {
    let bytes = url.as_bytes();
    let mut default_port = None;
    let mut port = None;
    let mut host_end = 0;
    let mut after_authority = 0;

    if let Some(scheme_end) = url.find("://") {
        let scheme = &url[..scheme_end];
        let valid_scheme = scheme
            .bytes()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic())
            && scheme
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'-' | b'.'));
        if valid_scheme {
            default_port = Some(if scheme.eq_ignore_ascii_case("https") {
                ":443"
            } else {
                ":80"
            });
            let authority_start = scheme_end + 3;
            let authority_end = url[authority_start..]
                .find(['/', '?', '#'])
                .map_or(url.len(), |offset| authority_start + offset);
            // Userinfo ends at the last '@' of the authority; it may itself contain ':'.
            let host_start = url[authority_start..authority_end]
                .rfind('@')
                .map_or(authority_start, |offset| authority_start + offset + 1);
            let host_and_port = &url[host_start..authority_end];
            // For an IPv6 literal the port can only follow the closing bracket.
            let search_from = if host_and_port.starts_with('[') {
                host_and_port
                    .find(']')
                    .map_or(host_and_port.len(), |i| i + 1)
            } else {
                0
            };
            let colon = host_and_port[search_from..]
                .rfind(':')
                .map(|offset| host_start + search_from + offset);
            match colon {
                Some(colon)
                    if bytes[colon + 1..authority_end]
                        .iter()
                        .all(u8::is_ascii_digit) =>
                {
                    port = Some((colon, authority_end));
                    host_end = colon;
                }
                _ => host_end = authority_end,
            }
            after_authority = authority_end;
        }
    }

    // The query runs from the first '?' to the fragment; a '?' inside the fragment is not one.
    let fragment = url[after_authority..]
        .find('#')
        .map_or(url.len(), |offset| after_authority + offset);
    let query = url[after_authority..fragment]
        .find('?')
        .map(|offset| (after_authority + offset + 1, fragment));

    Layout {
        default_port,
        port,
        host_end,
        query,
    }
}

/// Every URL a signature may have been computed over, the URL as given first. At most six:
/// (as given, port edit) × (as given, `'`→`%27`, `%27`→`'`), each only when it differs.
pub(crate) fn candidates(url: &str) -> Vec<(Cow<'_, str>, PortEdit, QuoteEdit)> {
    let parts = layout(url);
    let mut port_variants: Vec<(Cow<'_, str>, PortEdit)> =
        vec![(Cow::Borrowed(url), PortEdit::AsGiven)];
    match (parts.port, parts.default_port) {
        (Some((start, end)), _) => {
            let mut edited = String::with_capacity(url.len());
            edited.push_str(&url[..start]);
            edited.push_str(&url[end..]);
            port_variants.push((Cow::Owned(edited), PortEdit::Removed));
        }
        (None, Some(default_port)) => {
            let mut edited = String::with_capacity(url.len() + default_port.len());
            edited.push_str(&url[..parts.host_end]);
            edited.push_str(default_port);
            edited.push_str(&url[parts.host_end..]);
            port_variants.push((Cow::Owned(edited), PortEdit::DefaultAdded));
        }
        (None, None) => {}
    }

    let mut all = Vec::with_capacity(port_variants.len() * 3);
    for (variant, port_edit) in port_variants {
        let quote_variants = layout(&variant).query.map(|(start, end)| {
            let query = &variant[start..end];
            let encoded = query
                .contains('\'')
                .then(|| splice(&variant, start, end, &query.replace('\'', "%27")));
            let decoded = query
                .contains("%27")
                .then(|| splice(&variant, start, end, &query.replace("%27", "'")));
            (encoded, decoded)
        });
        all.push((variant, port_edit, QuoteEdit::AsGiven));
        if let Some((encoded, decoded)) = quote_variants {
            all.extend(encoded.map(|url| (Cow::Owned(url), port_edit, QuoteEdit::Encoded)));
            all.extend(decoded.map(|url| (Cow::Owned(url), port_edit, QuoteEdit::Decoded)));
        }
    }
    all
}

fn splice(text: &str, start: usize, end: usize, replacement: &str) -> String {
    let mut out = String::with_capacity(text.len() - (end - start) + replacement.len());
    out.push_str(&text[..start]);
    out.push_str(replacement);
    out.push_str(&text[end..]);
    out
}

/// The value of the first `bodySHA256` query parameter, as written (not percent-decoded).
pub(crate) fn body_sha256_param(url: &str) -> Option<&str> {
    let (start, end) = layout(url).query?;
    url[start..end]
        .split('&')
        .find_map(|pair| pair.strip_prefix("bodySHA256="))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn urls(url: &str) -> Vec<(String, PortEdit, QuoteEdit)> {
        candidates(url)
            .into_iter()
            .map(|(u, p, q)| (u.into_owned(), p, q))
            .collect()
    }

    #[test]
    fn url_without_port_gets_the_default_port_after_the_host() {
        assert_eq!(
            urls("https://user:pa:ss@Host.example/p?q=1#f"),
            vec![
                (
                    "https://user:pa:ss@Host.example/p?q=1#f".to_owned(),
                    PortEdit::AsGiven,
                    QuoteEdit::AsGiven
                ),
                (
                    "https://user:pa:ss@Host.example:443/p?q=1#f".to_owned(),
                    PortEdit::DefaultAdded,
                    QuoteEdit::AsGiven
                ),
            ]
        );
        assert_eq!(urls("HTTP://h")[1].0, "HTTP://h:80");
        assert_eq!(urls("HTTPS://h?x")[1].0, "HTTPS://h:443?x");
    }

    #[test]
    fn url_with_port_gets_it_removed_and_nothing_else_changes() {
        let all = urls("https://u@[::1]:8443//a:b/?c=:1");
        assert_eq!(all.len(), 2);
        assert_eq!(all[1].0, "https://u@[::1]//a:b/?c=:1");
        assert_eq!(all[1].1, PortEdit::Removed);
        assert_eq!(urls("http://[::1]/")[1].0, "http://[::1]:80/");
    }

    #[test]
    fn string_without_scheme_has_no_port_variant() {
        assert_eq!(urls("/relative?x=1").len(), 1);
        assert_eq!(urls("1ab://h/").len(), 1);
    }

    #[test]
    fn apostrophe_variants_edit_only_the_query_of_each_port_variant() {
        let all = urls("https://h:1/it's?a='b'&c=%27#x'");
        let texts: Vec<&str> = all.iter().map(|(u, _, _)| u.as_str()).collect();
        assert_eq!(
            texts,
            vec![
                "https://h:1/it's?a='b'&c=%27#x'",
                "https://h:1/it's?a=%27b%27&c=%27#x'",
                "https://h:1/it's?a='b'&c='#x'",
                "https://h/it's?a='b'&c=%27#x'",
                "https://h/it's?a=%27b%27&c=%27#x'",
                "https://h/it's?a='b'&c='#x'",
            ]
        );
        assert_eq!(
            urls("https://h/it's?a=1").len(),
            2,
            "path apostrophes are left alone"
        );
    }

    #[test]
    fn body_sha256_is_read_from_the_query_only() {
        assert_eq!(
            body_sha256_param("https://h/p?a=1&bodySHA256=ab12"),
            Some("ab12")
        );
        assert_eq!(body_sha256_param("https://h/p?bodySHA256=&x"), Some(""));
        assert_eq!(body_sha256_param("https://h/p?xbodySHA256=ab"), None);
        assert_eq!(body_sha256_param("https://h/bodySHA256=ab"), None);
        assert_eq!(body_sha256_param("https://h/p#?bodySHA256=ab"), None);
    }
}

//! The rules a new channel must meet, wherever it is created (the HTTP API or the `api
//! create-channel` operator command).

use crate::ChannelKind;

/// A channel that passed every rule and can be stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelDraft {
    /// Display name: 1 to [`ChannelDraft::MAX_NAME_CHARS`] characters, trimmed.
    pub name: String,
    /// `voice` (the default) or another kind's name.
    pub kind: ChannelKind,
    /// Where inbound calls are streamed: a `ws://` or `wss://` URL with a host.
    pub agent_stream_url: Option<String>,
}

/// Which rule a channel broke. Each names the request field at fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ChannelRuleError {
    /// The name is empty (after trimming) or too long.
    #[error("name must be 1 to 100 characters")]
    Name,
    /// The kind is neither `voice` nor a well-formed name.
    #[error("kind must be voice or a lower-case name of letters, digits and _ (at most 32)")]
    Kind,
    /// The stream URL is not a `ws(s)://` URL with a host, or too long.
    #[error("agent_stream_url must be a ws:// or wss:// URL of at most 2048 characters")]
    AgentStreamUrl,
}

impl ChannelRuleError {
    /// The request field at fault.
    #[must_use]
    pub fn field(self) -> &'static str {
        match self {
            Self::Name => "name",
            Self::Kind => "kind",
            Self::AgentStreamUrl => "agent_stream_url",
        }
    }
}

impl ChannelDraft {
    /// Longest name, in characters.
    pub const MAX_NAME_CHARS: usize = 100;
    /// Longest kind name, in bytes (ASCII).
    pub const MAX_KIND_LEN: usize = 32;
    /// Longest stream URL, in bytes.
    pub const MAX_STREAM_URL_LEN: usize = 2048;

    /// Checks a channel as a caller described it; `kind` defaults to `voice`.
    ///
    /// # Errors
    /// The first [`ChannelRuleError`] broken, in the order name, kind, stream URL.
    pub fn new(
        name: &str,
        kind: Option<&str>,
        agent_stream_url: Option<&str>,
    ) -> Result<Self, ChannelRuleError> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > Self::MAX_NAME_CHARS {
            return Err(ChannelRuleError::Name);
        }
        let kind = match kind {
            None | Some("voice") => ChannelKind::Voice,
            Some(other) if is_kind_name(other) => ChannelKind::Other(other.to_owned()),
            Some(_) => return Err(ChannelRuleError::Kind),
        };
        let agent_stream_url = agent_stream_url
            .map(|raw| {
                is_stream_url(raw)
                    .then(|| raw.to_owned())
                    .ok_or(ChannelRuleError::AgentStreamUrl)
            })
            .transpose()?;
        Ok(Self {
            name: name.to_owned(),
            kind,
            agent_stream_url,
        })
    }
}

fn is_kind_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && name.len() <= ChannelDraft::MAX_KIND_LEN
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

fn is_stream_url(raw: &str) -> bool {
    raw.len() <= ChannelDraft::MAX_STREAM_URL_LEN
        && url::Url::parse(raw)
            .is_ok_and(|url| matches!(url.scheme(), "ws" | "wss") && url.host_str().is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_voice_channel_is_the_default_and_names_are_trimmed() {
        let draft = ChannelDraft::new("  Support  ", None, Some("wss://agents.example/s")).unwrap();
        assert_eq!(draft.name, "Support");
        assert_eq!(draft.kind, ChannelKind::Voice);
        assert_eq!(
            draft.agent_stream_url.as_deref(),
            Some("wss://agents.example/s")
        );
        let chat = ChannelDraft::new("Chat", Some("web_chat2"), None).unwrap();
        assert_eq!(chat.kind, ChannelKind::Other("web_chat2".into()));
    }

    #[test]
    fn each_broken_rule_names_its_field() {
        let refused = |name: &str, kind: Option<&str>, url: Option<&str>| {
            ChannelDraft::new(name, kind, url).unwrap_err().field()
        };
        assert_eq!(refused("   ", None, None), "name");
        assert_eq!(refused(&"x".repeat(101), None, None), "name");
        assert!(ChannelDraft::new(&"é".repeat(100), None, None).is_ok());
        for kind in ["Voice", "", "1x", "a-b", &"a".repeat(33)] {
            assert_eq!(refused("n", Some(kind), None), "kind", "{kind:?}");
        }
        for url in [
            "https://agents.example",
            "wss://",
            "not a url",
            &format!("wss://a.example/{}", "x".repeat(2048)),
        ] {
            assert_eq!(refused("n", None, Some(url)), "agent_stream_url", "{url:?}");
        }
    }
}

//! Twilio's webhooks (SPEC §7): every request is verified first — `X-Twilio-Signature` over
//! the public URL, with the auth token of the account named by `AccountSid` — then the voice
//! webhook is answered with TwiML and status callbacks are stored.
//!
//! [`App::twilio_webhook`] is the one operation the HTTP handlers call. It logs
//! `Invalid Twilio signature` for a refused request (with the channel id and the masked
//! called number, never a token), `Inbound call received` for an accepted call, and counts
//! every request by route and outcome (`verified`, `missing`, `invalid`, `error`).

use numbers_crypto::signature::{self, SignatureError};
use numbers_domain::{ChannelId, ChannelKind, E164, NumberStatus, call_status_rank, mask_phone};
use numbers_persistence::{Channel, NewCallEvent, PhoneNumberRecord, StoreError};
use secrecy::{ExposeSecret as _, SecretString};

use crate::App;

/// Which webhook a request came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookKind {
    /// `POST /webhooks/twilio/voice`: an inbound call to answer with TwiML.
    Voice,
    /// `POST /webhooks/twilio/status`: a call's status callback to store.
    Status,
}

impl WebhookKind {
    /// The route, as metrics label it.
    #[must_use]
    pub fn route(self) -> &'static str {
        match self {
            Self::Voice => "/webhooks/twilio/voice",
            Self::Status => "/webhooks/twilio/status",
        }
    }
}

/// How the request's body is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookBody {
    /// `application/x-www-form-urlencoded` (voice and status webhooks): the signature
    /// covers the parameters.
    Form,
    /// Any other body (JSON): the URL carries `bodySHA256` and the signature covers the URL.
    Raw,
}

/// A webhook request as received, before anything is trusted.
#[derive(Debug, Clone, Copy)]
pub struct WebhookRequest<'a> {
    /// Which route.
    pub kind: WebhookKind,
    /// The raw path and query of the request line (`/webhooks/twilio/voice?channel_id=…`),
    /// appended to `PUBLIC_BASE_URL` to rebuild the URL Twilio signed.
    pub path_and_query: &'a str,
    /// How the body is encoded.
    pub body_kind: WebhookBody,
    /// The body's exact bytes.
    pub body: &'a [u8],
    /// The `X-Twilio-Signature` header, if any.
    pub signature: Option<&'a str>,
}

/// What to answer a verified webhook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WebhookAnswer {
    /// TwiML (`text/xml`) for the voice webhook.
    Twiml(String),
    /// Nothing (`204`): the status callback was stored, or did not need to be.
    NoContent,
}

/// Why a webhook request was not accepted.
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    /// No `X-Twilio-Signature` header (`400`).
    #[error("the X-Twilio-Signature header is missing")]
    MissingSignature,
    /// The signature does not verify, or names an account we do not know (`403`).
    #[error("the Twilio signature is not valid")]
    InvalidSignature,
    /// Verified, but a field the webhook needs is missing or malformed (`400`).
    #[error("{0}")]
    BadRequest(String),
    /// The token to verify with cannot be had (a sealed token that does not open, no
    /// keyring, no master auth token): our fault, logged with the account (`500`).
    #[error("the webhook cannot be verified: the account's auth token is unavailable")]
    TokenUnavailable,
    /// The database failed (`503`).
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl WebhookError {
    /// The metrics outcome of a refused request.
    fn outcome(&self) -> &'static str {
        match self {
            Self::MissingSignature => "missing",
            Self::InvalidSignature => "invalid",
            Self::BadRequest(_) | Self::TokenUnavailable | Self::Store(_) => "error",
        }
    }
}

/// The parameters Twilio sent, in order (repeats kept).
struct Params(Vec<(String, String)>);

impl Params {
    fn parse(body_kind: WebhookBody, body: &[u8]) -> Self {
        match body_kind {
            WebhookBody::Form => Self(url::form_urlencoded::parse(body).into_owned().collect()),
            // A JSON body's top-level strings and numbers stand in for form fields.
            WebhookBody::Raw => {
                let fields = serde_json::from_slice::<serde_json::Value>(body)
                    .ok()
                    .and_then(|v| match v {
                        serde_json::Value::Object(map) => Some(map),
                        _ => None,
                    })
                    .unwrap_or_default();
                Self(
                    fields
                        .into_iter()
                        .filter_map(|(k, v)| match v {
                            serde_json::Value::String(s) => Some((k, s)),
                            serde_json::Value::Number(n) => Some((k, n.to_string())),
                            _ => None,
                        })
                        .collect(),
                )
            }
        }
    }

    /// The first value of `key`.
    fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// The `channel_id` of the query string, as sent (validated after verification).
fn query_channel(path_and_query: &str) -> Option<String> {
    let (_, query) = path_and_query.split_once('?')?;
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "channel_id")
        .map(|(_, v)| v.into_owned())
}

impl App {
    /// Verifies a Twilio webhook and acts on it: the voice webhook is answered with TwiML
    /// (connect to the channel's agent, or "not in service"), a status callback is stored
    /// once. The request is counted by route and outcome.
    ///
    /// # Errors
    /// [`WebhookError::MissingSignature`] (400), [`WebhookError::InvalidSignature`] (403,
    /// logged as `Invalid Twilio signature`), [`WebhookError::BadRequest`] (400, verified
    /// but unusable), [`WebhookError::TokenUnavailable`] (500, logged naming the account),
    /// [`WebhookError::Store`] (503).
    pub async fn twilio_webhook(
        &self,
        request: WebhookRequest<'_>,
    ) -> Result<WebhookAnswer, WebhookError> {
        let params = Params::parse(request.body_kind, request.body);
        let verified = self.verify_webhook(&request, &params).await;
        let outcome = match &verified {
            Ok(()) => "verified",
            Err(error) => error.outcome(),
        };
        self.metrics()
            .observe_webhook(request.kind.route(), outcome);
        verified?;
        match request.kind {
            WebhookKind::Voice => self.answer_voice(&request, &params).await,
            WebhookKind::Status => self.store_status(&params).await,
        }
    }

    /// The signature check, before anything else is read from the request.
    async fn verify_webhook(
        &self,
        request: &WebhookRequest<'_>,
        params: &Params,
    ) -> Result<(), WebhookError> {
        let header = request.signature.filter(|s| !s.is_empty());
        if header.is_none() {
            return Err(WebhookError::MissingSignature);
        }
        let account_sid = params
            .get("AccountSid")
            .unwrap_or(self.master_account_sid());
        let refuse = |reason: &str| {
            tracing::warn!(
                webhook = request.kind.route(),
                channel.id = query_channel(request.path_and_query).as_deref().unwrap_or(""),
                phone_number = %params.get("To").map(mask_phone).unwrap_or_default(),
                account.sid = account_sid,
                reason,
                "Invalid Twilio signature"
            );
            WebhookError::InvalidSignature
        };
        let Some(token) = self.account_token(account_sid).await? else {
            return Err(refuse("unknown account"));
        };
        let url = format!("{}{}", self.public_base_url(), request.path_and_query);
        let checked = match request.body_kind {
            WebhookBody::Form => {
                signature::validate_form(token.expose_secret(), &url, &params.0, header)
            }
            WebhookBody::Raw => {
                signature::validate_json(token.expose_secret(), &url, request.body, header)
            }
        };
        match checked {
            Ok(_) => Ok(()),
            Err(SignatureError::Missing) => Err(WebhookError::MissingSignature),
            Err(SignatureError::NoToken) => {
                tracing::error!(
                    account.sid = account_sid,
                    "the stored auth token of this account is blank: webhooks cannot be verified"
                );
                Err(WebhookError::TokenUnavailable)
            }
            Err(error) => Err(refuse(&error.to_string())),
        }
    }

    /// The auth token of `account_sid`: the master's from configuration, another account's
    /// opened from its sealed blob. `None` for an account we do not know.
    async fn account_token(&self, account_sid: &str) -> Result<Option<SecretString>, WebhookError> {
        if account_sid == self.master_account_sid() {
            return match self.master_auth_token() {
                Some(token) => Ok(Some(token.clone())),
                None => {
                    tracing::error!(
                        account.sid = account_sid,
                        "no auth token for the master account (TWILIO_AUTH_TOKEN is not set): \
                         webhooks cannot be verified"
                    );
                    Err(WebhookError::TokenUnavailable)
                }
            };
        }
        let Some(account) = self.store().twilio_accounts().get(account_sid).await? else {
            return Ok(None);
        };
        let Some(sealed) = account.sealed_auth_token.as_deref() else {
            tracing::error!(
                account.sid = account_sid,
                "the account has no stored auth token: its webhooks cannot be verified"
            );
            return Err(WebhookError::TokenUnavailable);
        };
        let Some(keyring) = self.keyring() else {
            tracing::error!(
                account.sid = account_sid,
                "the account's auth token is sealed but SUBACCOUNT_ENCRYPTION_KEY is not set: \
                 its webhooks cannot be verified"
            );
            return Err(WebhookError::TokenUnavailable);
        };
        let opened = numbers_crypto::SealedSecret::from_base64(sealed)
            .map_err(|e| e.to_string())
            .and_then(|blob| {
                keyring
                    .open_string(&blob, account_sid)
                    .map_err(|e| e.to_string())
            });
        match opened {
            Ok(token) => Ok(Some(token)),
            Err(error) => {
                tracing::error!(
                    account.sid = account_sid,
                    %error,
                    "the account's sealed auth token cannot be opened (wrong or lost key, or a \
                     corrupted blob): its webhooks are refused"
                );
                Err(WebhookError::TokenUnavailable)
            }
        }
    }

    /// The voice webhook of a verified request.
    async fn answer_voice(
        &self,
        request: &WebhookRequest<'_>,
        params: &Params,
    ) -> Result<WebhookAnswer, WebhookError> {
        let call_sid = params
            .get("CallSid")
            .ok_or_else(|| WebhookError::BadRequest("CallSid is missing".into()))?;
        tracing::info!(
            call.sid = call_sid,
            caller = %params.get("From").map(mask_phone).unwrap_or_default(),
            "Inbound call received"
        );
        let found = match params.get("To").and_then(|to| to.parse::<E164>().ok()) {
            Some(to) => {
                self.store()
                    .phone_numbers()
                    .find_live_with_channel(&to)
                    .await?
            }
            None => None,
        };
        let account_sid = params
            .get("AccountSid")
            .unwrap_or(self.master_account_sid());
        let query_channel = query_channel(request.path_and_query);
        let twiml = match found.and_then(|(number, channel)| {
            agent_of(&number, channel, account_sid, query_channel.as_deref())
        }) {
            Some((channel_id, stream_url)) => twiml::connect(&stream_url, channel_id, call_sid),
            None => {
                tracing::info!(call.sid = call_sid, "the called number is not in service");
                twiml::not_in_service()
            }
        };
        Ok(WebhookAnswer::Twiml(twiml))
    }

    /// The status callback of a verified request: stored once, against the number's row.
    async fn store_status(&self, params: &Params) -> Result<WebhookAnswer, WebhookError> {
        let required = |key: &str| {
            params
                .get(key)
                .filter(|v| !v.is_empty())
                .ok_or_else(|| WebhookError::BadRequest(format!("{key} is missing")))
        };
        let call_sid = required("CallSid")?;
        let status = required("CallStatus")?;
        let sequence_number = match params.get("SequenceNumber") {
            None => 0,
            Some(raw) => raw.parse::<i32>().ok().filter(|n| *n >= 0).ok_or_else(|| {
                WebhookError::BadRequest("SequenceNumber must be a non-negative integer".into())
            })?,
        };
        let duration_seconds = match params.get("CallDuration") {
            None | Some("") => None,
            Some(raw) => Some(raw.parse::<i32>().ok().filter(|n| *n >= 0).ok_or_else(|| {
                WebhookError::BadRequest("CallDuration must be a non-negative integer".into())
            })?),
        };
        let account_sid = params
            .get("AccountSid")
            .unwrap_or(self.master_account_sid());
        let to = params.get("To").and_then(|to| to.parse::<E164>().ok());
        let number = match &to {
            Some(to) => self.store().phone_numbers().find_live(to).await?,
            None => None,
        };
        let Some(number) = number.filter(|n| n.account_sid == account_sid) else {
            tracing::info!(
                call.sid = call_sid,
                phone_number = %params.get("To").map(mask_phone).unwrap_or_default(),
                "status callback for a number we do not hold: not stored"
            );
            return Ok(WebhookAnswer::NoContent);
        };
        let recorded = self
            .store()
            .calls()
            .record(NewCallEvent {
                call_sid: call_sid.to_owned(),
                status: status.to_owned(),
                status_rank: call_status_rank(status),
                sequence_number,
                tenant_id: number.tenant_id,
                phone_number_id: number.id,
                channel_id: number.channel_id,
                account_sid: account_sid.to_owned(),
                direction: params.get("Direction").map(str::to_owned),
                from_number: params.get("From").map(str::to_owned),
                to_number: params.get("To").map(str::to_owned),
                duration_seconds,
            })
            .await?;
        tracing::info!(
            call.sid = call_sid,
            call.status = status,
            sequence_number,
            repeated = recorded == numbers_persistence::Recorded::Repeated,
            "call status received"
        );
        Ok(WebhookAnswer::NoContent)
    }
}

/// The channel and agent stream URL an inbound call to `number` goes to, when it goes to
/// one: the number is active and owned by the account that called, attached to a voice
/// channel of its tenant with an agent stream URL, and the URL's `channel_id` (when
/// present) names that channel.
fn agent_of(
    number: &PhoneNumberRecord,
    channel: Option<Channel>,
    account_sid: &str,
    query_channel: Option<&str>,
) -> Option<(ChannelId, String)> {
    let channel = channel?;
    let attached = number.status == NumberStatus::Active
        && number.account_sid == account_sid
        && number.channel_id == Some(channel.id)
        && channel.tenant_id == number.tenant_id
        && channel.kind == ChannelKind::Voice;
    let named = query_channel.is_none_or(|raw| {
        raw.parse::<uuid::Uuid>()
            .is_ok_and(|id| ChannelId::from(id) == channel.id)
    });
    if !(attached && named) {
        return None;
    }
    let url = channel.agent_stream_url.filter(|u| !u.is_empty())?;
    Some((channel.id, url))
}

/// TwiML documents, written with an XML writer so every value is escaped.
pub mod twiml {
    use numbers_domain::ChannelId;
    use quick_xml::Writer;
    use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};

    /// What a caller hears when the number is not connected to an agent.
    pub const NOT_IN_SERVICE: &str = "The number you have called is not in service.";

    fn document(body: impl FnOnce(&mut Writer<Vec<u8>>) -> std::io::Result<()>) -> String {
        let mut writer = Writer::new(Vec::new());
        let written = writer
            .write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))
            .and_then(|()| writer.write_event(Event::Start(BytesStart::new("Response"))))
            .and_then(|()| body(&mut writer))
            .and_then(|()| writer.write_event(Event::End(BytesEnd::new("Response"))));
        // Writing into a Vec cannot fail.
        debug_assert!(written.is_ok());
        String::from_utf8(writer.into_inner()).unwrap_or_default()
    }

    /// `<Connect><Stream url>` to the agent, with the channel id and call sid as stream
    /// parameters.
    #[must_use]
    pub fn connect(stream_url: &str, channel_id: ChannelId, call_sid: &str) -> String {
        let channel = channel_id.to_string();
        document(|w| {
            w.write_event(Event::Start(BytesStart::new("Connect")))?;
            w.write_event(Event::Start(
                BytesStart::new("Stream").with_attributes([("url", stream_url)]),
            ))?;
            for (name, value) in [("channel_id", channel.as_str()), ("call_sid", call_sid)] {
                w.write_event(Event::Empty(
                    BytesStart::new("Parameter")
                        .with_attributes([("name", name), ("value", value)]),
                ))?;
            }
            w.write_event(Event::End(BytesEnd::new("Stream")))?;
            w.write_event(Event::End(BytesEnd::new("Connect")))
        })
    }

    /// A short spoken "not in service" and `<Hangup/>`.
    #[must_use]
    pub fn not_in_service() -> String {
        document(|w| {
            w.write_event(Event::Start(BytesStart::new("Say")))?;
            w.write_event(Event::Text(BytesText::new(NOT_IN_SERVICE)))?;
            w.write_event(Event::End(BytesEnd::new("Say")))?;
            w.write_event(Event::Empty(BytesStart::new("Hangup")))
        })
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn values_are_escaped_in_a_well_formed_document() {
            let id = ChannelId::from(uuid::Uuid::nil());
            let xml = connect("wss://a.example/s?x=1&y=\"2\"<3>", id, "CA'&<>");
            assert_eq!(
                xml,
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Connect>\
                 <Stream url=\"wss://a.example/s?x=1&amp;y=&quot;2&quot;&lt;3&gt;\">\
                 <Parameter name=\"channel_id\" value=\"00000000-0000-0000-0000-000000000000\"/>\
                 <Parameter name=\"call_sid\" value=\"CA&apos;&amp;&lt;&gt;\"/>\
                 </Stream></Connect></Response>"
            );
            assert_eq!(
                not_in_service(),
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Say>The number you have \
                 called is not in service.</Say><Hangup/></Response>"
            );
        }
    }
}

/// One page of a number's calls.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallPage {
    /// The calls, newest first.
    pub calls: Vec<numbers_persistence::CallRecord>,
    /// The call sid to pass as `before` for the next page; `None` on the last page.
    pub next_before: Option<String>,
}

impl App {
    /// The calls of one of the tenant's numbers, newest first: at most `limit`, after the
    /// call `before` (the `next_before` of the previous page) when given.
    ///
    /// # Errors
    /// [`crate::ServiceError::NotFound`] for a number that is not the tenant's;
    /// [`crate::ServiceError::Invalid`] (`before`) for a cursor that is not a call of this
    /// number; [`crate::ServiceError::Store`] when the database fails.
    pub async fn number_calls(
        &self,
        tenant_id: numbers_domain::TenantId,
        id: numbers_domain::PhoneNumberId,
        before: Option<&str>,
        limit: u32,
    ) -> Result<CallPage, crate::ServiceError> {
        self.tenant_number(tenant_id, id).await?;
        let cursor = match before {
            None => None,
            Some(sid) => {
                let call = self
                    .store()
                    .calls()
                    .get(tenant_id, id, sid)
                    .await?
                    .ok_or_else(|| crate::ServiceError::Invalid {
                        field: "before",
                        message: "before must be the call_sid of a call of this number (next_before of the previous page)".into(),
                    })?;
                Some((call.first_seen_at, call.call_sid))
            }
        };
        let mut calls = self
            .store()
            .calls()
            .list_for_number(tenant_id, id, cursor, limit.saturating_add(1))
            .await?;
        let more = calls.len() > limit as usize;
        calls.truncate(limit as usize);
        let next_before = if more {
            calls.last().map(|c| c.call_sid.clone())
        } else {
            None
        };
        Ok(CallPage { calls, next_before })
    }
}

//! Simulated inbound calls: the signed webhook requests Twilio sends to a number's URLs.

use std::time::Duration;

use numbers_crypto::signature::{SIGNATURE_HEADER, compute_signature, compute_url_signature};
use serde::{Deserialize, Serialize};

use crate::catalog;
use crate::control::FakeControl;
use crate::model::AvailableNumber;
use crate::wire::{API_VERSION, rfc2822};

/// Time allowed for a webhook answer before [`CallError::Http`].
pub const WEBHOOK_TIMEOUT: Duration = Duration::from_secs(15);

/// One webhook request the fake sent and what the receiver answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallOutcome {
    /// The call's `CA…` SID (the same for a call's voice webhook and status callbacks).
    pub call_sid: String,
    /// Owning account of the called number (whose token signed the request).
    pub account_sid: String,
    /// Caller, E.164.
    pub from: String,
    /// Called number, E.164.
    pub to: String,
    /// `GET` or `POST`, from the number's configuration.
    pub method: String,
    /// The exact URL requested (for `GET`, with the parameters in its query).
    pub url: String,
    /// Parameters sent, in sending order.
    pub params: Vec<(String, String)>,
    /// The `X-Twilio-Signature` header sent.
    pub signature: String,
    /// HTTP status the receiver answered.
    pub status: u16,
    /// Its `Content-Type`, if any.
    pub content_type: Option<String>,
    /// Its body (TwiML for a voice webhook), lossily decoded as UTF-8.
    pub body: String,
}

/// Why a simulated call could not be delivered.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    /// The called number is not owned by any account of the fake.
    #[error("{0} is not an owned number")]
    NotOwned(String),
    /// The called number has no voice URL (or no status callback, for a status callback).
    #[error("{number} has no {what} configured")]
    NoUrl {
        /// The number.
        number: String,
        /// `voice_url` or `status_callback`.
        what: &'static str,
    },
    /// The caller is not an E.164 number.
    #[error("{0:?} is not an E.164 caller number")]
    InvalidCaller(String),
    /// The webhook request failed (connection refused, timeout, …): the receiver's fault.
    #[error("webhook request failed: {0}")]
    Http(#[from] reqwest::Error),
}

/// Twilio's geographic fields for one side of a call.
struct Geo {
    city: String,
    state: String,
    zip: String,
    country: String,
}

fn geo(e164: &str, entry: Option<&AvailableNumber>, iso_hint: Option<&str>) -> Geo {
    let country = entry
        .map(|n| n.iso_country.clone())
        .or_else(|| iso_hint.map(str::to_owned))
        .or_else(|| catalog::country_of_number(e164).map(|c| c.iso.to_owned()))
        .unwrap_or_default();
    Geo {
        city: entry
            .and_then(|n| n.locality.as_deref())
            .map(str::to_uppercase)
            .unwrap_or_default(),
        state: entry.and_then(|n| n.region.clone()).unwrap_or_default(),
        zip: entry
            .and_then(|n| n.postal_code.clone())
            .unwrap_or_default(),
        country,
    }
}

fn push_geo(params: &mut Vec<(String, String)>, prefixes: &[&str], g: &Geo) {
    for p in prefixes {
        params.push((format!("{p}City"), g.city.clone()));
        params.push((format!("{p}Country"), g.country.clone()));
        params.push((format!("{p}State"), g.state.clone()));
        params.push((format!("{p}Zip"), g.zip.clone()));
    }
}

/// What a webhook needs, read under the lock.
struct Target {
    account_sid: String,
    token: String,
    url: String,
    method: String,
    base_params: Vec<(String, String)>,
}

impl FakeControl {
    fn http(&self) -> Result<&reqwest::Client, CallError> {
        if let Some(client) = self.shared.http.get() {
            return Ok(client);
        }
        let client = reqwest::Client::builder()
            .timeout(WEBHOOK_TIMEOUT)
            .build()?;
        Ok(self.shared.http.get_or_init(|| client))
    }

    fn call_target(
        &self,
        to: &str,
        from: &str,
        call_sid: Option<&str>,
        status_callback: bool,
    ) -> Result<(String, Target), CallError> {
        if crate::store::phone_key(from).is_none() {
            return Err(CallError::InvalidCaller(from.to_owned()));
        }
        let mut state = self.shared.write();
        let from_entry =
            crate::store::phone_key(from).and_then(|k| state.inventory_entry(k).cloned());
        let (number, token, to_entry) = state
            .call_target(to)
            .map(|(n, t, e)| (n, t, e.cloned()))
            .ok_or_else(|| CallError::NotOwned(to.to_owned()))?;
        let (url, method, what) = if status_callback {
            (
                number.status_callback.clone(),
                number.status_callback_method.clone(),
                "status_callback",
            )
        } else {
            (
                number.voice_url.clone(),
                number.voice_method.clone(),
                "voice_url",
            )
        };
        let url = url.ok_or(CallError::NoUrl {
            number: to.to_owned(),
            what,
        })?;
        let call_sid = call_sid.map_or_else(|| state.next_call_sid(), str::to_owned);
        drop(state);
        let to_geo = geo(to, to_entry.as_ref(), Some(&number.iso_country));
        let from_geo = geo(from, from_entry.as_ref(), None);
        let mut params: Vec<(String, String)> = vec![
            ("AccountSid".into(), number.account_sid.clone()),
            ("ApiVersion".into(), API_VERSION.into()),
            ("CallSid".into(), call_sid.clone()),
            ("CallStatus".into(), "ringing".into()),
            ("Called".into(), to.to_owned()),
        ];
        push_geo(&mut params, &["Called"], &to_geo);
        params.push(("Caller".into(), from.to_owned()));
        push_geo(&mut params, &["Caller"], &from_geo);
        params.push(("Direction".into(), "inbound".into()));
        params.push(("From".into(), from.to_owned()));
        push_geo(&mut params, &["From"], &from_geo);
        params.push(("To".into(), to.to_owned()));
        push_geo(&mut params, &["To"], &to_geo);
        Ok((
            call_sid,
            Target {
                account_sid: number.account_sid,
                token,
                url,
                method,
                base_params: params,
            },
        ))
    }

    async fn deliver(
        &self,
        call_sid: String,
        from: &str,
        to: &str,
        target: Target,
    ) -> Result<CallOutcome, CallError> {
        let client = self.http()?;
        let params = target.base_params;
        let (url, signature, request) = if target.method == "GET" {
            let query = url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(params.iter())
                .finish();
            let sep = if target.url.contains('?') { '&' } else { '?' };
            let url = format!("{}{sep}{query}", target.url);
            let signature = compute_url_signature(&target.token, &url);
            let request = client.get(&url);
            (url, signature, request)
        } else {
            let signature = compute_signature(&target.token, &target.url, &params);
            let request = client.post(&target.url).form(&params);
            (target.url.clone(), signature, request)
        };
        let response = request.header(SIGNATURE_HEADER, &signature).send().await?;
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = String::from_utf8_lossy(&response.bytes().await?).into_owned();
        Ok(CallOutcome {
            call_sid,
            account_sid: target.account_sid,
            from: from.to_owned(),
            to: to.to_owned(),
            method: target.method,
            url,
            params,
            signature,
            status,
            content_type,
            body,
        })
    }

    /// Places a simulated inbound call from `from` to the owned number `to`: sends Twilio's
    /// voice webhook (`AccountSid`, `ApiVersion`, `CallSid`, `CallStatus=ringing`,
    /// `Direction=inbound`, `From`/`To`, `Caller`/`Called` and their `City`/`State`/`Zip`/
    /// `Country` fields) to the number's `voice_url` with its `voice_method`, signed with
    /// `X-Twilio-Signature` under the owning account's auth token, and returns what the
    /// webhook answered.
    ///
    /// # Errors
    /// [`CallError::NotOwned`], [`CallError::NoUrl`], [`CallError::InvalidCaller`], or
    /// [`CallError::Http`] when the webhook cannot be reached or does not answer in
    /// [`WEBHOOK_TIMEOUT`]. An answer with any HTTP status is a success here: the outcome
    /// carries it.
    pub async fn place_call(&self, to: &str, from: &str) -> Result<CallOutcome, CallError> {
        let (call_sid, target) = self.call_target(to, from, None, false)?;
        self.deliver(call_sid, from, to, target).await
    }

    /// Sends the status callback of a call placed with [`FakeControl::place_call`] to the
    /// number's `status_callback`: the same parameters with `CallStatus` set to
    /// `call_status` (e.g. `completed`), plus `CallDuration` (seconds), `Timestamp`,
    /// `CallbackSource=call-progress-events` and `SequenceNumber`, signed likewise.
    ///
    /// # Errors
    /// As [`FakeControl::place_call`]; [`CallError::NoUrl`] when the number has no status
    /// callback.
    pub async fn send_status_callback(
        &self,
        call: &CallOutcome,
        call_status: &str,
        duration_secs: u32,
    ) -> Result<CallOutcome, CallError> {
        let (call_sid, mut target) =
            self.call_target(&call.to, &call.from, Some(&call.call_sid), true)?;
        for (k, v) in &mut target.base_params {
            if k == "CallStatus" {
                call_status.clone_into(v);
            }
        }
        target.base_params.extend([
            ("CallDuration".to_owned(), duration_secs.to_string()),
            (
                "Timestamp".to_owned(),
                rfc2822(chrono::Utc::now().timestamp()),
            ),
            (
                "CallbackSource".to_owned(),
                "call-progress-events".to_owned(),
            ),
            ("SequenceNumber".to_owned(), "0".to_owned()),
        ]);
        self.deliver(call_sid, &call.from, &call.to, target).await
    }
}

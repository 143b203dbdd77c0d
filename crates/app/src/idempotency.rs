//! Requests made safe to repeat with an `Idempotency-Key` (SPEC §5): the first request with
//! a key runs and its answer is stored in the database; the same request again gets that
//! answer byte for byte, also while the first is still running (it waits for it), from any
//! process on the same database. The key is scoped to the tenant and kept 24 hours.

use std::future::Future;
use std::time::{Duration, Instant};

use numbers_domain::TenantId;
use numbers_persistence::{Claim, StoredAnswer};

use crate::error::run_whole;
use crate::{App, ServiceError};

/// How long a key and its answer are kept.
pub const KEY_TTL: Duration = Duration::from_secs(24 * 3600);
/// How long a repeat waits for the first request with its key to finish. A purchase takes
/// at most about a minute (Twilio's 30-second timeout, then one look-up).
pub const IN_FLIGHT_WAIT: Duration = Duration::from_secs(75);

/// A rendered answer and whether to keep it for repeats. Answers that mean "nothing was
/// done, try again" (a 503) are not kept, so a retry with the same key runs again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// The answer.
    pub answer: StoredAnswer,
    /// Keep it for repeats of the request.
    pub keep: bool,
}

impl App {
    /// Runs `operation` once per `(tenant, key)`: the first caller runs it and `render`s its
    /// result; repeats with the same `fingerprint` get the stored answer, waiting (up to
    /// [`IN_FLIGHT_WAIT`]) while the first is still running. Runs on a task of its own, so
    /// the answer is stored even when the first caller stops waiting.
    ///
    /// # Errors
    /// [`ServiceError::IdempotencyKeyReused`] when the key was used with another
    /// fingerprint; [`ServiceError::IdempotencyKeyInFlight`] when the first request is still
    /// running after the wait; [`ServiceError::Store`] when the database fails.
    pub async fn once<T, F>(
        &self,
        tenant_id: TenantId,
        key: String,
        fingerprint: String,
        operation: F,
        render: impl FnOnce(T) -> Rendered + Send + 'static,
    ) -> Result<StoredAnswer, ServiceError>
    where
        T: Send + 'static,
        F: Future<Output = T> + Send + 'static,
    {
        let app = self.clone();
        run_whole(async move {
            let keys = app.store().idempotency_keys();
            let started = Instant::now();
            let mut pause = Duration::from_millis(20);
            loop {
                match keys.claim(tenant_id, &key, &fingerprint, KEY_TTL).await? {
                    Claim::Owned => break,
                    Claim::Replay(answer) => return Ok(answer),
                    Claim::Mismatch => return Err(ServiceError::IdempotencyKeyReused),
                    Claim::InFlight if started.elapsed() >= IN_FLIGHT_WAIT => {
                        return Err(ServiceError::IdempotencyKeyInFlight);
                    }
                    Claim::InFlight => {
                        tokio::time::sleep(pause).await;
                        pause = (pause * 2).min(Duration::from_millis(250));
                    }
                }
            }
            let Rendered { answer, keep } = render(operation.await);
            if keep {
                keys.complete(tenant_id, &key, &answer).await?;
            } else {
                keys.release(tenant_id, &key).await?;
            }
            Ok(answer)
        })
        .await
    }
}

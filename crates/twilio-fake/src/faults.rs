//! Fault injection: rules per operation, consumed by the requests they apply to.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// The operations faults can be attached to. Every Twilio request the fake serves belongs to
/// exactly one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FakeOperation {
    /// AvailablePhoneNumbers: searches and the country resources.
    Search,
    /// IncomingPhoneNumbers create (buying a number).
    Create,
    /// IncomingPhoneNumbers list (every page).
    List,
    /// IncomingPhoneNumbers fetch.
    Fetch,
    /// IncomingPhoneNumbers update.
    Update,
    /// IncomingPhoneNumbers delete (release).
    Delete,
    /// Pricing v1: country list, country prices, service root.
    Pricing,
    /// Accounts fetch.
    Account,
}

impl FakeOperation {
    /// Every operation, in a fixed order.
    pub const ALL: [Self; 8] = [
        Self::Search,
        Self::Create,
        Self::List,
        Self::Fetch,
        Self::Update,
        Self::Delete,
        Self::Pricing,
        Self::Account,
    ];

    /// The snake_case name used in the control API.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Search => "search",
            Self::Create => "create",
            Self::List => "list",
            Self::Fetch => "fetch",
            Self::Update => "update",
            Self::Delete => "delete",
            Self::Pricing => "pricing",
            Self::Account => "account",
        }
    }

    /// True for operations that change state (create, update, delete): the ones a
    /// [`Fault::CommitThenLose`] really commits.
    #[must_use]
    pub fn is_mutation(self) -> bool {
        matches!(self, Self::Create | Self::Update | Self::Delete)
    }

    pub(crate) fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for FakeOperation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Error of [`FakeOperation::from_str`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown operation {0:?}")]
pub struct UnknownOperation(pub String);

impl FromStr for FakeOperation {
    type Err = UnknownOperation;

    /// Parses the snake_case name (`search`, `create`, …).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|op| op.name() == s)
            .ok_or_else(|| UnknownOperation(s.to_owned()))
    }
}

/// How a committed mutation's answer is lost (see [`Fault::CommitThenLose`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LostResponse {
    /// The connection is closed without any answer.
    DropConnection,
    /// HTTP 500 with Twilio code 20500.
    ServerError,
    /// No answer until `ms` milliseconds have passed (or the fake stops, when `None`), then
    /// the connection is closed: the client's timeout fires first.
    Hang {
        /// How long to hold the connection; `None` holds it until shutdown.
        #[serde(default)]
        ms: Option<u64>,
    },
}

/// What an injected fault does to a request of its operation.
///
/// Faults are checked after authentication and routing (a request with bad credentials is
/// still a 401), before the operation itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Fault {
    /// Answer with this HTTP status and Twilio error code instead of running the operation.
    Error {
        /// HTTP status.
        status: u16,
        /// Twilio error code.
        code: u32,
        /// Message; a generic one when absent.
        #[serde(default)]
        message: Option<String>,
    },
    /// HTTP 429 with Twilio code 20429 (never processed), with `Retry-After` when given.
    RateLimited {
        /// Seconds for the `Retry-After` header; no header when absent.
        #[serde(default)]
        retry_after_secs: Option<u64>,
    },
    /// Wait this long, then serve the request normally. Latency rules add up and do not
    /// stop other rules from applying to the same request.
    Latency {
        /// Delay in milliseconds.
        ms: u64,
    },
    /// Hold the request without answering (past any sane client timeout), then close the
    /// connection. The operation is **not** performed.
    Hang {
        /// How long to hold; `None` holds until the fake stops.
        #[serde(default)]
        ms: Option<u64>,
    },
    /// Perform the operation (for create: the number **is** bought), then lose the answer as
    /// `lose` says, so the caller cannot know it happened. For read operations this is the
    /// same as losing the answer of a harmless read.
    CommitThenLose {
        /// How the answer is lost.
        lose: LostResponse,
    },
}

/// An injected fault with how many more requests it applies to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaultRule {
    /// What happens.
    pub fault: Fault,
    /// Requests it still applies to; `None` = every request until cleared.
    pub remaining: Option<u32>,
}

/// What the server must do for one request, decided from the rules.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct FaultPlan {
    pub(crate) delay: Duration,
    pub(crate) action: Option<Fault>,
}

/// Rules per operation.
#[derive(Debug, Default)]
pub(crate) struct FaultBook {
    rules: HashMap<FakeOperation, Vec<FaultRule>>,
}

impl FaultBook {
    pub(crate) fn add(&mut self, op: FakeOperation, fault: Fault, times: Option<u32>) {
        if times == Some(0) {
            return;
        }
        self.rules.entry(op).or_default().push(FaultRule {
            fault,
            remaining: times,
        });
    }

    pub(crate) fn clear(&mut self, op: Option<FakeOperation>) {
        match op {
            Some(op) => {
                self.rules.remove(&op);
            }
            None => self.rules.clear(),
        }
    }

    pub(crate) fn pending(&self, op: FakeOperation) -> Vec<FaultRule> {
        self.rules.get(&op).cloned().unwrap_or_default()
    }

    /// Consumes the rules that apply to one request of `op`: every latency rule adds its
    /// delay, and the first other rule (in the order added) becomes the action.
    pub(crate) fn plan(&mut self, op: FakeOperation) -> FaultPlan {
        let mut plan = FaultPlan::default();
        let Some(rules) = self.rules.get_mut(&op) else {
            return plan;
        };
        for rule in rules.iter_mut() {
            let applies = match &rule.fault {
                Fault::Latency { ms } => {
                    plan.delay += Duration::from_millis(*ms);
                    true
                }
                other if plan.action.is_none() => {
                    plan.action = Some(other.clone());
                    true
                }
                _ => false,
            };
            if applies && let Some(n) = rule.remaining.as_mut() {
                *n = n.saturating_sub(1);
            }
        }
        rules.retain(|r| r.remaining != Some(0));
        if rules.is_empty() {
            self.rules.remove(&op);
        }
        plan
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_are_consumed_in_order_and_latency_stacks() {
        let mut book = FaultBook::default();
        let err = Fault::Error {
            status: 400,
            code: 21422,
            message: None,
        };
        book.add(FakeOperation::Create, err.clone(), Some(1));
        book.add(
            FakeOperation::Create,
            Fault::RateLimited {
                retry_after_secs: None,
            },
            Some(2),
        );
        book.add(FakeOperation::Create, Fault::Latency { ms: 5 }, None);
        let p = book.plan(FakeOperation::Create);
        assert_eq!(p.action, Some(err));
        assert_eq!(p.delay, Duration::from_millis(5));
        for _ in 0..2 {
            assert!(matches!(
                book.plan(FakeOperation::Create).action,
                Some(Fault::RateLimited { .. })
            ));
        }
        let p = book.plan(FakeOperation::Create);
        assert_eq!(p.action, None);
        assert_eq!(p.delay, Duration::from_millis(5));
        assert_eq!(book.plan(FakeOperation::List), FaultPlan::default());
        book.clear(None);
        assert_eq!(book.plan(FakeOperation::Create), FaultPlan::default());
    }

    #[test]
    fn faults_round_trip_through_json() {
        let f: Fault =
            serde_json::from_str(r#"{"kind":"commit_then_lose","lose":{"hang":{"ms":10}}}"#)
                .unwrap();
        assert_eq!(
            f,
            Fault::CommitThenLose {
                lose: LostResponse::Hang { ms: Some(10) }
            }
        );
        let f: Fault =
            serde_json::from_str(r#"{"kind":"commit_then_lose","lose":"drop_connection"}"#)
                .unwrap();
        assert_eq!(
            f,
            Fault::CommitThenLose {
                lose: LostResponse::DropConnection
            }
        );
        assert_eq!(
            "pricing".parse::<FakeOperation>(),
            Ok(FakeOperation::Pricing)
        );
        assert!("buy".parse::<FakeOperation>().is_err());
    }
}

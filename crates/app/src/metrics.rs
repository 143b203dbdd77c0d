//! Prometheus metrics: HTTP requests by route and status, request latency by route, Twilio
//! calls by operation and outcome, and Twilio webhooks by route and outcome. Rendered in the
//! text format at `GET /metrics`.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

/// Labels of one HTTP request.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct HttpLabels {
    /// The route pattern (`/v1/phone-numbers/{id}`), never the raw path.
    pub route: String,
    /// The HTTP method.
    pub method: String,
    /// The response status code.
    pub status: u16,
}

/// Labels of a latency observation.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    /// The route pattern.
    pub route: String,
}

/// Labels of one Twilio call.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct TwilioLabels {
    /// `search`, `pricing`, …
    pub operation: String,
    /// `ok`, `refused`, `not_found`, `unavailable`, `unknown`, `bad_answer`.
    pub outcome: String,
}

/// Labels of one webhook request.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct WebhookLabels {
    /// `/webhooks/twilio/voice` or `/webhooks/twilio/status`.
    pub route: String,
    /// `verified`, `missing` (no signature), `invalid` (bad signature or unknown account) or
    /// `error` (the token could not be had, the database failed, or a verified request
    /// lacked a field).
    pub outcome: String,
}

/// Every metric of the service, registered once.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    http_requests: Family<HttpLabels, Counter>,
    http_latency: Family<RouteLabels, Histogram>,
    twilio_calls: Family<TwilioLabels, Counter>,
    webhooks: Family<WebhookLabels, Counter>,
}

fn latency_histogram() -> Histogram {
    // 0.5 ms … ~4 s.
    Histogram::new(prometheus_client::metrics::histogram::exponential_buckets(
        0.0005, 2.0, 14,
    ))
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// A fresh registry with every metric at zero.
    #[must_use]
    pub fn new() -> Self {
        let mut registry = Registry::default();
        let http_requests = Family::<HttpLabels, Counter>::default();
        let http_latency = Family::<RouteLabels, Histogram>::new_with_constructor(
            latency_histogram as fn() -> Histogram,
        );
        let twilio_calls = Family::<TwilioLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests answered",
            http_requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "Time to answer an HTTP request",
            http_latency.clone(),
        );
        registry.register(
            "twilio_calls",
            "Calls to Twilio by operation and outcome",
            twilio_calls.clone(),
        );
        let webhooks = Family::<WebhookLabels, Counter>::default();
        registry.register(
            "twilio_webhooks",
            "Twilio webhook requests by route and outcome",
            webhooks.clone(),
        );
        Self {
            registry,
            webhooks,
            http_requests,
            http_latency,
            twilio_calls,
        }
    }

    /// Records one answered HTTP request.
    pub fn observe_http(&self, route: &str, method: &str, status: u16, seconds: f64) {
        self.http_requests
            .get_or_create(&HttpLabels {
                route: route.to_owned(),
                method: method.to_owned(),
                status,
            })
            .inc();
        self.http_latency
            .get_or_create(&RouteLabels {
                route: route.to_owned(),
            })
            .observe(seconds);
    }

    /// Records one Twilio call.
    pub fn observe_twilio(&self, operation: &str, outcome: &str) {
        self.twilio_calls
            .get_or_create(&TwilioLabels {
                operation: operation.to_owned(),
                outcome: outcome.to_owned(),
            })
            .inc();
    }

    /// Records one webhook request.
    pub fn observe_webhook(&self, route: &str, outcome: &str) {
        self.webhooks
            .get_or_create(&WebhookLabels {
                route: route.to_owned(),
                outcome: outcome.to_owned(),
            })
            .inc();
    }

    /// The metrics in Prometheus' text exposition format.
    #[must_use]
    pub fn render(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}

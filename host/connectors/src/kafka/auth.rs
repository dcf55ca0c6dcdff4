//! Authentication and TLS failures: the broker errors that retrying does
//! not cure. librdkafka reports them only through the client's error
//! callback (calls then fail with transport errors or time out), so the
//! Kafka connectors' client contexts keep the first one and report it
//! instead.

use std::sync::{Arc, Mutex};

use rdkafka::ClientContext;
use rdkafka::consumer::ConsumerContext;
use rdkafka::error::KafkaError;
use rdkafka::types::RDKafkaErrorCode;

/// The first authentication or TLS failure a client reported, shared with
/// its context.
#[derive(Clone, Debug, Default)]
pub(crate) struct AuthFailure {
    first: Arc<Mutex<Option<String>>>,
}

impl AuthFailure {
    /// Keeps `reason` if `error` is an authentication or TLS failure (and
    /// none was kept yet).
    pub(crate) fn record(&self, error: &KafkaError, reason: &str) {
        let what = match error.rdkafka_error_code() {
            Some(RDKafkaErrorCode::Authentication) => "authentication failed",
            Some(RDKafkaErrorCode::SSL) => "TLS failed",
            _ => return,
        };
        let mut first = self.first.lock().expect("auth failure");
        if first.is_none() {
            *first = Some(format!("{what}: {reason}"));
        }
    }

    /// `authentication failed: <librdkafka's reason>` (or `TLS failed:
    /// …`), once one happened.
    pub(crate) fn message(&self) -> Option<String> {
        self.first.lock().expect("auth failure").clone()
    }

    /// `message`, or the authentication failure instead when there was one
    /// (what made the call fail).
    pub(crate) fn or(&self, message: String) -> String {
        self.message().unwrap_or(message)
    }
}

/// A consumer's context: logs client errors as librdkafka's default does
/// and keeps authentication failures.
#[derive(Clone, Debug, Default)]
pub(crate) struct ConsumerErrors {
    pub(crate) auth: AuthFailure,
}

impl ClientContext for ConsumerErrors {
    fn error(&self, error: KafkaError, reason: &str) {
        self.auth.record(&error, reason);
        tracing::error!("librdkafka: {error}: {reason}");
    }
}

impl ConsumerContext for ConsumerErrors {}

//! Prometheus metrics of one instance: events by kind (sign-ins, failures, revocations and
//! timeouts by reason, …), request latency, active sessions.
use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, Opts, Registry, TextEncoder,
};

/// The instance's metrics.
#[derive(Clone, Debug)]
pub struct Metrics {
    registry: Registry,
    events: IntCounterVec,
    latency: HistogramVec,
    active: IntGauge,
}

impl Default for Metrics {
    fn default() -> Self {
        let registry = Registry::new();
        let events = IntCounterVec::new(
            Opts::new(
                "hallpass_events_total",
                "Session events by kind (the audit trail's kinds)",
            ),
            &["kind"],
        )
        .expect("valid metric");
        let latency = HistogramVec::new(
            HistogramOpts::new("hallpass_request_duration_seconds", "Request latency").buckets(
                vec![
                    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
                ],
            ),
            &["route", "status"],
        )
        .expect("valid metric");
        let active = IntGauge::new(
            "hallpass_active_sessions",
            "Sessions active within the idle timeout",
        )
        .expect("valid metric");
        registry
            .register(Box::new(events.clone()))
            .expect("unique metric");
        registry
            .register(Box::new(latency.clone()))
            .expect("unique metric");
        registry
            .register(Box::new(active.clone()))
            .expect("unique metric");
        Self {
            registry,
            events,
            latency,
            active,
        }
    }
}

impl Metrics {
    /// Counts one event of `kind`.
    pub fn event(&self, kind: &str) {
        self.events.with_label_values(&[kind]).inc();
    }

    /// Records a request's latency; `route` is `page`, `api` or `asset`, `status` the class
    /// (`2xx`, `4xx`, …).
    pub fn observe(&self, route: &str, status: &str, seconds: f64) {
        self.latency
            .with_label_values(&[route, status])
            .observe(seconds);
    }

    /// Sets the active-session gauge.
    pub fn set_active(&self, n: i64) {
        self.active.set(n);
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        let mut out = Vec::new();
        TextEncoder::new()
            .encode(&self.registry.gather(), &mut out)
            .expect("metrics encode");
        String::from_utf8(out).unwrap_or_default()
    }
}

//! Prometheus metrics in text format, kept with atomics: requests by status class and a
//! latency histogram. Durations are counted in microseconds.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Upper bounds of the latency buckets, in microseconds.
const BUCKETS_MICROS: [u64; 10] = [
    1_000, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 500_000, 1_000_000, 5_000_000,
];

#[derive(Default)]
pub struct Metrics {
    requests_by_class: [AtomicU64; 5],
    buckets: [AtomicU64; BUCKETS_MICROS.len()],
    duration_micros_sum: AtomicU64,
    requests_total: AtomicU64,
}

impl Metrics {
    pub fn record(&self, status: u16, elapsed: Duration) {
        let class = usize::from((status / 100).clamp(1, 5)) - 1;
        self.requests_by_class[class].fetch_add(1, Ordering::Relaxed);
        let micros = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
        for (bucket, bound) in self.buckets.iter().zip(BUCKETS_MICROS) {
            if micros <= bound {
                bucket.fetch_add(1, Ordering::Relaxed);
            }
        }
        self.duration_micros_sum
            .fetch_add(micros, Ordering::Relaxed);
        self.requests_total.fetch_add(1, Ordering::Relaxed);
    }

    pub fn render(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "# HELP fiscus_http_requests_total HTTP requests by status class."
        );
        let _ = writeln!(out, "# TYPE fiscus_http_requests_total counter");
        for (index, counter) in self.requests_by_class.iter().enumerate() {
            let _ = writeln!(
                out,
                "fiscus_http_requests_total{{class=\"{}xx\"}} {}",
                index + 1,
                counter.load(Ordering::Relaxed)
            );
        }
        let _ = writeln!(
            out,
            "# HELP fiscus_http_request_duration_seconds HTTP request latency."
        );
        let _ = writeln!(out, "# TYPE fiscus_http_request_duration_seconds histogram");
        for (bucket, bound) in self.buckets.iter().zip(BUCKETS_MICROS) {
            let _ = writeln!(
                out,
                "fiscus_http_request_duration_seconds_bucket{{le=\"{}.{:06}\"}} {}",
                bound / 1_000_000,
                bound % 1_000_000,
                bucket.load(Ordering::Relaxed)
            );
        }
        let total = self.requests_total.load(Ordering::Relaxed);
        let sum = self.duration_micros_sum.load(Ordering::Relaxed);
        let _ = writeln!(
            out,
            "fiscus_http_request_duration_seconds_bucket{{le=\"+Inf\"}} {total}"
        );
        let _ = writeln!(
            out,
            "fiscus_http_request_duration_seconds_sum {}.{:06}",
            sum / 1_000_000,
            sum % 1_000_000
        );
        let _ = writeln!(out, "fiscus_http_request_duration_seconds_count {total}");
        out
    }
}

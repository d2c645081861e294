//! Per-application request limits, as Defender applies them (100 calls a minute and 1,500
//! an hour per application by default): a client that runs away gets 429 with `Retry-After`,
//! and other applications are unaffected.
//!
//! Fixed windows per application, kept in memory: a limit is a promise about one server's
//! load, not an accounting record, so nothing is persisted.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Calls allowed per application per minute and per hour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub per_minute: u32,
    pub per_hour: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            per_minute: 100,
            per_hour: 1_500,
        }
    }
}

#[derive(Debug)]
struct Window {
    started: Instant,
    calls: u32,
}

impl Window {
    fn new(now: Instant) -> Self {
        Window {
            started: now,
            calls: 0,
        }
    }

    /// Nothing when the window (of `length`, restarted if it has run out) has room for one
    /// more call; else the time until it restarts.
    fn wait(&mut self, now: Instant, length: Duration, limit: u32) -> Option<Duration> {
        if now.duration_since(self.started) >= length {
            *self = Window::new(now);
        }
        (self.calls >= limit).then(|| length - now.duration_since(self.started))
    }
}

/// The limiter shared by all requests of one server.
#[derive(Debug)]
pub struct Throttle {
    limits: Limits,
    windows: Mutex<HashMap<String, (Window, Window)>>,
}

impl Throttle {
    pub fn new(limits: Limits) -> Self {
        Throttle {
            limits,
            windows: Mutex::new(HashMap::new()),
        }
    }

    /// Admits one call of `app`, or says how many whole seconds it must wait.
    pub fn admit(&self, app: &str) -> Result<(), u64> {
        self.admit_at(app, Instant::now())
    }

    fn admit_at(&self, app: &str, now: Instant) -> Result<(), u64> {
        let mut windows = self
            .windows
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if !windows.contains_key(app) {
            windows.insert(app.to_string(), (Window::new(now), Window::new(now)));
        }
        let (minute, hour) = windows.get_mut(app).expect("inserted above");
        // Check both before counting, so a refused call uses up neither window.
        let wait = minute
            .wait(now, Duration::from_secs(60), self.limits.per_minute)
            .or_else(|| hour.wait(now, Duration::from_secs(3600), self.limits.per_hour));
        if let Some(wait) = wait {
            return Err(wait.as_secs().max(1));
        }
        minute.calls += 1;
        hour.calls += 1;
        Ok(())
    }
}

/// 429 with `Retry-After` when the server throttles (`ServerOptions::throttle`, a request
/// extension) and `app` has used up its calls.
pub(crate) fn check(
    extensions: &axum::http::Extensions,
    app: &str,
    request_id: &crate::RequestId,
) -> Result<(), crate::ApiError> {
    let Some(throttle) = extensions.get::<std::sync::Arc<Throttle>>() else {
        return Ok(());
    };
    throttle.admit(app).map_err(|retry_after| {
        tracing::info!(request_id = %request_id.0, app, retry_after, "throttled");
        crate::ApiError::new(
            crate::ApiErrorKind::TooManyRequests { retry_after },
            format!("Rate limit is exceeded. Try again in {retry_after} seconds."),
            request_id,
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_each_application_separately_and_says_when_to_retry() {
        let throttle = Throttle::new(Limits {
            per_minute: 3,
            per_hour: 5,
        });
        let start = Instant::now();
        for _ in 0..3 {
            assert_eq!(throttle.admit_at("a", start), Ok(()));
        }
        let wait = throttle
            .admit_at("a", start + Duration::from_secs(10))
            .unwrap_err();
        assert_eq!(wait, 50);
        assert_eq!(
            throttle.admit_at("b", start),
            Ok(()),
            "another application is unaffected"
        );
        // A new minute: two more calls fit the hour, then the hour is the limit.
        let later = start + Duration::from_secs(61);
        assert_eq!(throttle.admit_at("a", later), Ok(()));
        assert_eq!(throttle.admit_at("a", later), Ok(()));
        let wait = throttle.admit_at("a", later).unwrap_err();
        assert_eq!(wait, 3600 - 61);
    }
}

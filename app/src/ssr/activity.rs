//! Active-session counts over the last hours, for the admin chart.
use super::{registry::SessionRegistry, store_error::StoreResult};
use crate::{model::ActivitySample, policy::Policy};
use std::{
    collections::VecDeque,
    sync::{Arc, Mutex},
};

/// Samples kept: six hours at one a minute.
pub const SAMPLES: usize = 360;
/// Seconds between samples.
pub const SAMPLE_EVERY_SECS: u64 = 60;

/// A ring of samples taken by this instance (each instance counts the shared index, so any
/// instance's chart shows the whole deployment).
#[derive(Clone, Debug, Default)]
pub struct Activity(Arc<Mutex<VecDeque<ActivitySample>>>);

impl Activity {
    /// Counts the sessions active within the idle window and keeps the sample.
    pub async fn sample(
        &self,
        registry: &dyn SessionRegistry,
        policy: &Policy,
        now: i64,
    ) -> StoreResult<ActivitySample> {
        let sample = ActivitySample {
            at: now,
            active: registry
                .count_active(now - policy.idle_timeout_secs)
                .await?,
        };
        let mut ring = self.0.lock().expect("activity lock poisoned");
        if ring.len() == SAMPLES {
            ring.pop_front();
        }
        ring.push_back(sample);
        Ok(sample)
    }

    /// The kept samples plus one taken now, oldest first.
    pub async fn samples(
        &self,
        registry: &dyn SessionRegistry,
        policy: &Policy,
        now: i64,
    ) -> StoreResult<Vec<ActivitySample>> {
        let active = registry
            .count_active(now - policy.idle_timeout_secs)
            .await?;
        let mut samples: Vec<_> = self
            .0
            .lock()
            .expect("activity lock poisoned")
            .iter()
            .copied()
            .collect();
        samples.push(ActivitySample { at: now, active });
        Ok(samples)
    }
}

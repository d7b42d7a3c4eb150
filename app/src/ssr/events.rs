//! Things one server instance tells the others (and the browsers watching): policy changes and
//! session ends. In process with the embedded store; through Redis pub/sub with Redis.
pub use crate::model::Event;
use tokio::sync::broadcast;

/// Publishes events to every instance, this one included.
pub trait EventBus: Send + Sync + std::fmt::Debug {
    /// Sends `event` to every instance.
    fn publish(&self, event: Event);
    /// Events as they arrive at this instance (from any instance).
    fn subscribe(&self) -> broadcast::Receiver<Event>;
}

/// The bus for a single instance.
#[derive(Debug)]
pub struct LocalBus(broadcast::Sender<Event>);

impl Default for LocalBus {
    fn default() -> Self {
        Self(broadcast::channel(1024).0)
    }
}

impl LocalBus {
    /// Delivers an event to this instance's subscribers (used by the Redis bus too).
    pub fn deliver(&self, event: Event) {
        let _ = self.0.send(event);
    }
}

impl EventBus for LocalBus {
    fn publish(&self, event: Event) {
        self.deliver(event);
    }

    fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.0.subscribe()
    }
}

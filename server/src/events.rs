//! The event bus across instances: Redis pub/sub on the `{namespace}:events` channel. Each
//! instance re-delivers what it hears to its own subscribers.
use crate::redis_conn::Namespace;
use app::ssr::events::{Event, EventBus, LocalBus};
use fred::prelude::{ClientLike, EventInterface, Pool, PubsubInterface};
use std::sync::Arc;
use tokio::sync::broadcast;

/// Publishes through Redis; delivers what the subscription receives.
#[derive(Debug)]
pub struct RedisBus {
    publisher: Pool,
    channel: String,
    local: Arc<LocalBus>,
}

impl RedisBus {
    /// Subscribes to the channel (re-subscribing after reconnects) and starts relaying.
    pub async fn start(
        redis: &crate::redis_conn::RedisTarget,
        publisher: Pool,
        namespace: &Namespace,
    ) -> anyhow::Result<Arc<Self>> {
        let channel = namespace.channel();
        let subscriber = redis.subscriber()?;
        let mut messages = subscriber.message_rx();
        subscriber.init().await?;
        let _resubscribe = subscriber.manage_subscriptions();
        subscriber.subscribe(channel.clone()).await?;
        let local = Arc::new(LocalBus::default());
        let relay = local.clone();
        let name = channel.clone();
        tokio::spawn(async move {
            // Owns the subscriber so it lives as long as the relay.
            let _subscriber = subscriber;
            loop {
                match messages.recv().await {
                    Ok(message) => match message
                        .value
                        .as_string()
                        .and_then(|text| serde_json::from_str::<Event>(&text).ok())
                    {
                        Some(event) => relay.deliver(event),
                        None => tracing::warn!("ignored a malformed event on {name}"),
                    },
                    Err(broadcast::error::RecvError::Lagged(n)) => {
                        tracing::warn!(n, "event relay lagged")
                    }
                    Err(broadcast::error::RecvError::Closed) => break,
                }
            }
        });
        Ok(Arc::new(Self {
            publisher,
            channel,
            local,
        }))
    }
}

impl EventBus for RedisBus {
    fn publish(&self, event: Event) {
        let publisher = self.publisher.clone();
        let channel = self.channel.clone();
        let local = self.local.clone();
        tokio::spawn(async move {
            let text = serde_json::to_string(&event).expect("events serialise");
            if let Err(err) = publisher.next().publish::<(), _, _>(channel, text).await {
                // Other instances miss it; this one must not.
                tracing::error!(%err, "could not publish an event to Redis");
                local.deliver(event);
            }
        });
    }

    fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.local.subscribe()
    }
}

//! Uniquely named queues and topics that delete themselves.

use std::ops::Deref;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use mns_client::topic::{Topic, TopicOptions};
use mns_client::{Client, Queue, QueueOptions};

/// `{tag}-{suffix}`: the tag cut to 80 characters, then a suffix unique within the process and
/// very likely across processes (time, process id, counter).
fn unique(tag: &str) -> String {
    static SEQ: AtomicU64 = AtomicU64::new(0);
    let tag: String = tag
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .take(80)
        .collect();
    let tag = if tag.is_empty() { "t".to_owned() } else { tag };
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let seq = SEQ.fetch_add(1, Ordering::Relaxed);
    format!("{tag}-{:x}{nanos:x}-{seq}", std::process::id())
}

/// Spawns `cleanup` on the current runtime, if there is one (drop cannot wait).
fn spawn_cleanup(cleanup: impl std::future::Future<Output = ()> + Send + 'static) {
    if let Ok(handle) = tokio::runtime::Handle::try_current() {
        handle.spawn(cleanup);
    }
}

/// A queue with a unique name, deleted when the guard is dropped (best effort, in the
/// background) or by [`QueueGuard::delete`] (awaited). Derefs to [`Queue`].
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use mns_testkit::{QueueGuard, TestEnv};
/// let env = TestEnv::start().await?;
/// let queue = QueueGuard::create(env.client(), "orders", &Default::default()).await?;
/// assert!(queue.name().as_str().starts_with("orders-"));
/// queue.send_message("hi").await?;
/// queue.delete().await?; // or just drop it
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct QueueGuard {
    queue: Queue,
    armed: bool,
}

impl QueueGuard {
    /// Creates a queue named `{tag}-{unique suffix}` with `attributes`.
    pub async fn create(
        client: &Client,
        tag: &str,
        attributes: &QueueOptions,
    ) -> Result<QueueGuard, mns_client::Error> {
        let name = unique(tag);
        client.create_queue(&name, attributes).await?;
        Ok(QueueGuard {
            queue: client.queue(&name)?,
            armed: true,
        })
    }

    /// The queue handle.
    pub fn queue(&self) -> &Queue {
        &self.queue
    }

    /// Deletes the queue now and disarms the guard.
    pub async fn delete(mut self) -> Result<(), mns_client::Error> {
        self.armed = false;
        self.queue.delete().await
    }

    /// Keeps the queue: the guard will not delete it.
    pub fn keep(mut self) -> Queue {
        self.armed = false;
        self.queue.clone()
    }
}

impl Deref for QueueGuard {
    type Target = Queue;
    fn deref(&self) -> &Queue {
        &self.queue
    }
}

impl Drop for QueueGuard {
    fn drop(&mut self) {
        if self.armed {
            let queue = self.queue.clone();
            spawn_cleanup(async move {
                let _ = queue.delete().await;
            });
        }
    }
}

/// A topic with a unique name, deleted when the guard is dropped (best effort) or by
/// [`TopicGuard::delete`]. Derefs to [`Topic`].
#[derive(Debug)]
pub struct TopicGuard {
    topic: Topic,
    armed: bool,
}

impl TopicGuard {
    /// Creates a topic named `{tag}-{unique suffix}` with `options`.
    pub async fn create(
        client: &Client,
        tag: &str,
        options: &TopicOptions,
    ) -> Result<TopicGuard, mns_client::Error> {
        let name = unique(tag);
        client.create_topic(&name, options).await?;
        Ok(TopicGuard {
            topic: client.topic(&name)?,
            armed: true,
        })
    }

    /// The topic handle.
    pub fn topic(&self) -> &Topic {
        &self.topic
    }

    /// Deletes the topic (and its subscriptions) now and disarms the guard.
    pub async fn delete(mut self) -> Result<(), mns_client::Error> {
        self.armed = false;
        self.topic.delete().await
    }

    /// Keeps the topic: the guard will not delete it.
    pub fn keep(mut self) -> Topic {
        self.armed = false;
        self.topic.clone()
    }
}

impl Deref for TopicGuard {
    type Target = Topic;
    fn deref(&self) -> &Topic {
        &self.topic
    }
}

impl Drop for TopicGuard {
    fn drop(&mut self) {
        if self.armed {
            let topic = self.topic.clone();
            spawn_cleanup(async move {
                let _ = topic.delete().await;
            });
        }
    }
}

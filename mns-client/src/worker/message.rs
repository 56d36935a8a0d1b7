//! The life of one received message: dead-letter check, handler with heartbeats, settlement.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::OwnedSemaphorePermit;
use tracing::Instrument as _;

use super::groups::{Previous, Turn, Wait};
use super::{DeadLetter, Shared};
use crate::error::ErrorCode;
use crate::queue::{ReceiptHandle, ReceivedMessage, SendOptions};
use crate::time::TimeSource as _;

/// Visibility timeout given to a message released at shutdown: the service's minimum, so another
/// consumer gets it about a second later.
const RELEASE_VISIBILITY_SECONDS: u32 = 1;

/// How a handler run ended.
enum Ending {
    /// Returned `Ok`; the handle is the latest one (heartbeats replace it).
    Succeeded(ReceiptHandle),
    /// Returned `Err` or panicked.
    Failed(ReceiptHandle, String),
    /// Interrupted at the shutdown deadline and already made visible again.
    Released,
    /// Not handled because the message before it in its FIFO group failed; already made
    /// visible again, so the group is handed out again in order.
    Skipped,
}

/// Handles one message and settles it. `permit` is one unit of the worker's concurrency, held
/// until the message is settled.
pub(super) async fn process(
    shared: Arc<Shared>,
    msg: ReceivedMessage,
    permit: Option<OwnedSemaphorePermit>,
    group: Option<(Option<Wait>, Turn)>,
) {
    let (wait, mut turn) = match group {
        Some((wait, turn)) => (wait, Some(turn)),
        None => (None, None),
    };
    let span = tracing::debug_span!(
        "mns_message",
        message_id = %msg.message_id,
        dequeue_count = msg.dequeue_count
    );
    async {
        let _permit = permit;
        match shared.max_receives {
            Some((limit, _)) if msg.dequeue_count > limit => {
                tracing::debug!(limit, "receive limit exceeded before handling");
                let handle = msg.receipt_handle.clone();
                dead_letter(&shared, &msg, handle).await;
            }
            _ => match run_handler(&shared, &msg, wait).await {
                Ending::Succeeded(handle) => {
                    shared.stats.succeeded();
                    tracing::debug!("handled");
                    match shared.deleter.delete(handle).await {
                        Ok(()) => {
                            if let Some(turn) = turn.as_mut() {
                                turn.succeeded();
                            }
                        }
                        Err(e) => {
                            shared.stats.settle_error();
                            tracing::warn!(error = %e, "could not delete a handled message; it may be delivered again");
                        }
                    }
                }
                Ending::Failed(handle, error) => {
                    shared.stats.failed();
                    let at_limit = shared
                        .max_receives
                        .as_ref()
                        .is_some_and(|(limit, _)| msg.dequeue_count >= *limit);
                    if at_limit {
                        tracing::warn!(%error, "handler failed on the last allowed receive");
                        dead_letter(&shared, &msg, handle).await;
                    } else {
                        retry_later(&shared, &msg, &handle, &error).await;
                    }
                }
                Ending::Released | Ending::Skipped => {}
            },
        }
        // The next message of the group (if any) may run now, or learns that it must not.
        drop(turn);
        shared.stats.settled();
    }
    .instrument(span)
    .await;
}

/// Runs the handler in its own task, extending the message's visibility every heartbeat
/// interval until it ends, or until the shutdown deadline aborts it. With `wait`, the handler
/// first waits (visibility still extended) for the previous message of its FIFO group, and is
/// skipped if that one did not succeed.
async fn run_handler(shared: &Shared, msg: &ReceivedMessage, wait: Option<Wait>) -> Ending {
    let mut handle = msg.receipt_handle.clone();
    let handler = shared.handler.clone();
    let owned = msg.clone();
    let work = async move {
        if let Some(wait) = wait
            && wait.previous().await == Previous::Broken
        {
            return None;
        }
        Some(handler(owned).await)
    };
    // The handler runs in a consumer span parented on the producer's context (feature
    // `opentelemetry`; without it this is the future itself).
    let work = crate::otel::consumer_scope(shared.queue.name().as_str(), msg, work);
    let mut task = tokio::spawn(work);
    let mut heartbeats_on = true;
    // Beats are timed from when the service started (or last restarted) the visibility timeout:
    // for the first, the receive (`next_visible_time` minus the timeout, in the service's clock)
    // unless our own clock says earlier; afterwards, when the previous extension was *sent*, so
    // the time its answer takes never pushes the next beat later.
    let received_at = msg
        .next_visible_time
        .checked_sub(Duration::from_secs(u64::from(shared.visibility_seconds)));
    let mut next_beat = shared.time.now() + shared.heartbeat_interval;
    if let Some(received_at) = received_at {
        next_beat = next_beat.min(received_at + shared.heartbeat_interval);
    }
    loop {
        let beat = async {
            if heartbeats_on {
                shared.time.sleep_until(next_beat).await;
            } else {
                std::future::pending::<()>().await;
            }
        };
        tokio::select! {
            biased;
            joined = &mut task => {
                return match joined {
                    Ok(None) => {
                        skip(shared, &handle).await;
                        Ending::Skipped
                    }
                    Ok(Some(Ok(()))) => Ending::Succeeded(handle),
                    Ok(Some(Err(e))) => Ending::Failed(handle, e.to_string()),
                    Err(e) if e.is_panic() => Ending::Failed(handle, "the handler panicked".into()),
                    Err(e) => Ending::Failed(handle, e.to_string()),
                };
            }
            () = shared.abort.cancelled() => {
                task.abort();
                release(shared, &handle).await;
                return Ending::Released;
            }
            () = beat => {
                let sent_at = shared.time.now();
                match shared
                    .queue
                    .change_message_visibility(&handle, shared.visibility_seconds)
                    .await
                {
                    Ok(change) => {
                        handle = change.receipt_handle;
                        shared.stats.heartbeat();
                        tracing::debug!(seconds = shared.visibility_seconds, "visibility extended");
                    }
                    Err(e) => {
                        shared.stats.settle_error();
                        if matches!(
                            e.code(),
                            Some(ErrorCode::MessageNotExist | ErrorCode::ReceiptHandleError)
                        ) {
                            // The message became visible before we could extend it: another
                            // consumer may have it now. Nothing more to extend.
                            heartbeats_on = false;
                        }
                        tracing::warn!(error = %e, "could not extend the visibility of a message still being handled");
                    }
                }
                next_beat = sent_at + shared.heartbeat_interval;
            }
        }
    }
}

/// Makes a failed message visible again after the retry backoff for its dequeue count.
async fn retry_later(shared: &Shared, msg: &ReceivedMessage, handle: &ReceiptHandle, error: &str) {
    let seconds = shared.retry_backoff.visibility_seconds(msg.dequeue_count);
    tracing::warn!(%error, retry_in_seconds = seconds, "handler failed; the message will be retried");
    if let Err(e) = shared
        .queue
        .change_message_visibility(handle, seconds)
        .await
    {
        shared.stats.settle_error();
        tracing::warn!(error = %e, "could not set the retry delay; the message returns when its visibility timeout ends");
    }
}

/// Makes a message visible again without handling it: the one before it in its FIFO group
/// failed, and handling it now would break the group's order.
async fn skip(shared: &Shared, handle: &ReceiptHandle) {
    tracing::debug!("previous message of the group failed; made visible again unhandled");
    if let Err(e) = shared
        .queue
        .change_message_visibility(handle, RELEASE_VISIBILITY_SECONDS)
        .await
    {
        shared.stats.settle_error();
        tracing::warn!(error = %e, "could not release a message whose group predecessor failed; it returns when its visibility timeout ends");
    }
}

/// Makes an unfinished message visible again (shutdown deadline).
async fn release(shared: &Shared, handle: &ReceiptHandle) {
    match shared
        .queue
        .change_message_visibility(handle, RELEASE_VISIBILITY_SECONDS)
        .await
    {
        Ok(_) => {
            shared.stats.released();
            tracing::info!(
                "handler interrupted at the shutdown deadline; message made visible again"
            );
        }
        Err(e) => {
            shared.stats.settle_error();
            tracing::warn!(error = %e, "could not release an interrupted message; it returns when its visibility timeout ends");
        }
    }
}

/// Sends the message (body, priority, user properties, group id) to the dead-letter queue (then
/// deletes it here) or drops it, by policy.
/// On any failure the message stays where it is and comes back later: nothing is lost.
async fn dead_letter(shared: &Shared, msg: &ReceivedMessage, handle: ReceiptHandle) {
    let Some((limit, policy)) = &shared.max_receives else {
        return;
    };
    match policy {
        DeadLetter::Queue(dlq) => {
            let options = SendOptions {
                priority: Some(msg.priority),
                user_properties: msg.user_properties.clone(),
                // A FIFO source's message keeps its group, so a FIFO DLQ accepts it and keeps
                // the group's order; a normal DLQ ignores the group.
                message_group_id: msg.message_group_id.clone(),
                // The trace context travels on (the service's own DLQ stamps would be refused).
                system_properties: msg.system_properties.client_settable(),
                ..SendOptions::default()
            };
            if let Err(e) = dlq.send_message_opts(&msg.body, options).await {
                shared.stats.settle_error();
                tracing::error!(error = %e, dead_letter_queue = %dlq.name(), "could not send to the dead-letter queue; the message stays in its queue");
                return;
            }
            shared.stats.dead_lettered();
            tracing::warn!(limit, dead_letter_queue = %dlq.name(), "message moved to the dead-letter queue");
        }
        DeadLetter::Drop => {}
    }
    match shared.deleter.delete(handle).await {
        Ok(()) => {
            if matches!(policy, DeadLetter::Drop) {
                shared.stats.dropped();
                tracing::warn!(limit, "message dropped after reaching the receive limit");
            }
        }
        Err(e) => {
            shared.stats.settle_error();
            tracing::warn!(error = %e, "could not delete a dead-lettered message; it may be dead-lettered again");
        }
    }
}

/// Whole seconds for a visibility timeout, rounded up and clamped to the service's range.
pub(super) fn visibility_seconds(d: Duration) -> u32 {
    let (low, high) = crate::queue::limits::VISIBILITY_TIMEOUT;
    let secs = d.as_secs() + u64::from(d.subsec_nanos() > 0);
    u32::try_from(secs).unwrap_or(high).clamp(low, high)
}

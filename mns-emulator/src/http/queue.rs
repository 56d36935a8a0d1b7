//! Queue and message operations: HTTP request → engine call → XML response.

use std::sync::Arc;

use axum::http::{HeaderMap, StatusCode};

use super::request::Query;
use super::{Ctx, Reply, Shared, WaitingGuard};
use crate::clock::from_millis;
use crate::engine::{CreateOutcome, Millis, validate_batch_size, validate_wait_seconds};
use crate::error::MnsError;
use crate::shared::{ExclusivePoll, Locked, PollStep, TimerHandOver, Wakes, poll_once};
use crate::xml::{self, SendRequest};

pub(super) fn create_queue(
    shared: &Shared,
    ctx: &Ctx,
    name: &str,
    body: &[u8],
) -> Result<Reply, MnsError> {
    let attrs = xml::parse_queue_attributes(body)?;
    let now = shared.clock.now_millis();
    let outcome = shared.lock().engine.create_queue(name, attrs, now)?;
    let status = match outcome {
        CreateOutcome::Created => StatusCode::CREATED,
        CreateOutcome::Existed => StatusCode::NO_CONTENT,
    };
    // `Location` on 204 too: the Python SDK reads it on every success.
    Ok(Reply {
        status,
        body: None,
        location: Some(ctx.queue_url(name)),
    })
}

pub(super) fn set_queue_attributes(
    shared: &Shared,
    name: &str,
    body: &[u8],
) -> Result<Reply, MnsError> {
    let attrs = xml::parse_queue_attributes(body)?;
    let now = shared.clock.now_millis();
    shared
        .lock()
        .engine
        .set_queue_attributes(name, attrs, now)?;
    Ok(Reply::empty(StatusCode::NO_CONTENT))
}

pub(super) fn get_queue_attributes(shared: &Shared, name: &str) -> Result<Reply, MnsError> {
    let now = shared.clock.now_millis();
    let attrs = shared.lock().engine.get_queue_attributes(name, now)?;
    Ok(Reply::xml(
        StatusCode::OK,
        xml::queue_attributes_document(&attrs),
    ))
}

pub(super) fn delete_queue(shared: &Shared, name: &str) -> Result<Reply, MnsError> {
    let now = shared.clock.now_millis();
    let mut state = shared.lock();
    state.engine.delete_queue(name, now)?;
    state.forget_waiters(name);
    Ok(Reply::empty(StatusCode::NO_CONTENT))
}

pub(super) fn list_queues(
    shared: &Shared,
    ctx: &Ctx,
    headers: &HeaderMap,
) -> Result<Reply, MnsError> {
    let (req, with_meta) = super::request::list_request(headers)?;
    let now = shared.clock.now_millis();
    let page = shared.lock().engine.list_queues(req, now)?;
    Ok(Reply::xml(
        StatusCode::OK,
        xml::queue_list_document(
            &page.queues,
            page.next_marker.as_deref(),
            with_meta,
            |name| ctx.queue_url(name),
        ),
    ))
}

pub(super) fn send(shared: &Shared, queue: &str, body: &[u8]) -> Result<Reply, MnsError> {
    let request = xml::parse_send_request(body)?;
    let now = shared.clock.now_millis();
    let (single, messages) = match request {
        SendRequest::Single(m) => (true, vec![m]),
        SendRequest::Batch(ms) => (false, ms),
    };
    // Declared first, so dropped (wake-ups delivered) after the locks are released.
    let mut wakes = Wakes::default();
    let sent = {
        let state = shared.read();
        if let Some(shared_queue) = state.engine.shared_queue(queue) {
            // This queue's lock only: sends to other queues run meanwhile.
            let mut q = shared_queue.lock();
            let sent = q.send_messages(messages, now)?;
            count_sent(shared, &sent);
            // Only delayed messages get a receipt handle at send time. A delayed one moves the
            // queue's next visibility time, so every parked poll re-plans; otherwise one poll is
            // woken and passes the wake-up on while messages remain.
            let polls = state.polls(queue);
            wakes.add(if sent.iter().any(|m| m.receipt_handle.is_some()) {
                polls.replan_queue(queue)
            } else {
                polls.wake_queue(queue, || q.receivable_now())
            });
            sent
        } else {
            drop(state);
            let mut state = shared.lock();
            let sent = state.engine.send_messages(queue, messages, now)?;
            count_sent(shared, &sent);
            if sent.iter().any(|m| m.receipt_handle.is_some()) {
                state.replan_queue(queue);
            } else {
                state.wake_queue(queue);
            }
            sent
        }
    };
    drop(wakes);
    // The response is written after the lock is released (the wake-ups are delivered then too).
    let body = if single {
        let first = sent.first().ok_or_else(MnsError::internal_error)?;
        xml::sent_message_document(first)
    } else {
        xml::sent_messages_document(&sent)
    };
    Ok(Reply::xml(StatusCode::CREATED, body))
}

/// Counts sent messages.
fn count_sent(shared: &Shared, sent: &[crate::engine::SentMessage]) {
    shared
        .observer
        .metrics
        .messages_sent
        .inc_by(sent.len() as u64);
}

/// `numOfMessages` if present (batch form), validated 1..=16.
fn batch_size(query: &Query) -> Result<Option<usize>, MnsError> {
    query
        .int("numOfMessages")?
        .map(validate_batch_size)
        .transpose()
}

pub(super) fn peek(shared: &Shared, queue: &str, query: &Query) -> Result<Reply, MnsError> {
    let batch = batch_size(query)?;
    let now = shared.clock.now_millis();
    let msgs = {
        let state = shared.read();
        match state.engine.shared_queue(queue) {
            Some(q) => q.lock().peek_messages(batch.unwrap_or(1), now)?,
            None => {
                drop(state);
                shared
                    .lock()
                    .engine
                    .peek_messages(queue, batch.unwrap_or(1), now)?
            }
        }
    };
    match (batch, msgs.first()) {
        (_, None) => Err(MnsError::message_not_exist()),
        (None, Some(m)) => Ok(Reply::xml(StatusCode::OK, xml::peeked_message_document(m))),
        (Some(_), Some(_)) => Ok(Reply::xml(
            StatusCode::OK,
            xml::peeked_messages_document(&msgs),
        )),
    }
}

/// ReceiveMessage / BatchReceiveMessage with long polling.
///
/// Correctness rules:
/// * Messages are taken only under the queue's lock (its own mutex for a shared queue, see
///   `Engine::shared_queue`, else the engine lock held exclusively), in one synchronous step
///   (`poll_once`). Every `.await` happens while holding nothing, so a request future dropped
///   while waiting (client gone, server shutting down) has taken nothing and loses nothing.
/// * The wake-up registration (`Notified::enable`) happens under the same lock as the emptiness
///   check. A sender changes the queue under that lock and its wake-up is delivered when the
///   locks are released (`Wakes`, `StateGuard`), so a send can never fall between "saw nothing"
///   and "started listening".
/// * A send wakes one parked poll (not the herd); a poll that was parked and then takes
///   messages wakes the next one if messages are still receivable.
/// * Timed changes (a delay or visibility timeout ending) are watched by one parked poll per
///   queue, the holder of the queue's timer (`Polls::claim_timer`); the others sleep until
///   their deadlines and are reached through the chain above. A poll that leaves, answered or
///   dropped, hands the timer over (`TimerHandOver`), so a timer never lapses unwatched.
/// * Time-based wake-ups (delay over, visibility expired, poll deadline) come from
///   `Clock::sleep_until`, so a `ManualClock` drives them without real sleeping.
pub(super) async fn receive(
    shared: &Arc<Shared>,
    queue: &str,
    query: &Query,
) -> Result<Reply, MnsError> {
    let batch = batch_size(query)?;
    let max = batch.unwrap_or(1);
    let wait_param = query.int("waitseconds")?;
    let start = shared.clock.now_millis();
    let wait_seconds = match wait_param {
        Some(w) => validate_wait_seconds(w)?,
        None => shared.read().engine.polling_wait_seconds(queue)?,
    };
    let deadline: Millis = start.saturating_add(u64::from(wait_seconds) * 1000);
    let mut waiting: Option<WaitingGuard<'_>> = None;
    // Declared before the loop so that it is dropped after any state guard of the loop body.
    let mut timer = TimerHandOver {
        shared,
        queue,
        poll: 0,
        parked: false,
    };
    loop {
        let now = shared.clock.now_millis();
        let was_waiting = waiting.is_some();
        let step = {
            // Declared first, so dropped (wake-ups delivered) after the locks are released.
            let mut wakes = Wakes::default();
            let state = shared.read();
            if let Some(shared_queue) = state.engine.shared_queue(queue) {
                let mut q = shared_queue.lock();
                let step = poll_once(
                    &mut q,
                    state.polls.shard(queue),
                    &mut wakes.0,
                    queue,
                    &mut timer,
                    was_waiting,
                    max,
                    now,
                    deadline,
                );
                drop(q);
                drop(state);
                step
            } else {
                drop(state);
                let mut state = shared.lock();
                let Locked {
                    engine,
                    polls,
                    pending_wakes,
                    ..
                } = &mut *state;
                let mut q = ExclusivePoll { engine, queue };
                poll_once(
                    &mut q,
                    polls.shard(queue),
                    pending_wakes,
                    queue,
                    &mut timer,
                    was_waiting,
                    max,
                    now,
                    deadline,
                )
            }
        };
        let (mut notified, target) = match step? {
            PollStep::Got(msgs) => {
                shared
                    .observer
                    .metrics
                    .messages_received
                    .inc_by(msgs.len() as u64);
                let body = match batch {
                    None => xml::received_message_document(&msgs[0]),
                    Some(_) => xml::received_messages_document(&msgs),
                };
                return Ok(Reply::xml(StatusCode::OK, body));
            }
            PollStep::Park { notified, until } => (notified, until),
        };
        waiting.get_or_insert_with(|| WaitingGuard::new(&shared.waiting));
        tokio::select! {
            () = notified.as_mut() => {}
            () = shared.clock.sleep_until(from_millis(target)) => {}
            () = shared.shutdown.cancelled() => return Err(MnsError::message_not_exist()),
        }
    }
}

pub(super) fn delete_message(
    shared: &Shared,
    queue: &str,
    query: &Query,
    body: &[u8],
) -> Result<Reply, MnsError> {
    let now = shared.clock.now_millis();
    if let Some(handle) = query.get("ReceiptHandle") {
        if handle.is_empty() {
            return Err(MnsError::missing_receipt_handle());
        }
        let mut wakes = Wakes::default();
        let state = shared.read();
        if let Some(shared_queue) = state.engine.shared_queue(queue) {
            let mut q = shared_queue.lock();
            q.delete_message(handle, now)?;
            shared.observer.metrics.messages_deleted.inc();
            // Deleting the head of a FIFO group releases the group's next message.
            wakes.add(
                state
                    .polls(queue)
                    .wake_if_receivable(queue, || q.receivable_now()),
            );
        } else {
            drop(state);
            let mut state = shared.lock();
            state.engine.delete_message(queue, handle, now)?;
            shared.observer.metrics.messages_deleted.inc();
            state.wake_if_receivable(queue);
        }
        return Ok(Reply::empty(StatusCode::NO_CONTENT));
    }
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(MnsError::missing_receipt_handle());
    }
    let handles = xml::parse_receipt_handles(body)?;
    let mut wakes = Wakes::default();
    let failures = {
        let state = shared.read();
        if let Some(shared_queue) = state.engine.shared_queue(queue) {
            let mut q = shared_queue.lock();
            let failures = q.batch_delete_messages(&handles, now)?;
            count_deleted(shared, &handles, &failures);
            wakes.add(
                state
                    .polls(queue)
                    .wake_if_receivable(queue, || q.receivable_now()),
            );
            failures
        } else {
            drop(state);
            let mut state = shared.lock();
            let failures = state.engine.batch_delete_messages(queue, &handles, now)?;
            count_deleted(shared, &handles, &failures);
            state.wake_if_receivable(queue);
            failures
        }
    };
    drop(wakes);
    if failures.is_empty() {
        Ok(Reply::empty(StatusCode::NO_CONTENT))
    } else {
        // The docs' example answers a partial failure with 404 and an `<Errors>` body listing
        // only the failed handles; mixed causes use the same status [unconfirmed].
        Ok(Reply::xml(
            StatusCode::NOT_FOUND,
            xml::batch_delete_errors_document(&failures),
        ))
    }
}

pub(super) fn change_visibility(
    shared: &Shared,
    queue: &str,
    query: &Query,
) -> Result<Reply, MnsError> {
    let handle = query
        .get("ReceiptHandle")
        .filter(|h| !h.is_empty())
        .ok_or_else(MnsError::missing_receipt_handle)?;
    let timeout = query
        .int("VisibilityTimeout")?
        .ok_or_else(MnsError::missing_visibility_timeout)?;
    let now = shared.clock.now_millis();
    let mut wakes = Wakes::default();
    let changed = {
        let state = shared.read();
        // Waiters must re-plan: the message may now become visible sooner than they planned.
        if let Some(shared_queue) = state.engine.shared_queue(queue) {
            let changed = shared_queue
                .lock()
                .change_message_visibility(handle, timeout, now)?;
            wakes.add(state.polls(queue).replan_queue(queue));
            changed
        } else {
            drop(state);
            let mut state = shared.lock();
            let changed = state
                .engine
                .change_message_visibility(queue, handle, timeout, now)?;
            state.replan_queue(queue);
            changed
        }
    };
    drop(wakes);
    Ok(Reply::xml(
        StatusCode::OK,
        xml::change_visibility_document(&changed),
    ))
}

/// Counts the messages a batch delete removed.
fn count_deleted(
    shared: &Shared,
    handles: &[String],
    failures: &[crate::engine::BatchDeleteFailure],
) {
    shared
        .observer
        .metrics
        .messages_deleted
        .inc_by(handles.len().saturating_sub(failures.len()) as u64);
}

//! Queue and message operations: HTTP request → engine call → XML response.

use std::sync::Arc;

use axum::http::{HeaderMap, StatusCode};

use super::request::Query;
use super::{Ctx, Reply, Shared, WaitingGuard};
use crate::clock::from_millis;
use crate::engine::{CreateOutcome, Millis, validate_batch_size, validate_wait_seconds};
use crate::error::MnsError;
use crate::shared::TimerHandOver;
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
    let sent = {
        let mut state = shared.lock();
        let sent = state.engine.send_messages(queue, messages, now)?;
        shared
            .observer
            .metrics
            .messages_sent
            .inc_by(sent.len() as u64);
        // Only delayed messages get a receipt handle at send time. A delayed one moves the
        // queue's next visibility time, so every parked poll re-plans; otherwise one poll is
        // woken and passes the wake-up on while messages remain.
        if sent.iter().any(|m| m.receipt_handle.is_some()) {
            state.replan_queue(queue);
        } else {
            state.wake_queue(queue);
        }
        sent
    };
    // The response is written after the lock is released (the wake-ups are delivered then too).
    let body = if single {
        let first = sent.first().ok_or_else(MnsError::internal_error)?;
        xml::sent_message_document(first)
    } else {
        xml::sent_messages_document(&sent)
    };
    Ok(Reply::xml(StatusCode::CREATED, body))
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
    let msgs = shared
        .lock()
        .engine
        .peek_messages(queue, batch.unwrap_or(1), now)?;
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
/// * Messages are taken only inside the engine lock, in the same synchronous step that builds the
///   reply. Every `.await` happens while holding nothing, so a request future dropped while
///   waiting (client gone, server shutting down) has taken nothing and loses nothing.
/// * The wake-up registration (`Notified::enable`) happens under the same lock as the emptiness
///   check. A sender mutates the engine under that lock and its wake-up is delivered when the
///   lock is released (`StateGuard`), so a send can never fall between "saw nothing" and
///   "started listening".
/// * A send wakes one parked poll (not the herd); a poll that was parked and then takes
///   messages wakes the next one if messages are still receivable (`Locked::pass_wake_on`).
/// * Timed changes (a delay or visibility timeout ending) are watched by one parked poll per
///   queue, the holder of the queue's timer (`Locked::claim_timer`); the others sleep until
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
        None => shared.lock().engine.polling_wait_seconds(queue)?,
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
        let (mut notified, target) = {
            let mut state = shared.lock();
            if timer.parked {
                state.release_timer(queue, timer.poll);
            }
            let msgs = state.engine.receive_messages(queue, max, now)?;
            if !msgs.is_empty() {
                shared
                    .observer
                    .metrics
                    .messages_received
                    .inc_by(msgs.len() as u64);
                if waiting.is_some() {
                    state.pass_wake_on(queue);
                }
                drop(state);
                let body = match batch {
                    None => xml::received_message_document(&msgs[0]),
                    Some(_) => xml::received_messages_document(&msgs),
                };
                return Ok(Reply::xml(StatusCode::OK, body));
            }
            if now >= deadline {
                return Err(MnsError::message_not_exist());
            }
            if !timer.parked {
                timer.poll = state.next_poll_id();
                timer.parked = true;
            }
            // Sleep until the deadline, or until the next message becomes visible if this poll
            // holds the queue's timer (see the rules above).
            let timed = state
                .engine
                .next_wakeup(queue, now)
                .filter(|&at| at < deadline && state.claim_timer(queue, timer.poll, at));
            // Start listening before the lock is released (see the rules above).
            let mut notified = Box::pin(state.waiter(queue).notified_owned());
            notified.as_mut().enable();
            // Never target the past (that would spin); a wake-up in the past means "re-check
            // now".
            (notified, timed.unwrap_or(deadline).max(now + 1))
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
        let mut state = shared.lock();
        state.engine.delete_message(queue, handle, now)?;
        shared.observer.metrics.messages_deleted.inc();
        // Deleting the head of a FIFO group releases the group's next message.
        state.wake_if_receivable(queue);
        return Ok(Reply::empty(StatusCode::NO_CONTENT));
    }
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(MnsError::missing_receipt_handle());
    }
    let handles = xml::parse_receipt_handles(body)?;
    let failures = {
        let mut state = shared.lock();
        let failures = state.engine.batch_delete_messages(queue, &handles, now)?;
        shared
            .observer
            .metrics
            .messages_deleted
            .inc_by(handles.len().saturating_sub(failures.len()) as u64);
        state.wake_if_receivable(queue);
        failures
    };
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
    let changed = {
        let mut state = shared.lock();
        let changed = state
            .engine
            .change_message_visibility(queue, handle, timeout, now)?;
        // Waiters must re-plan: the message may now become visible sooner than they planned.
        state.replan_queue(queue);
        changed
    };
    Ok(Reply::xml(
        StatusCode::OK,
        xml::change_visibility_document(&changed),
    ))
}

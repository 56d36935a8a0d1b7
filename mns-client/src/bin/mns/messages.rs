//! Message commands: `send`, `receive`, `peek`, `delete`, `purge`, `drain`.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use futures_util::StreamExt;
use mns_client::queue::limits;
use mns_client::{
    BatchSendEntry, BodyCodec, ErrorCode, PeekedMessage, Priority, PropertyType, Queue,
    ReceiptHandle, ReceivedMessage, SendOptions, UserProperty,
};
use serde_json::{Value, json};
use tokio::io::AsyncReadExt;

use crate::args::{DeleteArgs, DrainArgs, PeekArgs, PurgeArgs, ReceiveArgs, SendArgs};
use crate::config::Context;
use crate::output::{CliError, Failure, Output, body_text, time};

/// A flag that turns true on Ctrl-C (SIGINT), so long commands stop between batches.
pub(crate) fn interrupted() -> Arc<AtomicBool> {
    let flag = Arc::new(AtomicBool::new(false));
    let set = Arc::clone(&flag);
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            set.store(true, Ordering::SeqCst);
        }
    });
    flag
}

/// The body from the argument, else the file (`-`: standard input), else standard input.
pub(crate) async fn read_body(
    body: Option<String>,
    file: Option<&Path>,
) -> Result<Vec<u8>, CliError> {
    if let Some(body) = body {
        return Ok(body.into_bytes());
    }
    match file {
        Some(path) if path != Path::new("-") => tokio::fs::read(path)
            .await
            .map_err(|e| CliError::invalid(format!("cannot read {}: {e}", path.display()))),
        _ => {
            let mut buf = Vec::new();
            tokio::io::stdin()
                .read_to_end(&mut buf)
                .await
                .map_err(|e| CliError::other(format!("cannot read standard input: {e}")))?;
            Ok(buf)
        }
    }
}

fn wait(seconds: u64) -> Result<Duration, CliError> {
    if seconds > u64::from(limits::WAIT_SECONDS_MAX) {
        return Err(CliError::invalid(format!(
            "--wait must be between 0 and {} seconds, got {seconds}",
            limits::WAIT_SECONDS_MAX
        )));
    }
    Ok(Duration::from_secs(seconds))
}

/// Parses `NAME=VALUE` or `NAME:TYPE=VALUE`.
fn property(spec: &str) -> Result<UserProperty, CliError> {
    let (key, value) = spec.split_once('=').ok_or_else(|| {
        CliError::invalid(format!(
            "property {spec:?} is not NAME=VALUE or NAME:TYPE=VALUE"
        ))
    })?;
    let (name, kind) = match key.split_once(':') {
        None => (key, PropertyType::String),
        Some((name, kind)) => {
            let kind = match kind.to_ascii_lowercase().as_str() {
                "string" => PropertyType::String,
                "number" => PropertyType::Number,
                "boolean" => PropertyType::Boolean,
                "binary" => PropertyType::Binary,
                other => {
                    return Err(CliError::invalid(format!(
                        "property type {other:?} is not string, number, boolean or binary"
                    )));
                }
            };
            (name, kind)
        }
    };
    Ok(UserProperty {
        name: name.to_owned(),
        value: value.to_owned(),
        kind,
    })
}

fn message_json(m: &ReceivedMessage) -> Value {
    json!({
        "message_id": m.message_id,
        "receipt_handle": m.receipt_handle.as_str(),
        "body": body_text(&m.body),
        "body_md5": m.body_md5,
        "enqueue_time": time(m.enqueue_time),
        "first_dequeue_time": time(m.first_dequeue_time),
        "next_visible_time": time(m.next_visible_time),
        "dequeue_count": m.dequeue_count,
        "priority": m.priority.get(),
        "properties": properties_json(&m.user_properties),
        "message_group_id": m.message_group_id,
    })
}

fn peeked_json(m: &PeekedMessage) -> Value {
    json!({
        "message_id": m.message_id,
        "body": body_text(&m.body),
        "body_md5": m.body_md5,
        "enqueue_time": time(m.enqueue_time),
        "dequeue_count": m.dequeue_count,
        "priority": m.priority.get(),
        "properties": properties_json(&m.user_properties),
        "message_group_id": m.message_group_id,
    })
}

fn properties_json(props: &[UserProperty]) -> Value {
    props
        .iter()
        .map(|p| json!({"name": p.name, "value": p.value, "type": p.kind.as_str()}))
        .collect()
}

/// The transmitted size of `body` under `codec`.
fn wire_len(codec: BodyCodec, body: &[u8]) -> usize {
    match codec {
        BodyCodec::Raw => body.len(),
        BodyCodec::Base64 => body.len().div_ceil(3) * 4,
    }
}

/// Splits entries into batches of at most 16 whose transmitted bodies total at most 64 KB.
pub(crate) fn batches(codec: BodyCodec, entries: Vec<BatchSendEntry>) -> Vec<Vec<BatchSendEntry>> {
    let mut all = Vec::new();
    let mut current: Vec<BatchSendEntry> = Vec::new();
    let mut size = 0;
    for entry in entries {
        let len = wire_len(codec, &entry.body);
        if !current.is_empty()
            && (current.len() == limits::BATCH_MAX_ENTRIES
                || size + len > limits::BATCH_BODY_MAX_BYTES)
        {
            all.push(std::mem::take(&mut current));
            size = 0;
        }
        size += len;
        current.push(entry);
    }
    if !current.is_empty() {
        all.push(current);
    }
    all
}

/// `mns send`.
pub(crate) async fn send(args: SendArgs, ctx: &Context, out: &Output) -> Result<(), CliError> {
    let queue = ctx.queue(&args.queue)?;
    let options = SendOptions {
        delay_seconds: args.delay,
        priority: args.priority.map(Priority::new).transpose()?,
        user_properties: args
            .properties
            .iter()
            .map(|p| property(p))
            .collect::<Result<_, _>>()?,
        message_group_id: args.group_id,
        ..SendOptions::default()
    };
    let input = read_body(args.body, args.file.as_deref()).await?;
    if !args.lines {
        let receipt = queue.send_message_opts(input, options.clone()).await?;
        if out.json() {
            out.json_doc(&json!({"message_id": receipt.message_id, "body_md5": receipt.body_md5}));
        } else {
            println!("{}", receipt.message_id);
        }
        return Ok(());
    }
    let entries: Vec<BatchSendEntry> = input
        .split(|b| *b == b'\n')
        .map(|line| line.strip_suffix(b"\r").unwrap_or(line))
        .filter(|line| !line.is_empty())
        .map(|line| BatchSendEntry::with_options(line.to_vec(), options.clone()))
        .collect();
    let total = entries.len() as u64;
    let bar = out.progress(Some(total), "send");
    let mut sent = 0u64;
    let mut failures: Vec<(Failure, String)> = Vec::new();
    let mut line = 0usize;
    let results = futures_util::stream::iter(batches(ctx.codec, entries))
        .map(|batch| {
            let queue = queue.clone();
            async move {
                let n = batch.len();
                (n, queue.batch_send_message(batch).await)
            }
        })
        .buffered(4);
    futures_util::pin_mut!(results);
    while let Some((n, result)) = results.next().await {
        let per_entry = result?;
        for (i, r) in per_entry.into_iter().enumerate() {
            let index = line + i + 1;
            match r {
                Ok(receipt) => {
                    sent += 1;
                    if out.json() {
                        out.json_line(&json!({"line": index, "message_id": receipt.message_id}));
                    }
                }
                Err(e) => {
                    let text = format!("line {index}: {}: {}", e.code, e.message);
                    if out.json() {
                        out.json_line(&json!({"line": index, "error": {"code": e.code.as_str(), "message": e.message}}));
                    }
                    failures.push((Failure::Other, text));
                }
            }
        }
        line += n;
        bar.inc(n as u64);
    }
    bar.finish_and_clear();
    if !out.json() {
        println!("sent {sent} of {total} messages");
    }
    for (_, text) in &failures {
        eprintln!("failed: {text}");
    }
    if !failures.is_empty() {
        return Err(CliError::other(format!(
            "{} of {total} messages were not sent",
            failures.len()
        )));
    }
    Ok(())
}

/// Deletes `handles` in batches of 16: how many were deleted, and the first entry that failed.
async fn delete_all(
    queue: &Queue,
    handles: Vec<ReceiptHandle>,
) -> Result<(u64, Option<CliError>), CliError> {
    let mut deleted = 0;
    let mut first_error: Option<CliError> = None;
    for chunk in handles.chunks(limits::BATCH_MAX_ENTRIES) {
        for r in queue.batch_delete_message(chunk).await? {
            match r {
                Ok(()) => deleted += 1,
                Err(e) => {
                    eprintln!("not deleted: {}: {}", e.code, e.message);
                    if first_error.is_none() {
                        let kind = match e.code {
                            ErrorCode::MessageNotExist => Failure::NotFound,
                            ErrorCode::ReceiptHandleError => Failure::InvalidInput,
                            _ => Failure::Other,
                        };
                        first_error = Some(CliError {
                            kind,
                            message: e.message.clone(),
                            code: Some(e.code.as_str().to_owned()),
                            request_id: None,
                        });
                    }
                }
            }
        }
    }
    Ok((deleted, first_error))
}

/// `mns receive`.
pub(crate) async fn receive(
    args: ReceiveArgs,
    ctx: &Context,
    out: &Output,
) -> Result<(), CliError> {
    let queue = ctx.queue(&args.queue)?;
    let wait = args.wait.map(wait).transpose()?;
    if args.count == 0 {
        return Err(CliError::invalid("--count must be at least 1"));
    }
    let mut got: Vec<ReceivedMessage> = Vec::new();
    while got.len() < args.count {
        let n = (args.count - got.len()).min(limits::BATCH_MAX_ENTRIES);
        let batch = queue.batch_receive_message(n, wait).await?;
        if batch.is_empty() {
            break;
        }
        for m in &batch {
            if out.json() {
                out.json_line(&message_json(m));
            }
        }
        got.extend(batch);
    }
    if !out.json() {
        let rows: Vec<_> = got
            .iter()
            .map(|m| {
                vec![
                    m.message_id.clone(),
                    m.dequeue_count.to_string(),
                    m.priority.get().to_string(),
                    m.receipt_handle.to_string(),
                    body_text(&m.body),
                ]
            })
            .collect();
        out.table(
            &[
                "MESSAGE_ID",
                "DEQUEUED",
                "PRIORITY",
                "RECEIPT_HANDLE",
                "BODY",
            ],
            &rows,
        );
    }
    if args.delete && !got.is_empty() {
        let handles = got.into_iter().map(|m| m.receipt_handle).collect();
        let (n, failed) = delete_all(&queue, handles).await?;
        out.note(&format!("deleted {n} messages"));
        if let Some(e) = failed {
            return Err(e);
        }
    }
    Ok(())
}

/// `mns peek`.
pub(crate) async fn peek(args: PeekArgs, ctx: &Context, out: &Output) -> Result<(), CliError> {
    let queue = ctx.queue(&args.queue)?;
    let msgs = queue.batch_peek_message(args.count).await?;
    if out.json() {
        for m in &msgs {
            out.json_line(&peeked_json(m));
        }
    } else {
        let rows: Vec<_> = msgs
            .iter()
            .map(|m| {
                vec![
                    m.message_id.clone(),
                    m.dequeue_count.to_string(),
                    m.priority.get().to_string(),
                    time(m.enqueue_time),
                    body_text(&m.body),
                ]
            })
            .collect();
        out.table(
            &["MESSAGE_ID", "DEQUEUED", "PRIORITY", "ENQUEUED", "BODY"],
            &rows,
        );
    }
    Ok(())
}

/// `mns delete`.
pub(crate) async fn delete(args: DeleteArgs, ctx: &Context, out: &Output) -> Result<(), CliError> {
    let queue = ctx.queue(&args.queue)?;
    let handles = args
        .handles
        .iter()
        .map(|h| ReceiptHandle::new(h.as_str()))
        .collect::<Result<Vec<_>, _>>()?;
    let (n, failed) = delete_all(&queue, handles).await?;
    if out.json() {
        out.json_doc(&json!({"queue": args.queue, "deleted": n}));
    } else {
        println!("deleted {n} messages");
    }
    failed.map_or(Ok(()), Err)
}

/// Receives batches until an empty receive, `max` messages or Ctrl-C; hands each batch to
/// `handle` before deleting it. Returns how many were deleted.
async fn consume(
    queue: &Queue,
    wait: Duration,
    max: Option<u64>,
    out: &Output,
    what: &str,
    mut handle: impl FnMut(&ReceivedMessage),
) -> Result<u64, CliError> {
    let stop = interrupted();
    let bar = out.progress(None, what);
    let mut done = 0u64;
    while !stop.load(Ordering::SeqCst) {
        let want = max.map_or(limits::BATCH_MAX_ENTRIES as u64, |m| {
            (m - done).min(limits::BATCH_MAX_ENTRIES as u64)
        });
        if want == 0 {
            break;
        }
        let batch = queue
            .batch_receive_message(want as usize, Some(wait))
            .await?;
        if batch.is_empty() {
            break;
        }
        batch.iter().for_each(&mut handle);
        let handles = batch.into_iter().map(|m| m.receipt_handle).collect();
        // A handle that expired before its delete means the message is back in the queue
        // (it will be received again): not an error for a drain.
        let (n, failed) = delete_all(queue, handles).await?;
        done += n;
        if let Some(e) = failed.filter(|e| e.kind != Failure::NotFound) {
            return Err(e);
        }
        bar.set_position(done);
    }
    bar.finish_and_clear();
    Ok(done)
}

/// `mns purge`: delete every visible message.
pub(crate) async fn purge(args: PurgeArgs, ctx: &Context, out: &Output) -> Result<(), CliError> {
    if !args.yes {
        return Err(CliError::invalid(format!(
            "purge deletes every visible message of {} for good; pass --yes to confirm",
            args.queue
        )));
    }
    let queue = ctx.queue(&args.queue)?;
    let wait = wait(args.wait)?;
    let n = consume(&queue, wait, None, out, "purge", |_| {}).await?;
    if out.json() {
        out.json_doc(&json!({"queue": args.queue, "deleted": n}));
    } else {
        println!("purged {n} messages from {}", args.queue);
    }
    Ok(())
}

/// `mns drain`: print then delete every visible message.
pub(crate) async fn drain(args: DrainArgs, ctx: &Context, out: &Output) -> Result<(), CliError> {
    let queue = ctx.queue(&args.queue)?;
    let wait = wait(args.wait)?;
    let json = out.json();
    let n = consume(&queue, wait, args.max, out, "drain", |m| {
        if json {
            out.json_line(&message_json(m));
        } else {
            println!("{}\t{}", m.message_id, body_text(&m.body));
        }
    })
    .await?;
    out.note(&format!("drained {n} messages from {}", args.queue));
    Ok(())
}

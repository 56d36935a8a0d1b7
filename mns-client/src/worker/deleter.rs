//! Batched deletes: handlers that finish at about the same time share one BatchDeleteMessage.
//!
//! One task owns the queue's deletes. It takes the first waiting handle, then every other handle
//! already waiting (up to the batch limit of 16), sends them in one request and answers each
//! caller with its own entry's result. While a request is in flight, new handles queue up, so
//! under load batches fill by themselves and when idle a single delete goes out at once.

use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::queue::{Queue, ReceiptHandle, limits};

type Reply = oneshot::Sender<Result<(), String>>;

/// The sending side; cheap to clone. The task ends when every clone is dropped.
#[derive(Debug, Clone)]
pub(super) struct Deleter {
    tx: mpsc::UnboundedSender<(ReceiptHandle, Reply)>,
}

impl Deleter {
    /// Starts the delete task for `queue`.
    pub(super) fn spawn(queue: Queue) -> (Deleter, JoinHandle<()>) {
        let (tx, rx) = mpsc::unbounded_channel();
        let task = tokio::spawn(run(queue, rx));
        (Deleter { tx }, task)
    }

    /// Deletes the message with `handle`; `Err` describes why it was not deleted.
    pub(super) async fn delete(&self, handle: ReceiptHandle) -> Result<(), String> {
        let (reply, answer) = oneshot::channel();
        self.tx
            .send((handle, reply))
            .map_err(|_| "the delete task has stopped".to_owned())?;
        answer
            .await
            .unwrap_or_else(|_| Err("the delete task has stopped".to_owned()))
    }
}

async fn run(queue: Queue, mut rx: mpsc::UnboundedReceiver<(ReceiptHandle, Reply)>) {
    while let Some(first) = rx.recv().await {
        let mut batch = vec![first];
        while batch.len() < limits::BATCH_MAX_ENTRIES {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let (handles, replies): (Vec<ReceiptHandle>, Vec<Reply>) = batch.into_iter().unzip();
        tracing::trace!(count = handles.len(), "batch delete");
        match queue.batch_delete_message(&handles).await {
            Ok(results) => {
                for (result, reply) in results.into_iter().zip(replies) {
                    let _ = reply.send(result.map_err(|e| format!("{}: {}", e.code, e.message)));
                }
            }
            Err(e) => {
                let text = e.to_string();
                for reply in replies {
                    let _ = reply.send(Err(text.clone()));
                }
            }
        }
    }
}

//! The writer: stores what the exchange task changed, many requests per transaction, and only
//! then answers the callers. Jobs are stored in the order they arrive.

use aetherion_store::{CommitBatch, Store};
use tokio::sync::{broadcast, mpsc};

/// An answer to send once the job it came with is durable.
pub type Reply = Box<dyn FnOnce() + Send>;

pub struct WriterJob {
    pub commit: CommitBatch,
    pub replies: Vec<Reply>,
    /// Users whose account changed, for portfolio streams.
    pub accounts: Vec<String>,
}

/// Jobs merged into one transaction at most.
const MAX_MERGED: usize = 64;
/// Scheduler turns the writer waits for more jobs once the queue is empty.
const GATHER_YIELDS: u32 = 4;

pub async fn run(store: Store, mut jobs: mpsc::Receiver<WriterJob>, changed: broadcast::Sender<String>) {
    while let Some(first) = jobs.recv().await {
        let mut batch = vec![first];
        // Group commit: take everything queued; while more keeps arriving, let the requests
        // already on their way join (a commit costs about the same for one order or dozens).
        let mut quiet = 0;
        while batch.len() < MAX_MERGED && quiet < GATHER_YIELDS {
            match jobs.try_recv() {
                Ok(job) => {
                    batch.push(job);
                    quiet = 0;
                }
                Err(_) => {
                    quiet += 1;
                    tokio::task::yield_now().await;
                }
            }
        }
        let mut commit = CommitBatch::default();
        let mut replies = Vec::new();
        let mut accounts = Vec::new();
        for job in batch {
            commit.append(job.commit);
            replies.extend(job.replies);
            accounts.extend(job.accounts);
        }
        let started = std::time::Instant::now();
        let orders = commit.orders.len();
        if !commit.is_empty()
            && let Err(e) = store.commit(&commit).await
        {
            // The callers get no answer (their requests fail); the state stays in memory only.
            tracing::error!(error = %e, "storing a batch failed; its requests are not acknowledged");
            continue;
        }
        tracing::debug!(orders, replies = replies.len(), micros = started.elapsed().as_micros() as u64, "stored a batch");
        for reply in replies {
            reply();
        }
        accounts.sort();
        accounts.dedup();
        for user in accounts {
            let _ = changed.send(user);
        }
    }
}

//! The HTTP scenarios over `mns-client`: `cycle`, `wakeup`, `startup`.

use super::*;

/// Each client loops send → receive → delete on its own queue until the deadline; the rate is the
/// number of messages that completed the full cycle during the measured window.
pub(crate) async fn cycle(args: &CycleArgs) -> Res<()> {
    let target = Target::connect(&args.target).await?;
    let batch = usize::from(args.batch);
    let mut queues = Vec::with_capacity(args.clients);
    for i in 0..args.clients {
        queues.push(target.queue(&format!("cycle-{i}")).await?);
    }
    let body: Vec<u8> = std::iter::repeat_n(b'm', args.body_bytes).collect();
    let completed = Arc::new(AtomicU64::new(0));
    let requests = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));

    let mut tasks = Vec::with_capacity(args.clients);
    for q in &queues {
        let (q, body) = (q.clone(), body.clone());
        let (completed, requests, stop) = (completed.clone(), requests.clone(), stop.clone());
        tasks.push(tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                let done = if batch == 1 {
                    single_cycle(&q, &body).await?
                } else {
                    batch_cycle(&q, &body, batch).await?
                };
                completed.fetch_add(done, Ordering::Relaxed);
                requests.fetch_add(3, Ordering::Relaxed);
            }
            Ok::<(), BoxError>(())
        }));
    }

    tokio::time::sleep(Duration::from_secs(args.warmup)).await;
    let (c0, r0, f0, t0) = (
        completed.load(Ordering::Relaxed),
        requests.load(Ordering::Relaxed),
        target.commits(),
        Instant::now(),
    );
    tokio::time::sleep(Duration::from_secs(args.seconds)).await;
    let (c1, r1, f1, elapsed) = (
        completed.load(Ordering::Relaxed),
        requests.load(Ordering::Relaxed),
        target.commits(),
        t0.elapsed(),
    );
    stop.store(true, Ordering::Relaxed);
    for t in tasks {
        t.await??;
    }

    let secs = elapsed.as_secs_f64();
    let rate = (c1 - c0) as f64 / secs;
    println!(
        "scenario: cycle ({}), {} clients, {} message(s) per call, {}-byte bodies, {} ({:.1} s measured after {} s warm-up)",
        if batch == 1 {
            "SendMessage + ReceiveMessage + DeleteMessage"
        } else {
            "BatchSendMessage + BatchReceiveMessage + BatchDeleteMessage"
        },
        args.clients,
        batch,
        args.body_bytes,
        target.description,
        secs,
        args.warmup
    );
    println!(
        "messages/s (full cycles): {rate:.0}   requests/s: {:.0}   messages completed: {}",
        (r1 - r0) as f64 / secs,
        c1 - c0
    );
    if let (Some(f0), Some(f1)) = (f0, f1) {
        let fsyncs = f1 - f0;
        println!(
            "data directory commits: {fsyncs} (one fsync each with full sync)   per 1,000 messages: {:.1}",
            fsyncs as f64 * 1000.0 / (c1 - c0).max(1) as f64
        );
    }
    target.close(&queues).await;
    Ok(())
}

async fn single_cycle(q: &Queue, body: &[u8]) -> Res<u64> {
    q.send_message(body).await?;
    let Some(m) = q.receive_message(Some(Duration::ZERO)).await? else {
        return Err("a message just sent to this client's own queue was not received".into());
    };
    q.delete_message(&m.receipt_handle).await?;
    Ok(1)
}

async fn batch_cycle(q: &Queue, body: &[u8], batch: usize) -> Res<u64> {
    let entries = (0..batch).map(|_| BatchSendEntry::new(body.to_vec()));
    for r in q.batch_send_message(entries).await? {
        r?;
    }
    let got = q.batch_receive_message(batch, Some(Duration::ZERO)).await?;
    if got.is_empty() {
        return Err("messages just sent to this client's own queue were not received".into());
    }
    let handles: Vec<ReceiptHandle> = got.into_iter().map(|m| m.receipt_handle).collect();
    let mut deleted = 0;
    for r in q.batch_delete_message(&handles).await? {
        r?;
        deleted += 1;
    }
    // Messages not returned by this receive stay in the queue and are picked up by the next one.
    Ok(deleted)
}

// ------------------------------------------------------------------------------------ wakeup

/// Parks a receive in a long poll, sends one message and measures how long after the send
/// completed the receive returned (and, for reference, after the send started).
pub(crate) async fn wakeup(args: &WakeupArgs) -> Res<()> {
    let target = Target::connect(&args.target).await?;
    let queue = target.queue("wakeup").await?;
    let mut after_send = Vec::with_capacity(args.iterations);
    let mut from_send_start = Vec::with_capacity(args.iterations);
    let mut early = 0usize;
    for i in 0..args.iterations {
        let receiver = queue.clone();
        let waiter = tokio::spawn(async move {
            let m = receiver.receive_message(Some(Duration::from_secs(5))).await;
            (Instant::now(), m)
        });
        // Make sure the receive is parked before sending.
        match &target.emulator {
            Some(emu) => {
                tokio::time::timeout(Duration::from_secs(5), emu.wait_for_waiting_receives(1))
                    .await
                    .map_err(|_| "the receive did not park in a long poll within 5 s")?;
            }
            None => tokio::time::sleep(Duration::from_millis(50)).await,
        }
        let started = Instant::now();
        queue.send_message(format!("wake-up {i}")).await?;
        let sent = Instant::now();
        let (returned, message) = waiter.await?;
        let Some(message) = message? else {
            return Err(format!("iteration {i}: the long poll ended without the message").into());
        };
        if returned < sent {
            early += 1;
        }
        after_send.push(returned.saturating_duration_since(sent));
        from_send_start.push(returned.saturating_duration_since(started));
        queue.delete_message(&message.receipt_handle).await?;
    }
    after_send.sort();
    from_send_start.sort();
    println!(
        "scenario: long-poll wake-up, {} iterations, {} (real clock)",
        args.iterations, target.description
    );
    println!(
        "send completed -> receive returned: p50 {:?}  p99 {:?}  max {:?}  ({} of {} returned before the send call did, counted as 0)",
        percentile(&after_send, 50.0),
        percentile(&after_send, 99.0),
        percentile(&after_send, 100.0),
        early,
        args.iterations
    );
    println!(
        "send started -> receive returned:   p50 {:?}  p99 {:?}  max {:?}",
        percentile(&from_send_start, 50.0),
        percentile(&from_send_start, 99.0),
        percentile(&from_send_start, 100.0)
    );
    target.close(&[queue]).await;
    Ok(())
}

// ------------------------------------------------------------------------------------ startup

/// Starts an in-process emulator `iterations` times; each time measures from the `start()` call
/// to the first HTTP response on a fresh connection (an unsigned `GET /queues`, answered with an
/// `<Error>`: any answer counts).
pub(crate) async fn startup(args: &StartupArgs) -> Res<()> {
    let mut samples = Vec::with_capacity(args.iterations);
    for _ in 0..args.iterations {
        let t0 = Instant::now();
        let emu = Emulator::builder().start().await?;
        first_answer(emu.local_addr()).await?;
        samples.push(t0.elapsed());
        emu.shutdown().await;
    }
    samples.sort();
    println!(
        "scenario: in-process start, {} starts (Emulator::builder().start() -> first HTTP response)",
        args.iterations
    );
    println!(
        "p50 {:?}  p90 {:?}  min {:?}  max {:?}",
        percentile(&samples, 50.0),
        percentile(&samples, 90.0),
        percentile(&samples, 0.0),
        percentile(&samples, 100.0)
    );
    Ok(())
}

/// Sends one request and waits for the end of the response headers.
async fn first_answer(addr: std::net::SocketAddr) -> Res<()> {
    let mut stream = TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    stream
        .write_all(b"GET /queues HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .await?;
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    let read = async {
        loop {
            let n = stream.read(&mut chunk).await?;
            if n == 0 {
                return Err::<(), BoxError>("connection closed before a response".into());
            }
            buf.extend_from_slice(&chunk[..n]);
            if buf.windows(4).any(|w| w == b"\r\n\r\n") {
                return Ok(());
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(5), read)
        .await
        .map_err(|_| "no response within 5 s")??;
    if !buf.starts_with(b"HTTP/1.1 ") {
        return Err("not an HTTP/1.1 response".into());
    }
    Ok(())
}

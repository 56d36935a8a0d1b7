//! The `baseline` scenario and the canned do-nothing server it compares the emulator with.

use super::*;

/// SendMessage from `clients` tasks for `seconds`, first against a canned server (reads each
/// request, answers a fixed `201` SendMessage response, keeps the connection) and then against an
/// in-process emulator, with the same client, body and signing.
pub(crate) async fn baseline(args: &BaselineArgs) -> Res<()> {
    let body: Vec<u8> = std::iter::repeat_n(b'm', args.body_bytes).collect();
    let canned = CannedServer::start(&body).await?;
    let canned_client = Client::builder(Endpoint::from_url(&format!("http://{}", canned.addr))?)
        .credentials(Credentials::new(
            mns_emulator::DEFAULT_ACCESS_KEY_ID,
            mns_emulator::DEFAULT_ACCESS_KEY_SECRET,
        ))
        .retry(RetryConfig::disabled())
        .build()?;
    let canned_rate = send_rate(&canned_client.queue("canned")?, &body, args).await?;
    canned.task.abort();

    let target = Target::connect(&TargetArgs {
        endpoint: None,
        access_key_id: mns_emulator::DEFAULT_ACCESS_KEY_ID.to_owned(),
        access_key_secret: mns_emulator::DEFAULT_ACCESS_KEY_SECRET.to_owned(),
        data_dir: None,
        data_dir_sync: mns_emulator::persist::Durability::default(),
    })
    .await?;
    let queue = target.queue("baseline").await?;
    let emulator_rate = send_rate(&queue, &body, args).await?;
    println!(
        "scenario: baseline (SendMessage), {} clients, {}-byte bodies, {} s measured after {} s warm-up per server",
        args.clients, args.body_bytes, args.seconds, args.warmup
    );
    println!("canned server (no work):  {canned_rate:.0} requests/s");
    println!("in-process emulator:      {emulator_rate:.0} requests/s");
    println!(
        "ratio emulator / canned:  {:.2}",
        emulator_rate / canned_rate
    );
    target.close(&[queue]).await;
    Ok(())
}

/// SendMessage calls per second from `args.clients` tasks on one queue handle.
async fn send_rate(queue: &Queue, body: &[u8], args: &BaselineArgs) -> Res<f64> {
    let sent = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let mut tasks = Vec::with_capacity(args.clients);
    for _ in 0..args.clients {
        let (q, body, sent, stop) = (queue.clone(), body.to_vec(), sent.clone(), stop.clone());
        tasks.push(tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                q.send_message(&body).await?;
                sent.fetch_add(1, Ordering::Relaxed);
            }
            Ok::<(), BoxError>(())
        }));
    }
    tokio::time::sleep(Duration::from_secs(args.warmup)).await;
    let (s0, t0) = (sent.load(Ordering::Relaxed), Instant::now());
    tokio::time::sleep(Duration::from_secs(args.seconds)).await;
    let (s1, elapsed) = (sent.load(Ordering::Relaxed), t0.elapsed());
    stop.store(true, Ordering::Relaxed);
    for t in tasks {
        t.await??;
    }
    Ok((s1 - s0) as f64 / elapsed.as_secs_f64())
}

/// An HTTP/1.1 server that answers every request with the same SendMessage response.
pub(crate) struct CannedServer {
    pub(crate) addr: std::net::SocketAddr,
    pub(crate) task: tokio::task::JoinHandle<()>,
}

impl CannedServer {
    async fn start(body: &[u8]) -> Res<Self> {
        Self::start_on(([127, 0, 0, 1], 0).into(), body).await
    }

    pub(crate) async fn start_on(bind: std::net::SocketAddr, body: &[u8]) -> Res<Self> {
        let md5 = mns_client::signing::md5_hex_upper(body);
        let xml = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Message xmlns=\"http://mns.aliyuncs.com/doc/v1/\">\
             <MessageId>0909FF0D9C3A630C372B8A14BD2011B6</MessageId><MessageBodyMD5>{md5}</MessageBodyMD5></Message>"
        );
        let response: Arc<[u8]> = format!(
            "HTTP/1.1 201 Created\r\nContent-Type: text/xml;charset=utf-8\r\n\
             x-mns-request-id: 5F1D2C3B4A59687766554433\r\nContent-Length: {}\r\n\r\n{xml}",
            xml.len()
        )
        .into_bytes()
        .into();
        let listener = tokio::net::TcpListener::bind(bind).await?;
        let addr = listener.local_addr()?;
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(canned_connection(stream, response.clone()));
            }
        });
        Ok(CannedServer { addr, task })
    }
}

/// Reads requests (headers, then `Content-Length` bytes) and answers each with `response`.
async fn canned_connection(mut stream: TcpStream, response: Arc<[u8]>) {
    let _ = stream.set_nodelay(true);
    let mut buf: Vec<u8> = Vec::with_capacity(4096);
    let mut chunk = vec![0u8; 16 * 1024];
    loop {
        // One complete request in `buf`?
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
            let len: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0);
            if buf.len() >= end + 4 + len {
                buf.drain(..end + 4 + len);
                if stream.write_all(&response).await.is_err() {
                    return;
                }
                continue;
            }
        }
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
}

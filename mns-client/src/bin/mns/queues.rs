//! `mns queue ...`, `mns stats` and `mns watch`.

use std::io::IsTerminal;
use std::time::Duration;

use futures_util::TryStreamExt;
use mns_client::{CreateOutcome, ListOptions, QueueAttributes, QueueOptions};
use serde_json::{Value, json};

use crate::args::{QueueCommand, QueueSettings, StatsArgs, WatchArgs};
use crate::config::Context;
use crate::output::{CliError, Output, render_table, time};

fn options(s: &QueueSettings) -> QueueOptions {
    QueueOptions {
        delay_seconds: s.delay,
        maximum_message_size: s.max_message_size,
        message_retention_period: s.retention,
        visibility_timeout: s.visibility_timeout,
        polling_wait_seconds: s.polling_wait,
        logging_enabled: s.logging,
    }
}

/// A queue's attributes as JSON.
pub(crate) fn attributes_json(a: &QueueAttributes) -> Value {
    json!({
        "name": a.name,
        "create_time": time(a.create_time),
        "last_modify_time": time(a.last_modify_time),
        "delay_seconds": a.delay_seconds,
        "maximum_message_size": a.maximum_message_size,
        "message_retention_period": a.message_retention_period,
        "visibility_timeout": a.visibility_timeout,
        "polling_wait_seconds": a.polling_wait_seconds,
        "active_messages": a.active_messages,
        "inactive_messages": a.inactive_messages,
        "delay_messages": a.delay_messages,
        "logging_enabled": a.logging_enabled,
    })
}

/// Runs a `queue` subcommand.
pub(crate) async fn run(cmd: QueueCommand, ctx: &Context, out: &Output) -> Result<(), CliError> {
    let client = &ctx.client;
    match cmd {
        QueueCommand::Create { name, settings } => {
            let outcome = client.create_queue(&name, &options(&settings)).await?;
            let created = outcome == CreateOutcome::Created;
            if out.json() {
                out.json_doc(&json!({"queue": name, "created": created}));
            } else if created {
                println!("created queue {name}");
            } else {
                println!("queue {name} already exists with these attributes");
            }
        }
        QueueCommand::Get { name } => {
            let a = client.get_queue_attributes(&name).await?;
            if out.json() {
                out.json_doc(&attributes_json(&a));
            } else {
                out.fields(&[
                    ("name", a.name.clone()),
                    ("created", time(a.create_time)),
                    ("modified", time(a.last_modify_time)),
                    ("visible", a.active_messages.to_string()),
                    ("in flight", a.inactive_messages.to_string()),
                    ("delayed", a.delay_messages.to_string()),
                    ("visibility timeout", format!("{} s", a.visibility_timeout)),
                    ("delay", format!("{} s", a.delay_seconds)),
                    ("polling wait", format!("{} s", a.polling_wait_seconds)),
                    ("retention", format!("{} s", a.message_retention_period)),
                    ("max message size", format!("{} B", a.maximum_message_size)),
                    ("logging", a.logging_enabled.to_string()),
                ]);
            }
        }
        QueueCommand::Set { name, settings } => {
            let opts = options(&settings);
            if opts == QueueOptions::default() {
                return Err(CliError::invalid(
                    "nothing to set: give at least one attribute (see mns queue set --help)",
                ));
            }
            client.set_queue_attributes(&name, &opts).await?;
            if out.json() {
                out.json_doc(&json!({"queue": name, "updated": true}));
            } else {
                println!("updated queue {name}");
            }
        }
        QueueCommand::Delete { name } => {
            client.delete_queue(&name).await?;
            if out.json() {
                out.json_doc(&json!({"queue": name, "deleted": true}));
            } else {
                println!("deleted queue {name}");
            }
        }
        QueueCommand::List { prefix } => {
            let queues: Vec<_> = client.list_queues(prefix.as_deref()).try_collect().await?;
            if out.json() {
                for q in &queues {
                    out.json_line(&json!({"name": q.name.as_str(), "url": q.url}));
                }
            } else {
                let rows: Vec<_> = queues
                    .iter()
                    .map(|q| vec![q.name.to_string(), q.url.clone()])
                    .collect();
                out.table(&["NAME", "URL"], &rows);
            }
        }
    }
    Ok(())
}

/// The attributes of the queues `args` names (every queue, by prefix, when it names none).
async fn collect(args: &StatsArgs, ctx: &Context) -> Result<Vec<QueueAttributes>, CliError> {
    if !args.queues.is_empty() {
        let mut all = Vec::with_capacity(args.queues.len());
        for name in &args.queues {
            all.push(ctx.client.get_queue_attributes(name).await?);
        }
        return Ok(all);
    }
    let mut all = Vec::new();
    let mut options = ListOptions {
        prefix: args.prefix.clone(),
        with_meta: true,
        ..ListOptions::default()
    };
    loop {
        let page = ctx.client.list_queue_page(&options).await?;
        for q in page.queues {
            match q.attributes {
                Some(a) => all.push(a),
                None => all.push(ctx.client.get_queue_attributes(q.name.as_str()).await?),
            }
        }
        match page.next_marker {
            Some(m) if options.marker.as_deref() != Some(m.as_str()) => options.marker = Some(m),
            _ => break,
        }
    }
    Ok(all)
}

fn stats_rows(all: &[QueueAttributes]) -> Vec<Vec<String>> {
    all.iter()
        .map(|a| {
            vec![
                a.name.clone(),
                a.active_messages.to_string(),
                a.inactive_messages.to_string(),
                a.delay_messages.to_string(),
                (a.active_messages + a.inactive_messages + a.delay_messages).to_string(),
            ]
        })
        .collect()
}

const STATS_HEADERS: [&str; 5] = ["QUEUE", "VISIBLE", "IN_FLIGHT", "DELAYED", "TOTAL"];

fn stats_json(a: &QueueAttributes) -> Value {
    json!({
        "queue": a.name,
        "visible": a.active_messages,
        "in_flight": a.inactive_messages,
        "delayed": a.delay_messages,
        "total": a.active_messages + a.inactive_messages + a.delay_messages,
    })
}

/// `mns stats`: message counts by state.
pub(crate) async fn stats(args: StatsArgs, ctx: &Context, out: &Output) -> Result<(), CliError> {
    let all = collect(&args, ctx).await?;
    if out.json() {
        for a in &all {
            out.json_line(&stats_json(a));
        }
    } else {
        out.table(&STATS_HEADERS, &stats_rows(&all));
    }
    Ok(())
}

/// `mns watch`: `stats` every interval until interrupted (or `--count` refreshes).
pub(crate) async fn watch(args: WatchArgs, ctx: &Context, out: &Output) -> Result<(), CliError> {
    if args.interval == 0 {
        return Err(CliError::invalid("--interval must be at least 1 second"));
    }
    let redraw = !out.json() && std::io::stdout().is_terminal();
    let mut ticker = tokio::time::interval(Duration::from_secs(args.interval));
    let mut done = 0u64;
    loop {
        tokio::select! {
            _ = ticker.tick() => {}
            _ = tokio::signal::ctrl_c() => return Ok(()),
        }
        let all = collect(&args.stats, ctx).await?;
        let now = time(std::time::SystemTime::now());
        if out.json() {
            for a in &all {
                let mut v = stats_json(a);
                v["time"] = Value::String(now.clone());
                out.json_line(&v);
            }
        } else {
            let table = render_table(&STATS_HEADERS, &stats_rows(&all));
            if redraw {
                // Clear the screen and home the cursor: a refreshing view on a terminal.
                print!("\x1b[2J\x1b[H");
            }
            print!("{now}\n{table}");
            if !redraw {
                println!();
            }
        }
        done += 1;
        if args.count.is_some_and(|n| done >= n) {
            return Ok(());
        }
    }
}

//! `mns`: an operations CLI for Alibaba Cloud Message Service (MNS) and the mns-rs emulator.
//!
//! Built on `mns-client` behind the `cli` feature (`cargo install mns-client --features cli`).
//! Run `mns --help` for the commands, the configuration and the exit codes.

mod args;
mod config;
mod messages;
mod mover;
mod output;
mod queues;
mod topics;

use std::process::ExitCode;

use clap::{CommandFactory, Parser};

use crate::args::{Cli, Command};
use crate::output::{CliError, Output};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let out = Output::new(cli.global.output, cli.global.quiet);
    if let Command::Completions { shell } = &cli.command {
        clap_complete::generate(*shell, &mut Cli::command(), "mns", &mut std::io::stdout());
        return ExitCode::SUCCESS;
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            return out.report(&CliError::other(format!("cannot start the runtime: {e}")));
        }
    };
    match runtime.block_on(run(cli, &out)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => out.report(&e),
    }
}

async fn run(cli: Cli, out: &Output) -> Result<(), CliError> {
    let ctx = config::Context::connect(&cli.global).await?;
    let result = dispatch(cli.command, &ctx, out).await;
    ctx.shutdown().await;
    result
}

async fn dispatch(command: Command, ctx: &config::Context, out: &Output) -> Result<(), CliError> {
    match command {
        Command::Queue(cmd) => queues::run(cmd, ctx, out).await,
        Command::Topic(cmd) => topics::run_topic(cmd, ctx, out).await,
        Command::Subscription(cmd) => topics::run_subscription(cmd, ctx, out).await,
        Command::Send(args) => messages::send(args, ctx, out).await,
        Command::Receive(args) => messages::receive(args, ctx, out).await,
        Command::Peek(args) => messages::peek(args, ctx, out).await,
        Command::Delete(args) => messages::delete(args, ctx, out).await,
        Command::Purge(args) => messages::purge(args, ctx, out).await,
        Command::Drain(args) => messages::drain(args, ctx, out).await,
        Command::Move(args) | Command::Redrive(args) => mover::run(args, ctx, out).await,
        Command::Stats(args) => queues::stats(args, ctx, out).await,
        Command::Watch(args) => queues::watch(args, ctx, out).await,
        Command::Completions { .. } => Ok(()),
    }
}

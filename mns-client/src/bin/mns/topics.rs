//! `mns topic ...` and `mns subscription ...`.

use futures_util::TryStreamExt;
use mns_client::CreateOutcome;
use mns_client::topic::{
    Endpoint, FilterTag, MessageTag, NotifyContentFormat, NotifyStrategy, PublishOptions,
    SubscribeOptions, SubscriptionAttributes, SubscriptionUpdate, TopicAttributes, TopicOptions,
};
use serde_json::{Value, json};

use crate::args::{SubscriptionCommand, TopicCommand};
use crate::config::Context;
use crate::messages::read_body;
use crate::output::{CliError, Output, time};

fn topic_json(a: &TopicAttributes) -> Value {
    json!({
        "name": a.topic_name.as_str(),
        "create_time": time(a.create_time),
        "last_modify_time": time(a.last_modify_time),
        "maximum_message_size": a.maximum_message_size,
        "message_retention_period": a.message_retention_period.as_secs(),
        "message_count": a.message_count,
        "logging_enabled": a.logging_enabled,
    })
}

fn subscription_json(a: &SubscriptionAttributes) -> Value {
    json!({
        "name": a.subscription_name.as_str(),
        "topic": a.topic_name.as_str(),
        "topic_owner": a.topic_owner,
        "subscriber": a.subscriber,
        "endpoint": a.endpoint.to_string(),
        "notify_strategy": a.notify_strategy.to_string(),
        "notify_content_format": a.notify_content_format.to_string(),
        "filter_tag": a.filter_tag.as_ref().map(|t| t.as_str().to_owned()),
        "create_time": time(a.create_time),
        "last_modify_time": time(a.last_modify_time),
    })
}

/// Prints a JSON document, or `text` for humans.
fn done(out: &Output, doc: Value, text: String) {
    if out.json() {
        out.json_doc(&doc);
    } else {
        println!("{text}");
    }
}

/// Runs a `topic` subcommand.
pub(crate) async fn run_topic(
    cmd: TopicCommand,
    ctx: &Context,
    out: &Output,
) -> Result<(), CliError> {
    let client = &ctx.client;
    match cmd {
        TopicCommand::Create {
            name,
            max_message_size,
            logging,
        } => {
            let options = TopicOptions {
                maximum_message_size: max_message_size,
                logging_enabled: logging,
            };
            let created = client.create_topic(&name, &options).await? == CreateOutcome::Created;
            let text = if created {
                format!("created topic {name}")
            } else {
                format!("topic {name} already exists with these attributes")
            };
            done(out, json!({"topic": name, "created": created}), text);
        }
        TopicCommand::Get { name } => {
            let a = client.get_topic_attributes(&name).await?;
            if out.json() {
                out.json_doc(&topic_json(&a));
            } else {
                out.fields(&[
                    ("name", a.topic_name.to_string()),
                    ("created", time(a.create_time)),
                    ("modified", time(a.last_modify_time)),
                    ("messages", a.message_count.to_string()),
                    (
                        "retention",
                        format!("{} s", a.message_retention_period.as_secs()),
                    ),
                    ("max message size", format!("{} B", a.maximum_message_size)),
                    ("logging", a.logging_enabled.to_string()),
                ]);
            }
        }
        TopicCommand::Set {
            name,
            max_message_size,
            logging,
        } => {
            let options = TopicOptions {
                maximum_message_size: max_message_size,
                logging_enabled: logging,
            };
            if options == TopicOptions::default() {
                return Err(CliError::invalid(
                    "nothing to set: give --max-message-size or --logging",
                ));
            }
            client.set_topic_attributes(&name, &options).await?;
            done(
                out,
                json!({"topic": name, "updated": true}),
                format!("updated topic {name}"),
            );
        }
        TopicCommand::Delete { name } => {
            client.delete_topic(&name).await?;
            done(
                out,
                json!({"topic": name, "deleted": true}),
                format!("deleted topic {name}"),
            );
        }
        TopicCommand::List { prefix } => {
            let topics: Vec<_> = client.list_topics(prefix.as_deref()).try_collect().await?;
            if out.json() {
                for t in &topics {
                    out.json_line(&json!({"name": t.name.as_str(), "url": t.url}));
                }
            } else {
                let rows: Vec<_> = topics
                    .iter()
                    .map(|t| vec![t.name.to_string(), t.url.clone()])
                    .collect();
                out.table(&["NAME", "URL"], &rows);
            }
        }
        TopicCommand::Publish {
            topic,
            body,
            file,
            tag,
        } => {
            let topic_handle = client.topic(&topic)?.with_codec(ctx.codec);
            let body = read_body(body, file.as_deref()).await?;
            let options = PublishOptions {
                message_tag: tag.map(MessageTag::new).transpose()?,
                ..PublishOptions::default()
            };
            let receipt = topic_handle.publish_message_opts(body, options).await?;
            done(
                out,
                json!({"topic": topic, "message_id": receipt.message_id, "body_md5": receipt.body_md5}),
                receipt.message_id,
            );
        }
    }
    Ok(())
}

fn strategy(s: Option<String>) -> Result<Option<NotifyStrategy>, CliError> {
    Ok(s.map(|s| s.parse()).transpose()?)
}

/// Runs a `subscription` subcommand.
pub(crate) async fn run_subscription(
    cmd: SubscriptionCommand,
    ctx: &Context,
    out: &Output,
) -> Result<(), CliError> {
    let client = &ctx.client;
    match cmd {
        SubscriptionCommand::Create {
            topic,
            name,
            target,
            filter_tag,
            notify_strategy,
            notify_content_format,
        } => {
            let endpoint: Endpoint = target.parse()?;
            let options = SubscribeOptions {
                filter_tag: filter_tag.map(FilterTag::new).transpose()?,
                notify_strategy: strategy(notify_strategy)?,
                notify_content_format: notify_content_format
                    .map(|f| f.parse::<NotifyContentFormat>())
                    .transpose()?,
            };
            let outcome = client
                .topic(&topic)?
                .subscribe_opts(&name, &endpoint, &options)
                .await?;
            let created = outcome == CreateOutcome::Created;
            let text = if created {
                format!("subscribed {name} to topic {topic}")
            } else {
                format!("subscription {name} already exists with these attributes")
            };
            done(
                out,
                json!({"topic": topic, "subscription": name, "created": created}),
                text,
            );
        }
        SubscriptionCommand::Get { topic, name } => {
            let a = client
                .topic(&topic)?
                .get_subscription_attributes(&name)
                .await?;
            if out.json() {
                out.json_doc(&subscription_json(&a));
            } else {
                out.fields(&[
                    ("name", a.subscription_name.to_string()),
                    ("topic", a.topic_name.to_string()),
                    ("endpoint", a.endpoint.to_string()),
                    ("notify strategy", a.notify_strategy.to_string()),
                    ("content format", a.notify_content_format.to_string()),
                    (
                        "filter tag",
                        a.filter_tag
                            .as_ref()
                            .map_or_else(|| "-".to_owned(), ToString::to_string),
                    ),
                    ("created", time(a.create_time)),
                    ("modified", time(a.last_modify_time)),
                ]);
            }
        }
        SubscriptionCommand::Set {
            topic,
            name,
            notify_strategy,
            filter_tag,
        } => {
            let update = SubscriptionUpdate {
                notify_strategy: strategy(notify_strategy)?,
                filter_tag: filter_tag.map(FilterTag::new).transpose()?,
            };
            if update == SubscriptionUpdate::default() {
                return Err(CliError::invalid(
                    "nothing to set: give --notify-strategy or --filter-tag",
                ));
            }
            client
                .topic(&topic)?
                .set_subscription_attributes(&name, &update)
                .await?;
            done(
                out,
                json!({"topic": topic, "subscription": name, "updated": true}),
                format!("updated subscription {name}"),
            );
        }
        SubscriptionCommand::Delete { topic, name } => {
            client.topic(&topic)?.unsubscribe(&name).await?;
            done(
                out,
                json!({"topic": topic, "subscription": name, "deleted": true}),
                format!("unsubscribed {name} from topic {topic}"),
            );
        }
        SubscriptionCommand::List { topic, prefix } => {
            let subs: Vec<_> = client
                .topic(&topic)?
                .list_subscriptions(prefix.as_deref())
                .try_collect()
                .await?;
            if out.json() {
                for s in &subs {
                    out.json_line(&json!({"name": s.name.as_str(), "url": s.url}));
                }
            } else {
                let rows: Vec<_> = subs
                    .iter()
                    .map(|s| vec![s.name.to_string(), s.url.clone()])
                    .collect();
                out.table(&["NAME", "URL"], &rows);
            }
        }
    }
    Ok(())
}

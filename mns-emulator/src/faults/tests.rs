//! Unit tests of the fault injector: seeded decisions and rule matching.

use super::*;

#[test]
fn same_seed_same_decisions() {
    let run = |seed| {
        let inj = FaultInjector::default();
        inj.set_plan(
            FaultPlan::seeded(seed).rule(FaultRule::new(Fault::DropConnection).probability(0.3)),
        );
        (0..200)
            .map(|_| inj.decide(Operation::SendMessage, Some("q")).is_some())
            .collect::<Vec<_>>()
    };
    assert_eq!(run(1), run(1));
    assert_ne!(run(1), run(2));
    let hits = run(3).into_iter().filter(|h| *h).count();
    assert!((30..=90).contains(&hits), "{hits}");
}

#[test]
fn next_n_calls_then_normal() {
    let inj = FaultInjector::default();
    inj.set_plan(
        FaultPlan::seeded(0).rule(
            FaultRule::new(Fault::error(503, "ServiceUnavailable"))
                .operation(Operation::ReceiveMessage)
                .resource("a")
                .times(2),
        ),
    );
    assert!(inj.decide(Operation::ReceiveMessage, Some("b")).is_none());
    assert!(inj.decide(Operation::SendMessage, Some("a")).is_none());
    assert!(inj.decide(Operation::ReceiveMessage, Some("a")).is_some());
    assert!(inj.decide(Operation::ReceiveMessage, Some("a")).is_some());
    assert!(inj.decide(Operation::ReceiveMessage, Some("a")).is_none());
    assert_eq!(inj.report().fired, vec![2]);
}

#[test]
fn plan_json_round_trip() {
    let json = r#"{"seed":7,"rules":[{"operation":"SendMessage","resource":"q","probability":0.2,
        "fault":{"kind":"error","status":500,"code":"InternalError"}},
        {"times":3,"fault":{"kind":"drop_during_long_poll","after_millis":500}},
        {"fault":{"kind":"latency","millis":20}}]}"#;
    let plan: FaultPlan = serde_json::from_str(json).unwrap();
    assert_eq!(plan.rules.len(), 3);
    assert_eq!(plan.rules[1].probability, 1.0);
    assert_eq!(
        plan.rules[2].fault,
        Fault::latency(Duration::from_millis(20))
    );
    let again: FaultPlan = serde_json::from_str(&serde_json::to_string(&plan).unwrap()).unwrap();
    assert_eq!(plan, again);
}

#[test]
fn finds_receipt_handles() {
    let body = "<Messages><Message><ReceiptHandle>1-a</ReceiptHandle></Message>\
                <Message><ReceiptHandle>1-b</ReceiptHandle></Message></Messages>";
    assert_eq!(receipt_handles(body), vec!["1-a", "1-b"]);
}

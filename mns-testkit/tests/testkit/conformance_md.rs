//! `CONFORMANCE.md` at the repository root lists every case of the suite, and nothing else.

use std::collections::BTreeSet;

use mns_testkit::CASES;

fn conformance_md() -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../CONFORMANCE.md");
    std::fs::read_to_string(path).expect("CONFORMANCE.md exists at the repository root")
}

/// Case names as listed in the tables (first column, in backticks).
fn listed_cases(md: &str) -> Vec<String> {
    md.lines()
        .filter_map(|l| l.strip_prefix("| `"))
        .filter_map(|l| l.split_once('`').map(|(name, _)| name.to_owned()))
        .filter(|n| {
            n.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        })
        .collect()
}

#[test]
fn every_case_is_listed_once() {
    let md = conformance_md();
    let listed = listed_cases(&md);
    let listed_set: BTreeSet<&str> = listed.iter().map(String::as_str).collect();
    assert_eq!(listed.len(), listed_set.len(), "a case is listed twice");
    let cases: BTreeSet<&str> = CASES.iter().map(|c| c.name).collect();
    let missing: Vec<_> = cases.difference(&listed_set).collect();
    let unknown: Vec<_> = listed_set.difference(&cases).collect();
    assert!(
        missing.is_empty(),
        "cases missing from CONFORMANCE.md: {missing:?}"
    );
    assert!(
        unknown.is_empty(),
        "CONFORMANCE.md lists unknown cases: {unknown:?}"
    );
}

#[test]
fn unconfirmed_cases_are_marked() {
    let md = conformance_md();
    for case in CASES.iter().filter(|c| c.unconfirmed()) {
        let line = md
            .lines()
            .find(|l| l.starts_with(&format!("| `{}`", case.name)))
            .expect("listed");
        assert!(
            line.contains("[unconfirmed]"),
            "{} not marked unconfirmed",
            case.name
        );
    }
}

#[test]
fn case_names_are_unique_and_the_suite_is_large_enough() {
    let names: BTreeSet<&str> = CASES.iter().map(|c| c.name).collect();
    assert_eq!(names.len(), CASES.len());
    assert!(CASES.len() >= 60, "only {} cases", CASES.len());
    for c in CASES {
        assert!(
            !c.section.is_empty() && !c.checks.is_empty(),
            "{} lacks docs",
            c.name
        );
    }
}

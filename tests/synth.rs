//! The synthetic session generator behind the benchmarks (`examples/synth`): CI only builds the
//! benchmarks, so this test runs the generator on a small inventory to catch a questionnaire change
//! it no longer fits (e.g. a new rule about which choices may be combined).

#[path = "../examples/synth/mod.rs"]
mod synth;

mod common;

use socscope::session::file;

#[test]
fn the_generator_builds_a_valid_session_that_reads_back() {
    let q = common::builtin();
    // More systems than size S, so that multiple-choice answers of every kind come up.
    let s = synth::generate(&q, &synth::Spec::new(80, 30));
    // The 80 generated systems, then each hosting provider they name, once.
    let providers = s.systems.len() - 80;
    assert!((1..=3).contains(&providers), "{providers} providers");
    assert!(
        s.systems[80..]
            .iter()
            .all(|x| x.answers.contains_key("subservice_method"))
    );
    assert_eq!(s.identities.len(), 30);
    let text = synth::render(&q, &s);
    let (back, opened) = file::parse("synth-S.toml", &text, &q).expect("parses");
    assert!(opened.notices.is_empty(), "{:?}", opened.notices);
    assert_eq!(back.identities.len(), 30);
}

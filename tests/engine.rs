//! Engine semantics on a small questionnaire: three-valued logic, hidden questions, rationale
//! and open questions, identity rules over linked systems.

use chrono::Utc;
use socscope::engine::{Verdict, recommend};
use socscope::questionnaire::{Questionnaire, load};
use socscope::session::{EntityId, Session, Value};

const Q: &str = r#"
[questionnaire]
id = "mini"
title = "Mini"
version = "1"

[[questions]]
id = "asks"
scope = "engagement"
kind = "yesno"
text = "Do customers' security teams ask?"

[[questions]]
id = "fin"
scope = "system"
kind = "yesno"
text = "Does it post invoices?"

[[questions]]
id = "writes"
scope = "system"
kind = "yesno"
text = "Can it change them?"
show_if = { q = "fin", is = "yes" }

[[questions]]
id = "changes"
scope = "identity"
kind = "yesno"
text = "Can it change financial data?"

[[rules]]
id = "soc2_asked"
scope = "engagement"
when = { q = "asks", is = "yes" }
rationale = "Security teams ask."
soc2 = true

[[rules]]
id = "not_asked"
scope = "engagement"
when = { q = "asks", is = "no" }
rationale = "Nobody asks."
soc2 = false

[[rules]]
id = "sys_soc1"
scope = "system"
when = { all = [{ q = "fin", is = "yes" }, { q = "writes", is = "yes" }] }
rationale = "Posts invoices."
soc1 = true

[[rules]]
id = "sys_out"
scope = "system"
when = { q = "fin", is = "no" }
rationale = "No financial process."
soc1 = false

[[rules]]
id = "id_soc1"
scope = "identity"
when = { all = [{ q = "changes", is = "yes" }, { any_system = { q = "fin", is = "yes" } }] }
rationale = "Changes financial data in a financial system."
soc1 = true

[[rules]]
id = "id_soc2"
scope = "identity"
when = { any_system_in_scope = true }
rationale = "Reaches an in-scope system."
soc2 = true
"#;

fn q() -> Questionnaire {
    load("mini.toml", Q).unwrap_or_else(|e| panic!("{e}"))
}

fn answer(s: &mut Session, q: &Questionnaire, e: &EntityId, qid: &str, v: &str) {
    let question = q.question(qid).expect("question");
    let value = if v == "unknown" {
        Value::Unknown
    } else {
        Value::Text(v.into())
    };
    s.set_answer(question, e, value, Utc::now())
        .expect("valid answer");
}

#[test]
fn nothing_known_is_undetermined_not_none() {
    let q = q();
    let s = Session::new(&q, "Acme", Utc::now());
    let r = recommend(&q, &s);
    assert_eq!(r.verdict, Verdict::Undetermined);
    let open: Vec<&str> = r.decisions[0]
        .open_questions
        .iter()
        .map(|o| o.question.as_str())
        .collect();
    assert!(open.contains(&"asks"), "{open:?}");
}

#[test]
fn unknown_keeps_a_decision_open_and_names_the_question() {
    let q = q();
    let mut s = Session::new(&q, "Acme", Utc::now());
    answer(&mut s, &q, &EntityId::Engagement, "asks", "no");
    let sys = EntityId::System(s.add_system("Billing", Utc::now()));
    answer(&mut s, &q, &sys, "fin", "yes");
    answer(&mut s, &q, &sys, "writes", "unknown");
    let r = recommend(&q, &s);
    assert_eq!(r.verdict, Verdict::Undetermined, "SOC 1 hangs on `writes`");
    assert!(r.systems[0].decision.provisional);
    assert_eq!(r.systems[0].decision.open_questions[0].question, "writes");
    assert_eq!(
        r.systems[0].decision.open_questions[0].entity.name,
        "Billing"
    );

    answer(&mut s, &q, &sys, "writes", "yes");
    let r = recommend(&q, &s);
    assert_eq!(r.verdict, Verdict::Soc1);
    assert!(!r.decisions[0].provisional);
    let because = &r.decisions[0].rationale;
    let rule = because
        .iter()
        .find(|f| f.rule == "sys_soc1")
        .expect("fired");
    let answers: Vec<(&str, &str)> = rule
        .triggers
        .iter()
        .map(|t| (t.question.as_str(), t.answer.as_str()))
        .collect();
    assert_eq!(answers, vec![("fin", "Yes"), ("writes", "Yes")]);
}

#[test]
fn hidden_questions_neither_count_nor_fire() {
    let q = q();
    let mut s = Session::new(&q, "Acme", Utc::now());
    answer(&mut s, &q, &EntityId::Engagement, "asks", "no");
    let sys = EntityId::System(s.add_system("Wiki", Utc::now()));
    answer(&mut s, &q, &sys, "fin", "yes");
    answer(&mut s, &q, &sys, "writes", "yes");
    // Changing the parent hides `writes`; its stored answer must stop counting.
    answer(&mut s, &q, &sys, "fin", "no");
    let r = recommend(&q, &s);
    assert_eq!(r.verdict, Verdict::None);
    assert_eq!(r.progress.total, 2, "asks + fin; writes is hidden");
    assert!(
        r.decisions[0]
            .exclusions
            .iter()
            .any(|x| x.because.iter().any(|f| f.rule == "sys_out")),
        "says why"
    );
}

#[test]
fn identity_rules_see_the_systems_they_can_access() {
    let q = q();
    let now = Utc::now();
    let mut s = Session::new(&q, "Acme", now);
    answer(&mut s, &q, &EntityId::Engagement, "asks", "no");
    let billing = s.add_system("Billing", now);
    let wiki = s.add_system("Wiki", now);
    answer(&mut s, &q, &EntityId::System(billing.clone()), "fin", "yes");
    answer(
        &mut s,
        &q,
        &EntityId::System(billing.clone()),
        "writes",
        "yes",
    );
    answer(&mut s, &q, &EntityId::System(wiki.clone()), "fin", "no");
    let svc = s.add_identity("svc", now);
    answer(
        &mut s,
        &q,
        &EntityId::Identity(svc.clone()),
        "changes",
        "yes",
    );

    s.toggle_link(&svc, &wiki, now);
    let r = recommend(&q, &s);
    assert!(
        !r.identities[0].soc1 && !r.identities[0].soc2,
        "only reaches the wiki"
    );

    s.toggle_link(&svc, &billing, now);
    let r = recommend(&q, &s);
    let svc_r = &r.identities[0];
    assert!(svc_r.soc1 && svc_r.soc2);
    let via = svc_r
        .decision
        .rationale
        .iter()
        .find(|f| f.rule == "id_soc2")
        .expect("fired");
    assert_eq!(via.via_systems[0].name, "Billing");
    let trig = svc_r
        .decision
        .rationale
        .iter()
        .find(|f| f.rule == "id_soc1")
        .expect("fired");
    assert!(
        trig.triggers
            .iter()
            .any(|t| t.entity.name == "Billing" && t.question == "fin")
    );
}

#[test]
fn changing_a_rule_in_toml_changes_the_recommendation() {
    let q1 = q();
    let mut s = Session::new(&q1, "Acme", Utc::now());
    answer(&mut s, &q1, &EntityId::Engagement, "asks", "yes");
    s.add_system("Billing", Utc::now());
    assert!(matches!(
        recommend(&q1, &s).verdict,
        Verdict::Soc2 | Verdict::Undetermined
    ));
    let edited = Q.replace(
        "rationale = \"Security teams ask.\"\nsoc2 = true",
        "rationale = \"Security teams ask.\"\nsoc1 = true",
    );
    let q2 = load("edited.toml", &edited).expect("valid");
    assert_eq!(recommend(&q2, &s).verdict, Verdict::Soc1);
}

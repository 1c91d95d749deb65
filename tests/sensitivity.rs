//! "What would change this?" and the evidence plan.

mod common;

#[path = "../examples/synth/mod.rs"]
mod synth;

use chrono::Utc;
use common::{EXAMPLES, builtin, example, recommend};
use socscope::engine::{self, DecisionId, Recommendation, Verdict};
use socscope::export::markdown;
use socscope::session::{EntityId, Session};

fn outcome_of(r: &Recommendation, id: &DecisionId) -> String {
    r.decision(id)
        .map(|d| d.outcome.to_string())
        .unwrap_or_else(|| "Not included".into())
}

fn id(s: &str) -> DecisionId {
    DecisionId::parse(s).unwrap_or_else(|| panic!("bad id {s}"))
}

#[test]
fn every_flip_named_really_flips_the_decision() {
    let q = builtin();
    let mut checked = 0;
    for name in EXAMPLES {
        let s = example(name);
        for x in engine::sensitivities(&q, &s) {
            for f in &x.flips {
                let mut changed: Session = s.clone();
                let entity = match f.entity.kind {
                    socscope::questionnaire::Scope::Engagement => EntityId::Engagement,
                    socscope::questionnaire::Scope::System => {
                        EntityId::System(f.entity.id.to_string())
                    }
                    socscope::questionnaire::Scope::Identity => {
                        EntityId::Identity(f.entity.id.to_string())
                    }
                };
                let question = q.question(&f.question).expect("question");
                changed
                    .set_answer(question, &entity, f.value.clone(), Utc::now())
                    .expect("valid change");
                let after = outcome_of(&recommend(&changed), &x.decision);
                let claimed = f.outcome.to_string();
                assert_eq!(
                    after, claimed,
                    "{name}: {} after {}={}",
                    x.decision, f.question, f.to
                );
                checked += 1;
            }
        }
    }
    assert!(checked > 10, "the examples have flips to check ({checked})");
}

/// A flip names an answer the app would accept: never "Nobody has asked yet" together with a
/// requester, nor "None of these" with a process.
#[test]
fn every_flip_is_an_answer_the_app_accepts() {
    let q = builtin();
    let mut checked = 0;
    for name in EXAMPLES {
        let s = example(name);
        for x in engine::sensitivities(&q, &s) {
            for f in &x.flips {
                let question = q.question(&f.question).expect("question");
                assert_eq!(
                    f.value.check(question),
                    Ok(()),
                    "{name}: {} -> {}",
                    f.question,
                    f.to
                );
                checked += 1;
            }
        }
    }
    assert!(checked > 10, "{checked}");
}

#[test]
fn type_decision_names_the_months_of_operation() {
    let q = builtin();
    let s = example("s2-log-analytics.toml");
    let x = engine::sensitivity(&q, &s, &id("type.soc2")).expect("type decision");
    assert!(x.rests_on.iter().any(|t| t.question == "controls_months"));
    let flip = x
        .flips
        .iter()
        .find(|f| f.question == "controls_months")
        .expect("months flip it");
    assert!(flip.outcome.to_string().starts_with("Type 2"), "{flip:?}");
}

/// A flip reads as the change a facilitator would make: one requester added (not the whole new
/// list), and one value per outcome (3 months makes it Type 2; 4 months is not listed too).
#[test]
fn flips_read_as_the_change_and_are_not_repeated() {
    let q = builtin();
    // A SOC 1-only engagement: nobody asks for assurance over systems and data, and no
    // commitment to protect customer data. Ticking one more requester is the change that flips
    // it, and two requesters with the same effect share one line.
    let mut s = example("s1-payroll-provider.toml");
    let set = |s: &mut Session, id: &str, v: socscope::session::Value| {
        let question = q.question(id).expect("question");
        s.set_answer(question, &EntityId::Engagement, v, Utc::now())
            .expect("valid");
    };
    set(
        &mut s,
        "report_requesters",
        socscope::session::Value::List(vec!["user_auditors".into()]),
    );
    set(
        &mut s,
        "confidential_data",
        socscope::session::Value::Text("no".into()),
    );
    set(
        &mut s,
        "personal_data",
        socscope::session::Value::Text("no".into()),
    );
    assert_eq!(recommend(&s).verdict, Verdict::Soc1);
    let x = engine::sensitivity(&q, &s, &id("verdict")).expect("verdict");
    let f = x
        .flips
        .iter()
        .find(|f| f.question == "report_requesters")
        .expect("a requester flips it");
    assert_eq!(
        f.change,
        engine::Change::Add {
            choice: "Customers' security, procurement or vendor-risk teams".into()
        }
    );
    let md = markdown::render(&q, &s, &recommend(&s));
    assert!(
        md.contains(
            "adding **Customers' security, procurement or vendor-risk teams** or **Prospects or \
             marketing (a public report)** would make it **SOC 1 and SOC 2**"
        ),
        "{md}"
    );
    // One value per outcome: 6 months makes a first SOC 2 a Type 2; 7 is not listed too.
    let s2 = example("s2-log-analytics.toml");
    let t = engine::sensitivity(&q, &s2, &id("type.soc2")).expect("type");
    let months: Vec<&str> = t
        .flips
        .iter()
        .filter(|f| f.question == "controls_months")
        .map(|f| f.to.as_str())
        .collect();
    assert_eq!(months, ["6 months"]);
}

/// A flip to "Not yet determinable" says what it would wait for: making a system a vendor's
/// asks whether the report carves it out.
#[test]
fn an_undetermined_flip_names_the_questions_it_opens() {
    let q = builtin();
    let s = example("s2-log-analytics.toml");
    let r = recommend(&s);
    let d = &r.systems[0].decision;
    let x = engine::sensitivity_of(&q, &s, d);
    let f = x
        .flips
        .iter()
        .find(|f| f.question == "operated_by")
        .expect("a vendor-operated system is not settled yet");
    assert_eq!(f.outcome.to_string(), "Not yet determinable");
    let carve = q.question("subservice_method").expect("q").text.clone();
    assert!(f.opens.contains(&carve), "{:?}", f.opens);
    // A flip that settles things opens nothing.
    let settled = engine::sensitivity(&q, &s, &id("type.soc2")).expect("type");
    assert!(settled.flips.iter().all(|f| f.opens.is_empty()));
}

/// An answer can matter by keeping a rule from firing: an identity that cannot change
/// financial data is out of SOC 1, and "Yes" there is named as the change that would bring it in.
#[test]
fn an_answer_that_keeps_a_rule_from_firing_is_tried_too() {
    let q = builtin();
    let mut s = example("s3-billing-service-account.toml");
    let svc = s.identities[0].id.clone();
    let question = q.question("changes_financial_data").expect("question");
    s.set_answer(
        question,
        &EntityId::Identity(svc.clone()),
        socscope::session::Value::Text("no".into()),
        Utc::now(),
    )
    .expect("valid");
    let x =
        engine::sensitivity(&q, &s, &id(&format!("identity.{svc}"))).expect("identity decision");
    // The "no" it rests on counts: the rule that keeps it out of SOC 1 read this answer.
    assert!(
        x.rests_on
            .iter()
            .any(|t| t.question == "changes_financial_data"),
        "the answer that keeps it from flipping is counted"
    );
    let f = x
        .flips
        .iter()
        .find(|f| f.question == "changes_financial_data")
        .expect("Yes would bring it into SOC 1");
    assert_eq!(f.to, "Yes");
    assert_eq!(f.outcome.to_string(), "SOC 1 and SOC 2");
}

/// Several values of one question with the same effect are one line of the export: S4's wiki
/// becomes undecided with any of ten processes instead of "None of these".
#[test]
fn values_with_the_same_effect_share_one_line() {
    let q = builtin();
    let s = example("s4-internal-wiki.toml");
    let md = markdown::render(&q, &s, &recommend(&s));
    let lines: Vec<&str> = md
        .lines()
        .filter(|l| l.starts_with("- Engineering wiki, \u{201c}Which financially relevant"))
        .collect();
    assert!(!lines.is_empty(), "{md}");
    for l in &lines {
        assert!(
            l.contains("**Payroll or benefits calculation**, **Billing or invoicing**")
                && l.contains(
                    " or **Inventory that customers account for** instead of None of these"
                ),
            "{l}"
        );
    }
}

#[test]
fn a_single_answer_flips_the_verdict_and_is_named() {
    // S3 with nobody asking for a SOC 2: SOC 1 rests on the invoicing system's write access.
    let q = builtin();
    let s = example("s3-billing-service-account.toml");
    let x = engine::sensitivity(&q, &s, &id("system.s1")).expect("system decision");
    let flip = x
        .flips
        .iter()
        .find(|f| f.question == "fin_access")
        .expect("read-only access would take SOC 1 away");
    assert_eq!(flip.entity.name, "Invoicing system");
    assert!(!flip.outcome.to_string().contains("SOC 1"), "{flip:?}");
}

#[test]
fn settled_decisions_with_redundant_support_do_not_flip() {
    let q = builtin();
    let s = example("s1-payroll-provider.toml");
    let x = engine::sensitivity(&q, &s, &id("verdict")).expect("verdict");
    assert_eq!(recommend(&s).verdict, Verdict::Both);
    // SOC 1 rests on several independent answers (user auditors, SOX customers, payroll).
    assert!(x.rests_on.len() >= 3);
    assert!(
        x.flips.iter().all(|f| f.outcome.to_string() != "SOC 2"),
        "{:?}",
        x.flips
    );
}

/// Every category in the report has tasks citing its criteria, and no task cites a category
/// the report leaves out (S1 includes Privacy but not Availability).
#[test]
fn evidence_plan_matches_the_categories_in_scope() {
    use socscope::questionnaire::{Category, tsc};
    let mut checked = 0;
    for name in EXAMPLES {
        let r = recommend(&example(name));
        let cited: Vec<Category> = r
            .evidence_plan
            .iter()
            .flat_map(|e| &e.tasks)
            .flat_map(|t| &t.references)
            .filter_map(|id| tsc::category(id))
            .collect();
        for c in &cited {
            assert!(
                *c == Category::Security || r.soc2_categories.contains(c),
                "{name}: a task cites {c:?}, which the report leaves out"
            );
        }
        for c in &r.soc2_categories {
            assert!(cited.contains(c), "{name}: no task for {c:?}");
            checked += 1;
        }
    }
    assert!(checked >= 5, "{checked}");
    let r = recommend(&example("s1-payroll-provider.toml"));
    let engagement = r
        .evidence_plan
        .iter()
        .find(|e| e.subject.name == "Engagement")
        .expect("engagement-level tasks");
    assert!(engagement.tasks.iter().any(|t| t.id == "privacy_notice"));
    assert!(!engagement.tasks.iter().any(|t| t.id == "sla_reports"));
    // A SOC 2-only plan does not speak of SOC 1 control objectives.
    let s6 = example("s6-cloud-subservice.toml");
    let r6 = recommend(&s6);
    assert!(r6.control_objectives.is_empty());
    let md = markdown::evidence_checklist(&s6, &r6);
    assert!(md.contains("- [ ] "), "{md}");
    assert!(!md.contains("SOC 1 control objectives"), "{md}");
    // A Type 1 looks at one date: the plan says so instead of "over the observation window".
    let s2 = example("s2-log-analytics.toml");
    let md = markdown::evidence_checklist(&s2, &recommend(&s2));
    assert!(
        md.contains("What to collect for the Type 1 date, and then over"),
        "{md}"
    );
    let s1 = example("s1-payroll-provider.toml");
    let md = markdown::evidence_checklist(&s1, &recommend(&s1));
    assert!(
        md.contains("What to collect over the observation window"),
        "{md}"
    );
}

/// Every candidate control objective has evidence in the plan, and a rule that lists one
/// evidence kind per objective pairs them (S3: write access supports the access objective only).
#[test]
fn every_control_objective_has_evidence_in_the_plan() {
    let mut checked = 0;
    for name in EXAMPLES {
        let r = recommend(&example(name));
        for co in &r.control_objectives {
            assert!(
                r.evidence_plan
                    .iter()
                    .flat_map(|e| &e.tasks)
                    .any(|t| t.control_objectives.iter().any(|x| x == co)),
                "{name}: no task supports {co}"
            );
            checked += 1;
        }
    }
    assert!(checked >= 10, "{checked}");
    let r = recommend(&example("s3-billing-service-account.toml"));
    let write = r
        .evidence_plan
        .iter()
        .flat_map(|e| &e.tasks)
        .find(|t| t.id == "fin_write_population")
        .expect("the write-access population");
    assert_eq!(write.control_objectives.len(), 1);
    assert!(write.control_objectives[0].starts_with("Logical access"));
}

#[test]
fn evidence_plan_covers_in_scope_identities_with_cadence_and_criteria() {
    let r = recommend(&example("s3-billing-service-account.toml"));
    let svc = r
        .evidence_plan
        .iter()
        .find(|e| e.subject.name == "svc-billing")
        .expect("svc-billing has evidence to collect");
    let review = svc
        .tasks
        .iter()
        .find(|t| t.id == "access_review_signoff")
        .expect("review sign-offs");
    assert_eq!(review.cadence, "quarterly");
    assert!(review.references.iter().any(|r| r == "CC6.2"));
    assert!(
        svc.tasks.iter().any(|t| t.id == "rotation_record"),
        "no rotation -> rotation records"
    );
    assert!(r.evidence_plan.iter().all(|e| !e.tasks.is_empty()));
}

#[test]
fn nothing_to_collect_when_out_of_scope() {
    let r = recommend(&example("s4-internal-wiki.toml"));
    assert!(r.evidence_plan.is_empty());
}

#[test]
fn s1_markdown_has_sensitivity_and_evidence_plan() {
    let q = builtin();
    let s = example("s1-payroll-provider.toml");
    let md = markdown::render(&q, &s, &recommend(&s));
    assert!(md.contains("## Evidence plan"));
    assert!(
        md.contains("- [ ] Access review sign-off"),
        "task list items"
    );
    assert!(md.contains("Sensitivity: rests on"));
    assert!(
        md.contains("would make it **Type 1**"),
        "months of operation flip the Type"
    );
}

#[test]
fn evidence_plan_exports_as_task_list_and_json() {
    let s = example("s3-billing-service-account.toml");
    let r = recommend(&s);
    let md = markdown::evidence_checklist(&s, &r);
    let tasks = md.lines().filter(|l| l.starts_with("- [ ] ")).count();
    let expected: usize = r.evidence_plan.iter().map(|e| e.tasks.len()).sum();
    assert_eq!(tasks, expected, "one checkbox per task");
    assert!(
        md.contains("### svc-billing (identity), owner: unassigned"),
        "owner field present"
    );
    let json: serde_json::Value =
        serde_json::from_str(&socscope::export::json::evidence_plan(&s, &r)).expect("valid JSON");
    assert_eq!(json["schema"], "socscope-evidence-plan/2");
    let entries = json["evidence_plan"].as_array().expect("array");
    assert!(
        entries
            .iter()
            .any(|e| e["subject"]["name"] == "Invoicing system"
                && e["owner"] == "Finance Systems Manager")
    );
    // Objectives carry the ids the Markdown cites ("supports CO-1"), in both formats.
    assert_eq!(json["control_objectives"][0]["id"], "CO-1");
    let supports: Vec<&str> = entries
        .iter()
        .flat_map(|e| e["tasks"].as_array().into_iter().flatten())
        .flat_map(|t| t["supports"].as_array().into_iter().flatten())
        .filter_map(|x| x.as_str())
        .collect();
    assert!(!supports.is_empty(), "tasks cite objectives by id");
    for id in supports {
        assert!(md.contains(&format!("supports {id}")) || md.contains(&format!(", {id}")));
    }
}

#[test]
fn json_export_carries_the_sensitivity() {
    let q = builtin();
    let s = example("s2-log-analytics.toml");
    let text = socscope::export::json::render_export(&q, &s, &recommend(&s));
    let json: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
    let sens = json["sensitivity"].as_array().expect("sensitivity array");
    let t = sens
        .iter()
        .find(|x| x["decision"] == "type.soc2")
        .expect("type decision");
    assert!(
        t["flips"]
            .as_array()
            .expect("flips")
            .iter()
            .any(|f| f["question"] == "controls_months")
    );
}

#[test]
fn sensitivity_of_a_decision_in_hand_matches_the_lookup_by_id() {
    let q = builtin();
    let s = example("s2-log-analytics.toml");
    let r = recommend(&s);
    let d = r
        .decisions
        .iter()
        .find(|d| d.id == id("type.soc2"))
        .expect("type decision");
    let by_id = engine::sensitivity(&q, &s, &id("type.soc2")).expect("by id");
    assert_eq!(engine::sensitivity_of(&q, &s, d), by_id);
    assert!(!by_id.flips.is_empty());
}

/// The export's sensitivities, worked out on two threads over a shared cache, are each
/// decision's own, in the recommendation's order: what the drill-down shows for it.
#[test]
fn every_decisions_sensitivity_in_the_export_is_its_own_in_order() {
    let q = builtin();
    let s = synth::generate(&q, &synth::Spec::new(20, 150));
    let r = recommend(&s);
    let ev = engine::Evaluation::new(&q, &s);
    let all = engine::sensitivities_for(&q, &s, &r);
    let decisions: Vec<&engine::Decision> = r
        .decisions
        .iter()
        .chain(r.systems.iter().map(|x| &x.decision))
        .chain(r.identities.iter().map(|x| &x.decision))
        .collect();
    assert!(decisions.len() > 150, "both threads have decisions");
    assert_eq!(all.len(), decisions.len());
    for (x, d) in all.iter().zip(decisions) {
        assert_eq!(x, &engine::sensitivity_in(&q, &s, &ev, d), "{}", d.id);
    }
}

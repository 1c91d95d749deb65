//! The reference workshops of ../shared/scenarios.md, as shipped in assets/examples/, reach the
//! outcome a SOC practitioner expects, with a rationale that names the answers behind it.

mod common;

use chrono::{NaiveDate, Utc};
use common::{builtin, example, recommend};
use socscope::engine::{
    ChoiceReason, Decision, DecisionId, GapStatus, PlanStep, Recommendation, Verdict,
};
use socscope::questionnaire::{Category, Report, ReportType, SubserviceMethod};
use socscope::session::{EntityId, Value};

fn decision<'a>(r: &'a Recommendation, id: &str) -> &'a Decision {
    let parsed = DecisionId::parse(id).unwrap_or_else(|| panic!("bad id {id}"));
    r.decision(&parsed)
        .unwrap_or_else(|| panic!("no decision {id}"))
}

fn fired(d: &Decision, rule: &str) -> bool {
    d.rationale.iter().any(|f| f.rule == rule)
}

fn triggered_by(d: &Decision, question: &str) -> bool {
    d.rationale
        .iter()
        .chain(d.exclusions.iter().flat_map(|x| &x.because))
        .flat_map(|f| &f.triggers)
        .any(|t| t.question == question)
}

fn excluded_by(d: &Decision, what: &str, rule: &str) -> bool {
    d.exclusions
        .iter()
        .any(|x| x.what == what && x.because.iter().any(|f| f.rule == rule))
}

fn report_type(r: &Recommendation, report: Report) -> Option<ReportType> {
    r.plan(report).and_then(|p| p.report_type)
}

fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_else(|e| panic!("{s}: {e}"))
}

#[test]
fn s1_payroll_provider_needs_both_type2_with_privacy() {
    let s = example("s1-payroll-provider.toml");
    let r = recommend(&s);
    assert_eq!(r.verdict, Verdict::Both);
    assert!(
        !r.provisional,
        "every decision settled: {:?}",
        r.open_questions
    );
    assert_eq!(
        r.soc2_categories,
        vec![
            Category::Security,
            Category::Confidentiality,
            Category::Privacy
        ],
        "PI only if accuracy is an explicit commitment, which S1 does not make"
    );
    assert_eq!(report_type(&r, Report::Soc1), Some(ReportType::Type2));
    assert_eq!(report_type(&r, Report::Soc2), Some(ReportType::Type2));
    assert!(
        r.frameworks
            .iter()
            .any(|f| f.framework.as_deref() == Some("SOX")),
        "SOX-driven user auditors are noted as a related framework"
    );
    let verdict = decision(&r, "verdict");
    assert!(triggered_by(verdict, "fin_process"), "payroll drives SOC 1");
    assert!(
        !r.notes
            .iter()
            .any(|n| n.id == "report_soc1_demand_unconfirmed"),
        "user auditors ask: the SOC 1 demand is confirmed"
    );
    let privacy = decision(&r, "soc2.privacy");
    assert!(triggered_by(privacy, "personal_data") && triggered_by(privacy, "privacy_commitments"));
    assert!(triggered_by(decision(&r, "type.soc2"), "controls_months"));
    assert!(triggered_by(
        decision(&r, "type.soc1"),
        "fin_controls_months"
    ));
    assert!(
        !r.control_objectives.is_empty(),
        "payroll proposes SOC 1 control objectives"
    );
}

#[test]
fn s1_processing_integrity_follows_an_explicit_accuracy_commitment() {
    let q = builtin();
    let mut s = example("s1-payroll-provider.toml");
    let question = q.question("processing_accuracy").expect("question exists");
    s.set_answer(
        question,
        &EntityId::Engagement,
        Value::Text("yes".into()),
        Utc::now(),
    )
    .expect("valid answer");
    let r = recommend(&s);
    assert!(r.soc2_categories.contains(&Category::ProcessingIntegrity));
    assert_eq!(r.verdict, Verdict::Both);
    // Over a SOC 1 process, the accuracy promise is the SOC 1's subject: said so.
    assert!(r.notes.iter().any(|n| n.id == "report_accuracy_under_soc1"));
}

#[test]
fn s2_log_analytics_is_soc2_type1_without_privacy() {
    let r = recommend(&example("s2-log-analytics.toml"));
    assert_eq!(r.verdict, Verdict::Soc2);
    assert_eq!(
        r.soc2_categories,
        vec![
            Category::Security,
            Category::Availability,
            Category::Confidentiality
        ]
    );
    assert_eq!(report_type(&r, Report::Soc2), Some(ReportType::Type1));
    assert!(r.plan(Report::Soc1).is_none(), "no SOC 1 plan");
    // Type 1 now, then a Type 2 period of 3 to 6 months, with dates.
    let plan = r.plan(Report::Soc2).expect("plan");
    let type1 = plan.steps.iter().find_map(|s| match s {
        PlanStep::Type1 { as_of } => Some(*as_of),
        _ => None,
    });
    let (from, to) = plan
        .steps
        .iter()
        .find_map(|s| match s {
            PlanStep::Type2 { from, to, .. } => Some((*from, *to)),
            _ => None,
        })
        .expect("a Type 2 period follows");
    assert_eq!(type1, Some(from), "the period starts at the Type 1 date");
    let months = (to - from).num_days() / 30;
    assert!((3..=6).contains(&months), "{from} to {to}");
    assert!(
        r.systems
            .iter()
            .all(|s| s.verdict != Verdict::Soc1 && s.verdict != Verdict::Both)
    );
    assert!(triggered_by(decision(&r, "type.soc2"), "controls_months"));
    assert!(!r.soc2_categories.contains(&Category::Privacy));
    // Not SOC 1, with the reason named.
    assert!(excluded_by(
        decision(&r, "verdict"),
        "soc1",
        "sys_no_financial_process"
    ));
}

#[test]
fn s3_invoicing_is_soc1_and_svc_billing_has_its_gaps() {
    let r = recommend(&example("s3-billing-service-account.toml"));
    let invoicing = r
        .systems
        .iter()
        .find(|s| s.name == "Invoicing system")
        .expect("system");
    assert!(
        matches!(invoicing.verdict, Verdict::Soc1 | Verdict::Both),
        "{:?}",
        invoicing.verdict
    );
    assert!(fired(
        &invoicing.decision,
        "sys_soc1_changes_financial_data"
    ));
    assert!(triggered_by(&invoicing.decision, "fin_access"));

    let svc = r
        .identities
        .iter()
        .find(|i| i.name == "svc-billing")
        .expect("identity");
    assert!(svc.soc1, "it changes financial data");
    assert!(svc.soc2, "it reaches an in-scope system");
    let confirmed: Vec<&str> = svc
        .gaps
        .iter()
        .filter(|g| g.status == GapStatus::Confirmed)
        .map(|g| g.id.as_str())
        .collect();
    for want in [
        "no_owner",
        "no_rotation",
        "never_reviewed",
        "standing_privilege",
    ] {
        assert!(
            confirmed.contains(&want),
            "gap {want} missing from {confirmed:?}"
        );
    }
    let refs: Vec<&str> = svc
        .decision
        .rationale
        .iter()
        .flat_map(|f| f.references.iter().map(|r| r.as_str()))
        .collect();
    for cc in ["CC6.1", "CC6.2", "CC6.3"] {
        assert!(refs.contains(&cc), "{cc} cited: {refs:?}");
    }
}

#[test]
fn s4_internal_wiki_is_out_of_scope_and_says_why() {
    let r = recommend(&example("s4-internal-wiki.toml"));
    assert_eq!(r.verdict, Verdict::None);
    assert!(!r.provisional);
    let wiki = &r.systems[0];
    assert_eq!(wiki.verdict, Verdict::None);
    for q in ["customer_data", "outage_impact", "fin_process"] {
        assert!(triggered_by(&wiki.decision, q), "rationale names {q}");
    }
    assert!(r.plans.is_empty());
    // Every "no" names its reason, at the report level too.
    let verdict = decision(&r, "verdict");
    assert!(verdict.exclusions.iter().any(|x| x.what == "soc1"));
    assert!(verdict.exclusions.iter().any(|x| x.what == "soc2"));
}

#[test]
fn s5_nothing_decided_never_guesses() {
    let r = recommend(&example("s5-nothing-decided.toml"));
    assert_eq!(r.verdict, Verdict::Undetermined);
    assert!(r.soc2_categories.is_empty());
    assert!(r.plans.iter().all(|p| p.provisional));
    let open: Vec<&str> = decision(&r, "verdict")
        .open_questions
        .iter()
        .map(|o| o.question.as_str())
        .collect();
    assert!(open.contains(&"report_requesters"), "{open:?}");
    assert!(open.contains(&""), "asks for the inventory: {open:?}");
}

#[test]
fn s6_cloud_provider_is_a_carved_out_subservice_organisation() {
    let s = example("s6-cloud-subservice.toml");
    let r = recommend(&s);
    assert_eq!(r.subservices.len(), 1);
    let sub = &r.subservices[0];
    assert_eq!(sub.method, SubserviceMethod::CarveOut);
    assert!(!sub.csocs.is_empty(), "expected CSOCs listed");
    assert!(
        sub.evidence
            .iter()
            .any(|e| e.contains("SOC 2") && e.to_lowercase().contains("each year")),
        "{:?}",
        sub.evidence
    );
    let provider = r
        .systems
        .iter()
        .find(|x| x.subservice.is_some())
        .expect("provider");
    assert_eq!(provider.verdict, Verdict::None, "outside the boundary");

    // It does not, by itself, change the verdict: remove it and compare.
    let mut without = s.clone();
    without.remove_system(&provider.id, Utc::now());
    let r2 = recommend(&without);
    assert_eq!(r2.verdict, r.verdict);
    assert_eq!(r2.soc2_categories, r.soc2_categories);
    assert_eq!(
        report_type(&r2, Report::Soc2),
        report_type(&r, Report::Soc2)
    );
}

#[test]
fn s7_a_soc1_requested_without_relevance_is_a_finding_not_a_verdict() {
    let r = recommend(&example("s7-soc1-asked-nothing-financial.toml"));
    assert_eq!(
        r.verdict,
        Verdict::Soc2,
        "asking alone never makes it SOC 1"
    );
    assert_eq!(
        r.soc2_categories,
        vec![Category::Security, Category::Confidentiality]
    );
    assert_eq!(report_type(&r, Report::Soc2), Some(ReportType::Type2));
    let verdict = decision(&r, "verdict");
    assert!(excluded_by(verdict, "soc1", "sys_no_financial_process"));
    assert!(excluded_by(verdict, "soc1", "id_not_soc1"));
    let finding = r
        .findings
        .iter()
        .find(|f| f.id == "report_soc1_requested_not_relevant")
        .expect("the request is a finding to take back");
    assert!(
        finding
            .triggers
            .iter()
            .any(|t| t.question == "report_requesters")
    );
    assert!(r.plan(Report::Soc1).is_none(), "no SOC 1 plan");
}

#[test]
fn s8_each_report_has_its_own_type_and_dated_plan() {
    let r = recommend(&example("s8-new-financial-module.toml"));
    assert_eq!(r.verdict, Verdict::Both);
    assert_eq!(
        r.soc2_categories,
        vec![Category::Security, Category::Availability]
    );
    assert_eq!(report_type(&r, Report::Soc2), Some(ReportType::Type2));
    assert_eq!(report_type(&r, Report::Soc1), Some(ReportType::Type1));

    // SOC 2: a renewal, following on from the last period with no gap.
    let soc2 = r.plan(Report::Soc2).expect("SOC 2 plan");
    assert_eq!(soc2.first, Some(false));
    assert!(
        soc2.steps.iter().any(|s| matches!(
            s,
            PlanStep::Type2 { from, follows_on: true, .. } if *from == date("2026-10-01")
        )),
        "{:?}",
        soc2.steps
    );
    assert!(
        !soc2
            .steps
            .iter()
            .any(|s| matches!(s, PlanStep::Readiness { .. }))
    );

    // SOC 1: a first examination: readiness, a Type 1 date, then a Type 2 period ending on a
    // 31 December, with a bridge letter. From the workshop date, 2026-12-01.
    let soc1 = r.plan(Report::Soc1).expect("SOC 1 plan");
    assert_eq!(soc1.first, Some(true));
    let readiness = soc1.steps.iter().find_map(|s| match s {
        PlanStep::Readiness { from, to } => Some((*from, *to)),
        _ => None,
    });
    let (from, ready) = readiness.expect("a readiness assessment first");
    assert_eq!(from, date("2026-12-01"));
    assert!(soc1.steps.contains(&PlanStep::Type1 { as_of: ready }));
    let end = soc1.steps.iter().find_map(|s| match s {
        PlanStep::Type2 { to, .. } => Some(*to),
        _ => None,
    });
    let end = end.expect("a Type 2 period follows");
    assert_eq!((end.format("%m-%d").to_string()), "12-31");
    assert!(end > ready);
    assert!(
        soc1.steps
            .iter()
            .any(|s| matches!(s, PlanStep::BridgeLetter { .. }))
    );
    assert!(triggered_by(
        decision(&r, "type.soc1"),
        "fin_controls_months"
    ));
}

#[test]
fn s9_the_platform_provider_is_one_subservice_organisation_and_the_api_key_stays_in_scope() {
    let s = example("s9-software-on-a-platform.toml");
    let r = recommend(&s);
    assert_eq!(r.verdict, Verdict::Soc2);
    assert_eq!(
        r.soc2_categories,
        vec![Category::Security, Category::Availability]
    );
    // The provider appears once, linked to every system that runs on it.
    let named: Vec<&str> = r
        .subservices
        .iter()
        .map(|x| x.system.name.as_str())
        .collect();
    assert_eq!(named, ["CloudCo", "MailRelay (e-mail delivery)"]);
    let cloud = &r.subservices[0];
    assert_eq!(cloud.method, SubserviceMethod::CarveOut);
    let hosts: Vec<&str> = cloud.supports.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(
        hosts,
        [
            "Scheduling app",
            "Scheduling database",
            "Notification service"
        ]
    );
    assert_eq!(
        cloud.needs,
        [Report::Soc2],
        "carved out of a SOC 2: its SOC 2"
    );
    assert!(
        cloud.csocs.iter().any(|c| c.contains("Physical access")),
        "a host's data centres are among what we rely on: {:?}",
        cloud.csocs
    );
    assert!(
        cloud
            .evidence
            .iter()
            .any(|e| e.contains("SOC 2") && e.contains("each year")),
        "{:?}",
        cloud.evidence
    );
    // The e-mail vendor hosts nothing: no data-centre controls expected of it. The notification
    // service names it as a service it uses.
    let mail = &r.subservices[1];
    assert!(mail.supports.is_empty());
    let users: Vec<&str> = mail.used_by.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(users, ["Notification service"]);
    assert!(!mail.csocs.iter().any(|c| c.contains("Physical access")));
    // Both reports are held and current: no finding about them.
    assert!(
        !r.findings
            .iter()
            .any(|f| f.rule.starts_with("sys_subservice_missing")),
        "{:?}",
        r.findings
    );
    // The API key the notification service uses to call the carved-out vendor stays in scope.
    let key = r
        .identities
        .iter()
        .find(|i| i.name == "MailRelay API key")
        .expect("the API key");
    assert!(key.soc2, "our key at a carved-out vendor is ours to govern");
    assert!(fired(&key.decision, "id_subservice_account"));
    // Customers' own controls and the GDPR processor note are there.
    assert!(r.cuecs.iter().any(|c| c.text.contains("their own users")));
    assert!(
        r.frameworks
            .iter()
            .any(|f| f.framework.as_deref() == Some("GDPR")),
        "{:?}",
        r.frameworks
    );
    // Entity-level controls: per in-scope system, and programme-wide with their owner.
    let app = r
        .evidence_plan
        .iter()
        .find(|e| e.subject.name == "Scheduling app")
        .expect("the app's evidence");
    for kind in [
        "change_tickets",
        "vulnerability_management",
        "monitoring_alerts",
    ] {
        assert!(app.tasks.iter().any(|t| t.id == kind), "{kind}");
    }
    let programme = r
        .evidence_plan
        .iter()
        .find(|e| e.subject.id.is_empty())
        .expect("programme-wide evidence");
    assert_eq!(
        programme.owner.as_deref(),
        Some("Head of Security (Priya Nair)")
    );
    for kind in ["risk_assessment", "incident_response", "vendor_management"] {
        assert!(programme.tasks.iter().any(|t| t.id == kind), "{kind}");
    }
}

#[test]
fn a_key_that_reaches_only_a_carved_out_vendor_stays_in_scope_with_its_gaps() {
    let mut s = example("s9-software-on-a-platform.toml");
    let key = s
        .identities
        .iter()
        .position(|i| i.name == "MailRelay API key")
        .expect("key");
    let mail = s
        .systems
        .iter()
        .find(|x| x.name.starts_with("MailRelay"))
        .expect("vendor")
        .id
        .clone();
    s.identities[key].systems = vec![mail];
    let r = recommend(&s);
    let key = &r.identities[key];
    assert_eq!(
        key.verdict,
        Verdict::Soc2,
        "observed: it fell to \"out of scope\""
    );
    assert!(
        key.gaps.iter().any(|g| g.id == "standing_privilege"),
        "its gaps are evidence: {:?}",
        key.gaps
    );
    assert!(
        r.evidence_plan
            .iter()
            .any(|e| e.subject.name == "MailRelay API key"),
        "and it is in the evidence plan"
    );
}

#[test]
fn a_vendor_carved_out_of_a_soc1_owes_its_soc1_report() {
    // S8: both financial systems run on AWS, from which only a SOC 2 is held.
    let r = recommend(&example("s8-new-financial-module.toml"));
    let aws = r
        .subservices
        .iter()
        .find(|x| x.system.name == "Amazon Web Services")
        .expect("AWS is a subservice organisation");
    assert_eq!(aws.needs, [Report::Soc1, Report::Soc2]);
    let missing = r
        .findings
        .iter()
        .find(|f| f.rule == "sys_subservice_missing_soc1")
        .expect("a finding: no SOC 1 from the host of a SOC 1 system");
    assert_eq!(missing.references, ["CC9.2"]);
    assert_eq!(
        missing.subject.as_ref().map(|e| e.name.as_str()),
        Some("Amazon Web Services")
    );
    assert!(
        !r.findings
            .iter()
            .any(|f| f.rule == "sys_subservice_missing_soc2")
    );
}

#[test]
fn a_vendor_report_not_yet_recorded_is_an_open_question() {
    let mut s = example("s9-software-on-a-platform.toml");
    let q = builtin();
    let cloud = s
        .systems
        .iter()
        .position(|x| x.name == "CloudCo")
        .expect("CloudCo");
    s.systems[cloud].answers.remove("vendor_reports");
    s.systems[cloud].answers.remove("vendor_report_period_end");
    let r = socscope::engine::recommend(&q, &s);
    let sub = &r.subservices[0];
    assert!(
        sub.open_questions
            .iter()
            .any(|o| o.question == "vendor_reports"),
        "{:?}",
        sub.open_questions
    );
    assert!(
        r.open_questions
            .iter()
            .any(|o| o.question == "vendor_reports")
    );
    // Recorded as none: a finding, naming the criterion.
    let none = q.question("vendor_reports").expect("question");
    s.set_answer(
        none,
        &socscope::session::EntityId::System(s.systems[cloud].id.clone()),
        socscope::session::Value::List(vec!["none".into()]),
        Utc::now(),
    )
    .expect("answer");
    let r = socscope::engine::recommend(&q, &s);
    assert!(
        r.findings
            .iter()
            .any(|f| f.rule == "sys_subservice_missing_soc2" && f.references == ["CC9.2"])
    );
}

#[test]
fn a_vendor_report_older_than_a_year_is_a_finding() {
    let mut s = example("s9-software-on-a-platform.toml");
    let q = builtin();
    let mail = s
        .systems
        .iter()
        .position(|x| x.name.starts_with("MailRelay"))
        .expect("MailRelay");
    let question = q.question("vendor_report_period_end").expect("question");
    let id = socscope::session::EntityId::System(s.systems[mail].id.clone());
    s.set_answer(
        question,
        &id,
        socscope::session::Value::Text("2025-06-30".into()),
        Utc::now(),
    )
    .expect("answer");
    let r = socscope::engine::recommend(&q, &s);
    assert!(
        r.findings
            .iter()
            .any(|f| f.rule == "sys_vendor_report_out_of_date"),
        "{:?}",
        r.findings
    );
}

#[test]
fn s10_conflicting_answers_are_shown_and_keep_decisions_provisional() {
    let s = example("s10-conflicting-answers.toml");
    let r = recommend(&s);
    assert_eq!(r.conflicts.len(), 1, "{:?}", r.conflicts);
    let c = &r.conflicts[0];
    let questions: Vec<(&str, &str)> = c
        .answers
        .iter()
        .map(|t| (t.entity.name.as_str(), t.question.as_str()))
        .collect();
    assert!(questions.contains(&("billing-sync service account", "changes_financial_data")));
    assert!(questions.contains(&("Billing sync", "fin_access")));
    assert!(decision(&r, "verdict").provisional, "the verdict waits");
    assert!(decision(&r, "verdict").conflicts.contains(&0));
    let system = r
        .systems
        .iter()
        .find(|x| x.name == "Billing sync")
        .expect("system");
    assert!(system.decision.provisional && system.decision.conflicts.contains(&0));
    assert!(r.provisional);

    // It stands until one of the answers changes; then it is gone.
    let q = builtin();
    let mut fixed = s.clone();
    let sid = fixed
        .systems
        .iter()
        .find(|x| x.name == "Billing sync")
        .map(|x| x.id.clone());
    let access = q.question("fin_access").expect("question");
    fixed
        .set_answer(
            access,
            &EntityId::System(sid.expect("system id")),
            Value::Text("can_change".into()),
            Utc::now(),
        )
        .expect("valid");
    let r = recommend(&fixed);
    assert!(r.conflicts.is_empty());
}

/// An identity that changes financial data on one system and only passes it on through another
/// (an invoicing service and the sync that transmits its entries) is not a contradiction: it
/// changes the data where it can. Found by a facilitator run: the false conflict kept the verdict
/// provisional although nothing could flip it.
#[test]
fn changing_financial_data_on_one_system_and_passing_it_through_another_is_no_conflict() {
    let q = builtin();
    let mut s = example("s10-conflicting-answers.toml");
    let now = Utc::now();
    let invoicing = s.add_system("Invoicing service", now);
    let e = EntityId::System(invoicing.clone());
    for (qid, v) in [
        ("operated_by", "in_house"),
        ("customer_data", "yes"),
        ("fin_access", "can_change"),
    ] {
        s.set_answer(
            q.question(qid).expect("question"),
            &e,
            Value::Text(v.into()),
            now,
        )
        .expect("valid");
    }
    s.set_answer(
        q.question("fin_process").expect("question"),
        &e,
        Value::List(vec!["billing".into()]),
        now,
    )
    .expect("valid");
    let id = s
        .identities
        .iter()
        .position(|i| i.name == "billing-sync service account")
        .expect("identity");
    s.identities[id].systems.push(invoicing);
    let r = recommend(&s);
    assert!(r.conflicts.is_empty(), "{:?}", r.conflicts);
    assert!(
        !decision(&r, "verdict").provisional,
        "nothing can change which report"
    );
}

#[test]
fn s11_unknown_evidence_is_unverified_never_no_gap() {
    let r = recommend(&example("s11-unverified-evidence.toml"));
    let group = r
        .identities
        .iter()
        .find(|i| i.name.starts_with("Platform admins"))
        .expect("group");
    let unverified: Vec<&str> = group
        .gaps
        .iter()
        .filter(|g| g.status == GapStatus::Unverified)
        .map(|g| g.id.as_str())
        .collect();
    assert!(unverified.contains(&"never_reviewed"), "{unverified:?}");
    assert!(
        unverified.contains(&"no_revocation_record"),
        "{unverified:?}"
    );
    assert!(
        !group
            .gaps
            .iter()
            .any(|g| g.status == GapStatus::Confirmed && g.id == "no_mfa"),
        "MFA is enforced"
    );
    let token = r
        .identities
        .iter()
        .find(|i| i.name.starts_with("Deploy token"))
        .expect("token");
    let confirmed: Vec<&str> = token
        .gaps
        .iter()
        .filter(|g| g.status == GapStatus::Confirmed)
        .map(|g| g.id.as_str())
        .collect();
    assert!(
        confirmed.contains(&"rotation_policy_not_followed"),
        "{confirmed:?}"
    );
    assert!(confirmed.contains(&"custody"), "{confirmed:?}");
    let (c, u) = r.gap_counts();
    assert!(
        c >= 2 && u >= 2,
        "counted apart: {c} confirmed, {u} unverified"
    );
    // The evidence plan says what to establish first.
    assert!(
        r.evidence_plan
            .iter()
            .filter(|e| e.subject.name.starts_with("Platform admins"))
            .flat_map(|e| &e.tasks)
            .any(|t| t.establish_first),
        "unverified evidence is marked to establish first"
    );
}

#[test]
fn recommendation_is_deterministic() {
    let s = example("s1-payroll-provider.toml");
    assert_eq!(recommend(&s), recommend(&s));
}

/// Nobody has asked for a report, yet S3's invoicing system still calls for a SOC 1 (relevance,
/// with "demand not yet confirmed"): the Type questions are still asked, and while they are
/// unanswered the Type is provisional, never settled.
#[test]
fn a_report_called_for_without_requesters_still_asks_its_type() {
    let q = builtin();
    let mut s = example("s3-billing-service-account.toml");
    let who = q.question("report_requesters").expect("question");
    s.set_answer(
        who,
        &EntityId::Engagement,
        Value::List(vec!["none_yet".into()]),
        chrono::Utc::now(),
    )
    .expect("valid");
    s.engagement.remove("controls_months");
    // Customers that reconcile what we send make whether anyone relies on us the question
    // (tested with the Relaymint fixture); here nothing on their side does.
    s.set_answer(
        q.question("customer_duties").expect("question"),
        &EntityId::Engagement,
        Value::List(vec!["manage_users".into()]),
        chrono::Utc::now(),
    )
    .expect("valid");
    let (r, eval) = socscope::engine::recommend_with_evaluation(&q, &s);
    assert!(
        matches!(r.verdict, Verdict::Soc1 | Verdict::Both),
        "the invoicing system calls for a SOC 1: {:?}",
        r.verdict
    );
    assert!(
        r.notes
            .iter()
            .any(|n| n.id == "report_soc1_demand_unconfirmed")
    );
    let months = q.question_index("controls_months").expect("question");
    assert!(
        eval.visibility()
            .shown(socscope::questionnaire::condition::EntityKey::Engagement)
            .contains(&months),
        "the months of operation are still asked"
    );
    let t = decision(&r, "type.soc2");
    assert!(t.provisional, "{t:?}");
}

/// Relevance, not demand: a SOC 1-only engagement stays SOC 1 when an accuracy promise is
/// added (it only chooses a category once a SOC 2 is called for).
#[test]
fn an_accuracy_promise_alone_never_calls_for_a_soc2() {
    let q = builtin();
    let mut s = example("s3-billing-service-account.toml");
    let set = |s: &mut socscope::session::Session, id: &str, v: Value| {
        let question = q.question(id).expect("question");
        s.set_answer(question, &EntityId::Engagement, v, Utc::now())
            .expect("valid");
    };
    set(
        &mut s,
        "report_requesters",
        Value::List(vec!["user_auditors".into()]),
    );
    set(&mut s, "confidential_data", Value::Text("no".into()));
    set(&mut s, "processing_accuracy", Value::Text("yes".into()));
    // svc-billing acts in customers' ledgers, which alone calls for nothing once no SOC 2 is
    // called for.
    let r = recommend(&s);
    assert_eq!(r.verdict, Verdict::Soc1, "{:?}", r.decisions[0]);
    assert!(excluded_by(
        decision(&r, "verdict"),
        "soc2",
        "eng_no_soc2_call"
    ));
    assert!(
        r.notes
            .iter()
            .any(|n| n.id == "report_commitments_without_soc2")
    );
}

#[test]
fn cuecs_and_their_criteria_follow_the_categories_in_scope() {
    // S9: customers are controllers of personal data, but Privacy is not included (no privacy
    // commitments): no Privacy CUEC, and no CUEC cites a P criterion.
    let r = recommend(&example("s9-software-on-a-platform.toml"));
    assert!(!r.soc2_categories.contains(&Category::Privacy));
    assert!(
        !r.cuecs
            .iter()
            .any(|c| c.rule == "cuec_controller_notice_consent"),
        "observed: the controller's notice-and-consent CUEC, citing P2.1 and P3.1, with Privacy out of scope"
    );
    for c in &r.cuecs {
        assert!(
            !c.references.iter().any(|x| x.starts_with('P')),
            "{}: {:?}",
            c.text,
            c.references
        );
    }
    assert!(r.cuecs.iter().any(|c| c.text.contains("their own users")));
    // S1: Privacy is included, so the controller's CUEC is listed with its criteria; input
    // authorisation serves the SOC 1 and stays, without the Processing Integrity criterion of
    // a category S1 does not include.
    let r = recommend(&example("s1-payroll-provider.toml"));
    let consent = r
        .cuecs
        .iter()
        .find(|c| c.rule == "cuec_controller_notice_consent")
        .expect("Privacy in scope: the controller's CUEC");
    assert_eq!(consent.references, ["P2.1", "P3.1"]);
    let input = r
        .cuecs
        .iter()
        .find(|c| c.rule == "cuec_authorise_input")
        .expect("a SOC 1 CUEC");
    assert!(input.references.is_empty(), "{:?}", input.references);
}

#[test]
fn a_vendor_service_used_by_a_soc1_system_is_a_subservice_organisation_owing_its_soc1() {
    // S8: the card reimbursement service (SOC 1) pays out through a payments vendor it calls.
    let q = builtin();
    let mut s = example("s8-new-financial-module.toml");
    let card = s
        .systems
        .iter()
        .find(|x| x.name == "Card reimbursement service")
        .expect("the SOC 1 system")
        .id
        .clone();
    let uses = q
        .question("vendor_services")
        .expect("a question naming the vendor services a system uses");
    assert!(
        uses.creates.is_some(),
        "it names systems, like the hosting question"
    );
    s.set_answer(
        uses,
        &EntityId::System(card),
        Value::Text("PayOutCo".into()),
        Utc::now(),
    )
    .expect("answer");
    // "none" names no vendor.
    let n = s.systems.len();
    let platform = s.systems[0].id.clone();
    s.set_answer(
        uses,
        &EntityId::System(platform),
        Value::Text("None".into()),
        Utc::now(),
    )
    .expect("answer");
    assert_eq!(
        s.systems.len(),
        n,
        "{:?}",
        s.systems.last().map(|x| &x.name)
    );
    let vendor = s
        .systems
        .iter()
        .find(|x| x.name == "PayOutCo")
        .expect("the vendor joins the inventory")
        .id
        .clone();
    // Triaged as a vendor: customer data flows through it, and it makes the payments.
    let triage = q.question("customer_data").expect("question");
    s.set_answer(
        triage,
        &EntityId::System(vendor.clone()),
        Value::Text("yes".into()),
        Utc::now(),
    )
    .expect("answer");
    let process = q.question("fin_process").expect("question");
    s.set_answer(
        process,
        &EntityId::System(vendor),
        Value::List(vec!["payments".into()]),
        Utc::now(),
    )
    .expect("answer");
    let r = socscope::engine::recommend(&q, &s);
    let pay = r
        .subservices
        .iter()
        .find(|x| x.system.name == "PayOutCo")
        .expect("a subservice organisation");
    assert_eq!(pay.method, SubserviceMethod::CarveOut);
    let users: Vec<&str> = pay.used_by.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(users, ["Card reimbursement service"]);
    assert!(pay.supports.is_empty(), "it hosts none of our systems");
    assert_eq!(
        pay.needs,
        [Report::Soc1, Report::Soc2],
        "used by a SOC 1 system for a financially relevant process: its SOC 1 too"
    );
    assert!(
        !pay.csocs.iter().any(|c| c.contains("Physical access")),
        "no data-centre controls from a vendor that hosts nothing: {:?}",
        pay.csocs
    );
    // The host keeps its data-centre controls.
    let aws = r
        .subservices
        .iter()
        .find(|x| x.system.name == "Amazon Web Services")
        .expect("AWS");
    assert!(aws.csocs.iter().any(|c| c.contains("Physical access")));
}

#[test]
fn a_group_whose_membership_is_reviewed_behind_mfa_has_no_standing_privilege_gap() {
    // S9's production admins: admin privilege held standing, MFA enforced, membership reviewed.
    let r = recommend(&example("s9-software-on-a-platform.toml"));
    let admins = r
        .identities
        .iter()
        .find(|i| i.name == "Production admins")
        .expect("the group");
    assert!(
        !admins.gaps.iter().any(|g| g.id == "standing_privilege"),
        "observed: flagged because only an individual's access review was looked at: {:?}",
        admins.gaps
    );
    // The API key, reviewed but without MFA, keeps the gap.
    let key = r
        .identities
        .iter()
        .find(|i| i.name == "MailRelay API key")
        .expect("the key");
    assert!(key.gaps.iter().any(|g| g.id == "standing_privilege"));
}

// ---- Spendwise (the round-three client narrative): expense management posting journal
// entries into customers' ledgers; Azure, Twilio, Stripe Issuing; months of records unknown.

fn spendwise() -> socscope::session::Session {
    let (s, notices) = common::fixture("spendwise.toml");
    assert!(notices.is_empty(), "{notices:?}");
    s
}

fn set_on(s: &mut socscope::session::Session, e: &EntityId, id: &str, v: Value) {
    let q = builtin();
    let question = q.question(id).unwrap_or_else(|| panic!("question {id}"));
    s.set_answer(question, e, v, Utc::now())
        .unwrap_or_else(|err| panic!("{id}: {err}"));
}

fn identity<'a>(r: &'a Recommendation, name: &str) -> &'a socscope::engine::IdentityResult {
    r.identities
        .iter()
        .find(|i| i.name == name)
        .unwrap_or_else(|| panic!("no identity {name}"))
}

fn scenario(p: &socscope::engine::ReportPlan, t: ReportType) -> &socscope::engine::Scenario {
    p.scenarios
        .iter()
        .find(|x| x.report_type == t)
        .unwrap_or_else(|| panic!("no {t:?} scenario in {:?}", p.scenarios))
}

#[test]
fn unknown_months_of_records_plan_each_case_not_the_worst_one() {
    let s = spendwise();
    let r = recommend(&s);
    let soc2 = r.plan(Report::Soc2).expect("SOC 2 plan");
    assert_eq!(soc2.report_type, None, "the months are unknown");
    // The plan does not pretend the worst case: no deadline verdict outside the scenarios.
    assert!(
        !soc2
            .steps
            .iter()
            .any(|st| matches!(st, PlanStep::Deadline { .. })),
        "{:?}",
        soc2.steps
    );
    let t1 = scenario(soc2, ReportType::Type1);
    let t2 = scenario(soc2, ReportType::Type2);
    assert!(
        t1.when.iter().any(|w| w.contains("under 3 months")),
        "{:?}",
        t1.when
    );
    assert!(
        t2.when.iter().any(|w| w.contains("6 months")),
        "{:?}",
        t2.when
    );
    // Each scenario is the plan the answer it names gives.
    for (months, t) in [
        (2.0, ReportType::Type1),
        (4.0, ReportType::Type1),
        (8.0, ReportType::Type2),
    ] {
        let mut s = s.clone();
        set_on(
            &mut s,
            &EntityId::Engagement,
            "controls_months",
            Value::Number(months),
        );
        let r = recommend(&s);
        let p = r.plan(Report::Soc2).expect("plan");
        assert_eq!(p.report_type, Some(t), "{months} months");
        assert!(p.scenarios.is_empty(), "settled: {:?}", p.scenarios);
        assert_eq!(p.steps, scenario(soc2, t).steps, "{months} months");
    }
    // The memo says what each case gives by the board's date, and lists the question as open.
    let m = socscope::report::memo::build(&builtin(), &s, &r);
    let line = m
        .reports
        .iter()
        .find(|x| x.report == Report::Soc2)
        .expect("SOC 2 line");
    assert!(
        line.period
            .contains("If the key controls have under 3 months"),
        "{}",
        line.period
    );
    assert!(
        line.period.contains("Type 1 as of 2027-01-12"),
        "{}",
        line.period
    );
    let steps: Vec<&str> = m.next_steps.iter().map(|x| x.text.as_str()).collect();
    assert!(
        steps.contains(&"Needed by 2027-09-30: the Type 2 report can be in hand (SOC 2)"),
        "every case gives the Type 2 by then: {steps:?}"
    );
    assert!(
        !steps
            .iter()
            .any(|t| t.contains("readiness assessment letter") && t.contains("SOC 2")),
        "{steps:?}"
    );
    assert!(
        r.open_questions
            .iter()
            .any(|o| o.question == "controls_months"),
        "{:?}",
        r.open_questions
    );
}

#[test]
fn the_customers_year_end_dates_every_soc1_scenario() {
    let s = spendwise();
    let r = recommend(&s);
    let soc1 = r.plan(Report::Soc1).expect("SOC 1 plan");
    assert_eq!(soc1.report_type, None);
    assert_eq!(soc1.scenarios.len(), 2, "{:?}", soc1.scenarios);
    for sc in &soc1.scenarios {
        let end = sc.steps.iter().find_map(|st| match st {
            PlanStep::Type2 { to, .. } => Some(*to),
            _ => None,
        });
        assert_eq!(end, Some(date("2027-12-31")), "{:?}", sc.steps);
        assert!(
            sc.steps.iter().any(|st| matches!(
                st,
                PlanStep::BridgeLetter { year_end, .. } if year_end == "12-31"
            )),
            "{:?}",
            sc.steps
        );
    }
    // With the months known on every financial system, the plan is that scenario's.
    let mut known = s.clone();
    for x in s
        .systems
        .iter()
        .filter(|x| x.answers.contains_key("fin_controls_months"))
    {
        set_on(
            &mut known,
            &EntityId::System(x.id.clone()),
            "fin_controls_months",
            Value::Number(9.0),
        );
    }
    let r2 = recommend(&known);
    let p = r2.plan(Report::Soc1).expect("plan");
    assert_eq!(p.report_type, Some(ReportType::Type2));
    assert_eq!(p.steps, scenario(soc1, ReportType::Type2).steps);
}

#[test]
fn a_processor_with_a_privacy_notice_leaves_privacy_to_its_customers() {
    let s = spendwise();
    let r = recommend(&s);
    assert!(
        !r.soc2_categories.contains(&Category::Privacy),
        "{:?}",
        r.soc2_categories
    );
    assert!(r.soc2_categories.contains(&Category::Confidentiality));
    let privacy = decision(&r, "soc2.privacy");
    assert!(
        excluded_by(privacy, "privacy", "eng_privacy_processor"),
        "the reason names the processor answer: {:?}",
        privacy.exclusions
    );
    assert!(triggered_by(privacy, "customer_controller"));
    // Personal information it collects under its own notice brings Privacy in.
    let mut own = s.clone();
    set_on(
        &mut own,
        &EntityId::Engagement,
        "privacy_own_notice",
        Value::Text("yes".into()),
    );
    assert!(recommend(&own).soc2_categories.contains(&Category::Privacy));
}

#[test]
fn a_vendor_owes_a_soc1_only_for_processing_relevant_to_financial_reporting() {
    let r = recommend(&spendwise());
    let needs = |name: &str| {
        r.subservices
            .iter()
            .find(|x| x.system.name == name)
            .unwrap_or_else(|| panic!("{name} is a subservice organisation"))
            .needs
            .clone()
    };
    // Twilio sends SMS codes for a SOC 1 system: no financial processing, so only its SOC 2.
    assert_eq!(needs("Twilio"), [Report::Soc2]);
    assert!(
        !r.findings
            .iter()
            .any(|f| f.rule == "sys_subservice_missing_soc1"
                && f.subject.as_ref().is_some_and(|e| e.name == "Twilio")),
        "{:?}",
        r.findings
    );
    // Card issuing is a financially relevant process; Azure runs the SOC 1 systems.
    assert_eq!(needs("Stripe Issuing"), [Report::Soc1, Report::Soc2]);
    assert_eq!(needs("Microsoft Azure"), [Report::Soc1, Report::Soc2]);
}

#[test]
fn a_session_saved_with_the_previous_questionnaire_still_opens_whole() {
    let (s, notices) = common::fixture("s1-questionnaire-2.2.0.toml");
    assert!(notices.is_empty(), "nothing kept aside: {notices:?}");
    assert_eq!(s.questionnaire.version, "2.2.0");
    let current = example("s1-payroll-provider.toml");
    for (id, a) in &s.engagement {
        assert_eq!(
            current.engagement.get(id).map(|x| &x.value),
            Some(&a.value),
            "{id}"
        );
    }
    // The new question is asked, and Privacy waits for it instead of being guessed.
    let r = recommend(&s);
    assert!(
        r.open_questions
            .iter()
            .any(|o| o.question == "privacy_own_notice"),
        "{:?}",
        r.open_questions
    );
    assert!(decision(&r, "soc2.privacy").provisional);
    assert_eq!(r.verdict, Verdict::Both);
}

#[test]
fn which_vendor_reports_are_held_is_the_choices_report_attribute_not_its_id() {
    // A questionnaire with a SOC 2 choice whose id says nothing, and a choice whose id looks
    // like a SOC report but is not one.
    let anchor = "{ id = \"iso27001\",";
    let src = socscope::questionnaire::BUILTIN_SOURCE.replacen(
        anchor,
        &format!(
            "{{ id = \"assurance_t2\", label = \"Type 2 report on its controls\", report = \"soc2\" }},\n  \
             {{ id = \"soc2_bridge_letter\", label = \"Only a bridge letter\" }},\n  {anchor}"
        ),
        1,
    );
    assert_ne!(src, socscope::questionnaire::BUILTIN_SOURCE);
    let q = socscope::questionnaire::load("renamed.toml", &src).expect("loads");
    let s = example("s9-software-on-a-platform.toml");
    let mail = s
        .systems
        .iter()
        .find(|x| x.name.starts_with("MailRelay"))
        .expect("MailRelay")
        .id
        .clone();
    let question = q.question("vendor_reports").expect("question");
    let held = |ids: &[&str]| {
        let mut s = s.clone();
        s.set_answer(
            question,
            &EntityId::System(mail.clone()),
            Value::List(ids.iter().map(|x| x.to_string()).collect()),
            Utc::now(),
        )
        .expect("answer");
        let r = socscope::engine::recommend(&q, &s);
        r.subservices
            .iter()
            .find(|x| x.system.id == mail)
            .expect("MailRelay is a subservice organisation")
            .held
            .clone()
    };
    assert_eq!(held(&["assurance_t2"]), [Report::Soc2]);
    assert_eq!(held(&["soc2_bridge_letter"]), Vec::<Report>::new());
    assert_eq!(held(&["soc2_type2"]), [Report::Soc2]);
}

#[test]
fn cuecs_follow_what_the_systems_do_and_an_unanswered_cuec_question_is_open() {
    let s = spendwise();
    let r = recommend(&s);
    let from = |rule: &str| r.cuecs.iter().filter(|c| c.rule == rule).count();
    // Journal entries posted into customers' ledgers: approval, review and reconciliation, and
    // the account mapping, are the customers' side of a SOC 1 over postings.
    assert_eq!(from("cuec_posted_entries"), 3, "{:?}", r.cuecs);
    assert!(
        r.cuecs
            .iter()
            .any(|c| c.text.contains("review the journal entries we post"))
    );
    assert!(
        from("cuec_payments") > 0,
        "refunds and card payments: {:?}",
        r.cuecs
    );
    // Nobody said what customers do for themselves: the list is not complete, and says so.
    assert!(
        r.open_questions
            .iter()
            .any(|o| o.question == "customer_duties"),
        "{:?}",
        r.open_questions
    );
    let mut answered = s.clone();
    set_on(
        &mut answered,
        &EntityId::Engagement,
        "customer_duties",
        Value::List(vec!["review_output".into()]),
    );
    let r = recommend(&answered);
    assert!(
        !r.open_questions
            .iter()
            .any(|o| o.question == "customer_duties")
    );
    // The journal-entry review is what "review what we return" means for postings: the
    // specific CUEC supersedes the general one (Relaymint audit), never both.
    assert!(
        !r.cuecs.iter().any(|c| c.rule == "cuec_review_output"),
        "{:?}",
        r.cuecs
    );
    assert!(
        r.cuecs
            .iter()
            .any(|c| c.text.contains("review the journal entries we post"))
    );
    // Without postings, the general one stands.
    assert!(
        recommend(&example("s1-payroll-provider.toml"))
            .cuecs
            .iter()
            .any(|c| c.rule == "cuec_review_output")
    );
    // A system that only reads financial data implies none of them.
    let s3 = recommend(&example("s7-soc1-asked-nothing-financial.toml"));
    assert!(!s3.cuecs.iter().any(|c| c.rule == "cuec_posted_entries"));
}

#[test]
fn a_secret_never_rotated_can_be_recorded_and_is_a_gap() {
    let s = spendwise();
    let r = recommend(&s);
    let principal = identity(&r, "ledger-sync service principal");
    let never = principal
        .gaps
        .iter()
        .find(|g| g.id == "never_rotated")
        .unwrap_or_else(|| panic!("{:?}", principal.gaps));
    assert_eq!(never.status, GapStatus::Confirmed);
    // Rotated once, date unknown: no "never" gap.
    let id = EntityId::Identity(
        s.identities
            .iter()
            .find(|i| i.name == "ledger-sync service principal")
            .expect("identity")
            .id
            .clone(),
    );
    let mut rotated = s.clone();
    set_on(&mut rotated, &id, "ever_rotated", Value::Text("yes".into()));
    let r = recommend(&rotated);
    let principal = identity(&r, "ledger-sync service principal");
    assert!(!principal.gaps.iter().any(|g| g.id == "never_rotated"));
    // A known date is never asked twice: S11's token (rotated 200 days ago) is not asked.
    let q = builtin();
    let s11 = example("s11-unverified-evidence.toml");
    let vis = socscope::engine::visibility(&q, &s11);
    let token = s11
        .identities
        .iter()
        .position(|i| i.answers.contains_key("last_rotated"))
        .expect("a token with a rotation date");
    let qi = q
        .questions
        .iter()
        .position(|x| x.id == "ever_rotated")
        .expect("question");
    assert_eq!(
        vis.identities[token][qi],
        socscope::questionnaire::condition::Tri::False
    );
}

/// An unverified standing-privilege gap is worded for whichever answer is open: a group answered
/// "standing: yes" whose review is unknown does not read "whether its privilege is standing is
/// not known" (Relaymint QA, a break-glass account).
#[test]
fn an_unverified_gap_does_not_doubt_the_answer_that_was_given() {
    let q = builtin();
    let mut s = example("s9-software-on-a-platform.toml");
    let admins = s
        .identities
        .iter()
        .find(|i| i.name == "Production admins")
        .map(|i| i.id.clone())
        .expect("the group");
    let e = EntityId::Identity(admins);
    s.set_answer(
        q.question("membership_reviewed").expect("question"),
        &e,
        Value::Unknown,
        Utc::now(),
    )
    .expect("answer");
    let r = recommend(&s);
    let gap = r
        .identities
        .iter()
        .find(|i| i.name == "Production admins")
        .and_then(|i| {
            i.gaps
                .iter()
                .find(|g| g.id.as_ref() == "standing_privilege")
        })
        .cloned()
        .expect("an unverified standing-privilege gap");
    assert!(
        !gap.text.to_lowercase().contains("standing is not known"),
        "{}",
        gap.text
    );
    assert!(
        gap.unknown
            .iter()
            .any(|o| o.question.as_ref() == "membership_reviewed"),
        "{:?}",
        gap.unknown
    );
}

// ---- Relaymint (the round-four client narrative): a webhook-delivery API renewing a SOC 2
// Type 2 and adding Processing Integrity for a bank that needs the report by 31 March; a
// possible SOC 1; AWS, Datadog and Stripe Billing. Saved with questionnaire 2.2.0.

fn relaymint() -> socscope::session::Session {
    let (s, notices) = common::fixture("relaymint.toml");
    assert!(notices.is_empty(), "{notices:?}");
    s
}

fn system_id(s: &socscope::session::Session, name: &str) -> EntityId {
    EntityId::System(
        s.systems
            .iter()
            .find(|x| x.name == name)
            .unwrap_or_else(|| panic!("no system {name}"))
            .id
            .clone(),
    )
}

fn identity_id(s: &socscope::session::Session, name: &str) -> EntityId {
    EntityId::Identity(
        s.identities
            .iter()
            .find(|x| x.name == name)
            .unwrap_or_else(|| panic!("no identity {name}"))
            .id
            .clone(),
    )
}

fn memo_of(s: &socscope::session::Session) -> socscope::report::memo::Memo {
    socscope::report::memo::build(&builtin(), s, &recommend(s))
}

/// The system processes payments and can change them: financially relevant.
fn changes_payments(s: &mut socscope::session::Session, system: &EntityId) {
    set_on(
        s,
        system,
        "fin_process",
        Value::List(vec!["payments".into()]),
    );
    set_on(s, system, "fin_access", Value::Text("can_change".into()));
}

fn yes() -> Value {
    Value::Text("yes".into())
}

fn no() -> Value {
    Value::Text("no".into())
}

/// A 12-month renewal period cannot give the bank its report by 31 March: the plan says so
/// plainly and offers a short follow-on period reported by then, or a Type 1 (Relaymint audit:
/// the plan only said "send a management letter").
#[test]
fn a_deadline_the_plan_misses_is_said_with_the_ways_to_meet_it() {
    // Processing Integrity's controls have run since the period began: a short period fits.
    let s = relaymint_resumed(Some(yes()));
    let m = memo_of(&s);
    let soc2 = m
        .reports
        .iter()
        .find(|x| x.report == Report::Soc2)
        .expect("SOC 2 line");
    assert!(soc2.period.contains("misses 2027-03-31"), "{}", soc2.period);
    let steps: Vec<&str> = m.next_steps.iter().map(|x| x.text.as_str()).collect();
    assert!(
        steps
            .iter()
            .any(|t| t.starts_with("Needed by 2027-03-31: this plan misses it")),
        "{steps:?}"
    );
    assert!(
        !steps.iter().any(|t| t.contains("send a management letter")),
        "{steps:?}"
    );
    assert!(
        steps.contains(
            &"To meet 2027-03-31: a short Type 2 period 2026-10-01 to 2026-12-31 (3 months), its \
              report about 2027-02-11; the next period then follows on, 2027-01-01 to 2027-12-31"
        ),
        "{steps:?}"
    );
    assert!(
        steps
            .iter()
            .any(|t| t.starts_with("To meet 2027-03-31: a Type 1 report as of 2026-12-29")),
        "{steps:?}"
    );
    // A SOC 1 with a long enough record, needed by a board date: a Type 1 first.
    let mut soc1 = s.clone();
    let api = system_id(&s, "Event API and delivery workers");
    changes_payments(&mut soc1, &api);
    set_on(&mut soc1, &api, "fin_controls_months", Value::Number(9.0));
    set_on(&mut soc1, &EntityId::Engagement, "auditor_reliance", yes());
    let r = recommend(&soc1);
    let p = r.plan(Report::Soc1).expect("SOC 1 plan");
    let lines: Vec<String> = p
        .steps
        .iter()
        .chain(p.scenarios.iter().flat_map(|sc| &sc.steps))
        .map(|st| format!("{st:?}"))
        .collect();
    assert!(
        lines.iter().any(|l| l.contains("Type1First")),
        "a Type 1 first is offered: {lines:?}"
    );
}

/// A category the renewal adds, and a system launched during the period, enter the period
/// discussion (Relaymint audit: Processing Integrity's history and Replay's launch were never
/// asked).
#[test]
fn an_added_category_and_a_system_launched_mid_period_are_asked_and_found() {
    let q = builtin();
    let mut s = relaymint();
    set_on(
        &mut s,
        &EntityId::Engagement,
        "prior_soc2_categories",
        Value::List(vec!["availability".into()]),
    );
    let vis = socscope::engine::visibility(&q, &s);
    let asked = q
        .question_index("added_category_history")
        .expect("question");
    assert!(
        vis.shown(socscope::questionnaire::condition::EntityKey::Engagement)
            .contains(&asked),
        "Processing Integrity is new: its history is asked"
    );
    set_on(
        &mut s,
        &EntityId::Engagement,
        "added_category_history",
        no(),
    );
    let replay = system_id(&s, "Replay feature");
    set_on(&mut s, &replay, "new_since_last_report", yes());
    set_on(
        &mut s,
        &replay,
        "launched_on",
        Value::Text("2026-11-01".into()),
    );
    let r = recommend(&s);
    assert!(
        r.findings
            .iter()
            .any(|f| f.rule == "eng_added_processing_integrity_no_history"),
        "{:?}",
        r.findings
    );
    assert!(
        !r.findings
            .iter()
            .any(|f| f.rule == "eng_added_availability_no_history"),
        "Availability was in the last report"
    );
    let launch = r
        .findings
        .iter()
        .find(|f| f.rule == "sys_launched_since_last_report")
        .unwrap_or_else(|| panic!("{:?}", r.findings));
    assert_eq!(
        launch.subject.as_ref().map(|e| e.name.as_str()),
        Some("Replay feature")
    );
    let m = socscope::report::memo::build(&q, &s, &r);
    assert!(
        m.findings.iter().any(
            |f| f.starts_with("Replay feature: New since the last report")
                && f.contains("2026-11-01")
        ),
        "the launch date is on page one: {:?}",
        m.findings
    );
}

/// A vendor named as a service a system calls is a subservice organisation only when something
/// depends on it (Relaymint audit: Stripe Billing failed every dependency test and was carved
/// out on "partly" customer data).
#[test]
fn a_vendor_nothing_depends_on_is_not_carved_out() {
    let s = relaymint();
    let r = recommend(&s);
    let names: Vec<&str> = r
        .subservices
        .iter()
        .map(|x| x.system.name.as_str())
        .collect();
    assert!(!names.contains(&"Stripe Billing"), "{names:?}");
    assert!(
        names.contains(&"AWS") && names.contains(&"Datadog"),
        "{names:?}"
    );
    // What Stripe Billing gets decides it (round three): billing data only, out of scope.
    let mut account = s.clone();
    set_on(
        &mut account,
        &system_id(&s, "Stripe Billing"),
        "vendor_partly_data",
        Value::Text("account_only".into()),
    );
    let r = recommend(&account);
    let stripe = decision(&r, "system.s6");
    assert!(
        excluded_by(stripe, "soc2", "sys_vendor_account_data_only"),
        "{:?}",
        stripe.exclusions
    );
    // Data it holds that our commitments protect makes it one.
    let mut holds = s.clone();
    set_on(
        &mut holds,
        &system_id(&s, "Stripe Billing"),
        "customer_data",
        Value::Text("yes".into()),
    );
    assert!(
        recommend(&holds)
            .subservices
            .iter()
            .any(|x| x.system.name == "Stripe Billing")
    );
}

/// A break-glass account is asked for the approval and the review of each use (Relaymint audit:
/// one of two uses this year had no ticket, and nothing asked).
#[test]
fn a_break_glass_account_is_asked_for_approval_and_review_of_each_use() {
    let mut s = relaymint();
    let bg = identity_id(&s, "Break-glass root account");
    set_on(
        &mut s,
        &bg,
        "identity_kind",
        Value::Text("break_glass".into()),
    );
    set_on(&mut s, &bg, "break_glass_approval", no());
    let r = recommend(&s);
    let x = identity(&r, "Break-glass root account");
    let gap = |id: &str| x.gaps.iter().find(|g| g.id == id).map(|g| g.status);
    assert_eq!(
        gap("break_glass_approval"),
        Some(GapStatus::Confirmed),
        "{:?}",
        x.gaps
    );
    assert_eq!(
        gap("break_glass_review"),
        Some(GapStatus::Unverified),
        "{:?}",
        x.gaps
    );
    // MFA is still asked of it, as of any person.
    assert!(!x.gaps.iter().any(|g| g.id == "no_mfa"));
}

/// Whether a customer's auditor relies on us leads the SOC 1 questions, and customers that
/// reconcile what we send against their bank count against SOC 1 relevance (Relaymint audit).
#[test]
fn whether_an_auditor_relies_on_us_leads_the_soc1_questions() {
    let s = relaymint();
    let m = memo_of(&s);
    assert!(
        m.deciding
            .first()
            .is_some_and(|x| x.contains("Does any customer's auditor rely on us")),
        "{:?}",
        m.deciding
    );
    // Nobody relies on us and customers reconcile: not SOC 1, even for a system that changes
    // payment data, and the reason names the answers.
    let mut none = s.clone();
    set_on(&mut none, &EntityId::Engagement, "auditor_reliance", no());
    set_on(&mut none, &EntityId::Engagement, "sox_customers", no());
    let api = system_id(&s, "Event API and delivery workers");
    changes_payments(&mut none, &api);
    let r = recommend(&none);
    assert!(r.plan(Report::Soc1).is_none(), "{:?}", r.plans);
    let v = decision(&r, "verdict");
    assert!(
        excluded_by(v, "soc1", "eng_soc1_customers_reconcile"),
        "{:?}",
        v.exclusions
    );
    // An auditor who relies on us makes the same system a SOC 1 one.
    let mut relied = none.clone();
    set_on(
        &mut relied,
        &EntityId::Engagement,
        "auditor_reliance",
        yes(),
    );
    assert_eq!(recommend(&relied).verdict, Verdict::Both);
}

/// A webhook service's customers verify signatures, secure their endpoints and handle repeated
/// events: the CUECs follow what the system does (Relaymint audit: only the generic ones).
#[test]
fn webhook_deliveries_bring_their_own_cuecs() {
    let mut s = relaymint();
    let api = system_id(&s, "Event API and delivery workers");
    set_on(&mut s, &api, "customer_endpoints", yes());
    set_on(&mut s, &api, "delivery_signed", yes());
    set_on(&mut s, &api, "redelivers", yes());
    let r = recommend(&s);
    for rule in [
        "cuec_customer_endpoints",
        "cuec_verify_signatures",
        "cuec_duplicates",
    ] {
        assert!(
            r.cuecs.iter().any(|c| c.rule == rule),
            "{rule}: {:?}",
            r.cuecs
        );
    }
    assert!(
        r.cuecs
            .iter()
            .any(|c| c.text.contains("verify the signature"))
    );
    let mut unsigned = s.clone();
    set_on(&mut unsigned, &api, "delivery_signed", no());
    let r = recommend(&unsigned);
    assert!(!r.cuecs.iter().any(|c| c.rule == "cuec_verify_signatures"));
    assert!(
        r.findings
            .iter()
            .any(|f| f.rule == "sys_deliveries_unsigned")
    );
}

/// The notes behind an answer reach the decisions, gaps and open questions that name it: the
/// evidence plan no longer says "nobody could say whether it exists" of a rotation two people
/// described in opposite ways (Relaymint audit).
#[test]
fn notes_reach_the_decisions_gaps_and_open_questions() {
    let q = builtin();
    let s = relaymint();
    let r = recommend(&s);
    let conflict = "CONFLICT: IAM owner says this key has never been rotated";
    let md = socscope::export::markdown::render(&q, &s, &r);
    let task = md
        .lines()
        .find(|l| l.starts_with("- [ ] Credential rotation record") && l.contains(conflict))
        .unwrap_or_else(|| panic!("the rotation task names the note"));
    assert!(!task.contains("nobody could say"), "{task}");
    assert!(
        md.lines().any(
            |l| l.starts_with("  - Unknown: When was its secret last rotated")
                && l.contains(conflict)
        ),
        "the unverified gap shows the note"
    );
    // The answers behind a decision, with their notes.
    assert!(
        md.contains("    - Note: Large bank prospect (vendor risk) wants SOC 2"),
        "a triggering answer's note"
    );
    // Page one's deciding questions carry what was said about them.
    let m = socscope::report::memo::build(&q, &s, &r);
    assert!(
        m.deciding
            .iter()
            .any(|x| x.contains("Which financially relevant processes")
                && x.contains("reconciles against its bank")),
        "{:?}",
        m.deciding
    );
    // The JSON names each note by entity and question.
    let json: serde_json::Value =
        serde_json::from_str(&socscope::export::json::render_export(&q, &s, &r)).expect("JSON");
    let notes = json["answer_notes"].as_array().expect("answer_notes");
    assert!(
        notes.iter().any(|n| n["question"] == "last_rotated"
            && n["entity"]["name"] == "Datadog API key (in CI)"
            && n["note"].as_str().is_some_and(|t| t.contains(conflict))),
        "{notes:?}"
    );
}

// ---- Relaymint, round three: the answers the facilitator gave on resuming (the last SOC 2
// covered Availability; Confidentiality is no commitment), and the auditor's findings.

fn relaymint_resumed(history: Option<Value>) -> socscope::session::Session {
    let mut s = relaymint();
    set_on(
        &mut s,
        &EntityId::Engagement,
        "prior_soc2_categories",
        Value::List(vec!["availability".into()]),
    );
    set_on(&mut s, &EntityId::Engagement, "confidential_data", no());
    if let Some(v) = history {
        set_on(&mut s, &EntityId::Engagement, "added_category_history", v);
    }
    s
}

fn soc2_steps(r: &Recommendation) -> Vec<PlanStep> {
    r.plan(Report::Soc2).expect("SOC 2 plan").steps.clone()
}

fn short_period(steps: &[PlanStep]) -> Option<bool> {
    steps.iter().find_map(|st| match st {
        PlanStep::MeetDeadline {
            option: socscope::engine::DeadlineOption::ShortPeriod { provisional, .. },
            ..
        } => Some(*provisional),
        _ => None,
    })
}

fn choice(steps: &[PlanStep]) -> Option<(socscope::engine::DeadlineOption, ChoiceReason)> {
    steps.iter().find_map(|st| match st {
        PlanStep::DeadlineChoice { option, reason, .. } => Some((*option, *reason)),
        _ => None,
    })
}

fn added(steps: &[PlanStep]) -> Option<(Vec<Category>, bool)> {
    steps.iter().find_map(|st| match st {
        PlanStep::AddedCategory {
            categories, known, ..
        } => Some((categories.clone(), *known)),
        _ => None,
    })
}

/// Whether Processing Integrity's controls have operated since the period began decides how it
/// can be reported: "unknown" keeps the SOC 2's Type and the short period provisional, with the
/// question among the Type's open questions; "no" gives it a Type 1 first or moves it out of
/// this period and drops the short period; "yes" keeps the plan (Relaymint audit, round three:
/// the answer changed nothing).
#[test]
fn the_added_categorys_record_decides_its_type_1_and_the_short_period() {
    let unknown = relaymint_resumed(Some(Value::Unknown));
    let r = recommend(&unknown);
    let t = decision(&r, "type.soc2");
    assert!(t.provisional, "{t:?}");
    assert!(
        t.open_questions
            .iter()
            .any(|o| o.question.as_ref() == "added_category_history"),
        "{:?}",
        t.open_questions
    );
    let p = r.plan(Report::Soc2).expect("SOC 2 plan");
    assert!(p.provisional);
    assert_eq!(p.report_type, Some(ReportType::Type2));
    assert_eq!(
        added(&p.steps),
        Some((vec![Category::ProcessingIntegrity], false))
    );
    assert_eq!(short_period(&p.steps), Some(true), "{:?}", p.steps);

    let none = relaymint_resumed(Some(no()));
    let r = recommend(&none);
    let steps = soc2_steps(&r);
    assert_eq!(
        r.plan(Report::Soc2).map(|p| p.report_type),
        Some(Some(ReportType::Type2))
    );
    assert_eq!(
        added(&steps),
        Some((vec![Category::ProcessingIntegrity], true))
    );
    assert_eq!(
        short_period(&steps),
        None,
        "no short period over a category with no record"
    );
    assert!(matches!(
        choice(&steps),
        Some((
            socscope::engine::DeadlineOption::Type1First { renewal: true, .. },
            ChoiceReason::AddedNoRecord
        ))
    ));
    let t = decision(&r, "type.soc2");
    assert!(
        t.rationale
            .iter()
            .any(|f| f.rule == "eng_added_processing_integrity_no_history"),
        "{:?}",
        t.rationale
    );
    let m = memo_of(&none);
    let soc2 = m
        .reports
        .iter()
        .find(|x| x.report == Report::Soc2)
        .expect("SOC 2 line");
    assert!(
        soc2.period
            .contains("Processing Integrity: a Type 1 on its design first, or out of this period"),
        "{}",
        soc2.period
    );

    let has = relaymint_resumed(Some(yes()));
    let r = recommend(&has);
    let steps = soc2_steps(&r);
    assert_eq!(added(&steps), None);
    assert_eq!(short_period(&steps), Some(false));
    assert!(!decision(&r, "type.soc2").provisional);
}

/// A plan that misses customers' date recommends one way, with its reason, the date the client
/// must choose by and a bridge letter for the time since the last report, before the 12-month
/// period on page one; the JSON carries it (Relaymint audit, round three: the ways were listed,
/// none picked).
#[test]
fn a_missed_date_is_met_by_one_recommended_way_with_a_decision_date() {
    let q = builtin();
    let s = relaymint_resumed(Some(yes()));
    let r = recommend(&s);
    let steps = soc2_steps(&r);
    assert!(matches!(
        choice(&steps),
        Some((
            socscope::engine::DeadlineOption::ShortPeriod { .. },
            ChoiceReason::ShortPeriodFits
        ))
    ));
    let m = socscope::report::memo::build(&q, &s, &r);
    let texts: Vec<&str> = m.next_steps.iter().map(|x| x.text.as_str()).collect();
    let at = |p: &str| texts.iter().position(|t| t.starts_with(p));
    let rec = at("Recommended to meet 2027-03-31: a short Type 2 period 2026-10-01 to 2026-12-31")
        .unwrap_or_else(|| panic!("{texts:?}"));
    assert!(rec < at("Type 2 period: 2026-10-01 to 2027-09-30").expect("period"));
    assert!(
        texts[rec].contains("Decide by 2026-12-17"),
        "{}",
        texts[rec]
    );
    assert!(
        texts[rec]
            .contains("Bridge letter (management's, not attested) for customers from 2027-01-01"),
        "{}",
        texts[rec]
    );
    let soc2 = m
        .reports
        .iter()
        .find(|x| x.report == Report::Soc2)
        .expect("SOC 2 line");
    assert!(
        soc2.period.contains(
            "recommended: a short Type 2 period to 2026-12-31 (decide by 2026-12-17); other way: a Type 1 as of 2026-12-29"
        ),
        "{}",
        soc2.period
    );
    let json: serde_json::Value =
        serde_json::from_str(&socscope::export::json::render_export(&q, &s, &r)).expect("JSON");
    let plan = json["plans"]
        .as_array()
        .and_then(|p| p.iter().find(|p| p["report"] == "soc2"))
        .expect("SOC 2 plan");
    let c = plan["steps"]
        .as_array()
        .and_then(|st| st.iter().find(|x| x["step"] == "deadline_choice"))
        .expect("the choice in the JSON");
    assert_eq!(c["reason"], "short_period_fits");
    assert_eq!(c["decide_by"], "2026-12-17");
    assert_eq!(c["bridge_from"], "2027-01-01");
    assert_eq!(c["option"]["kind"], "short_period");

    // No short period fits a date too close: the Type 1 is the only report by then.
    let mut soon = s.clone();
    set_on(
        &mut soon,
        &EntityId::Engagement,
        "needed_by",
        Value::Text("2027-02-10".into()),
    );
    let steps = soc2_steps(&recommend(&soon));
    assert!(
        matches!(choice(&steps), Some((_, ChoiceReason::OnlyType1))),
        "{steps:?}"
    );
}

/// Which reports are offered a short period is the questionnaire's `[plan] short_period_for`,
/// not a test in the engine (Relaymint audit, round three).
#[test]
fn which_reports_get_a_short_period_is_the_questionnaires() {
    let s = relaymint_resumed(Some(yes()));
    let text = socscope::questionnaire::BUILTIN_SOURCE
        .replace("short_period_for = [\"soc2\"]", "short_period_for = []");
    assert_ne!(text, socscope::questionnaire::BUILTIN_SOURCE);
    let q =
        socscope::questionnaire::check("no-short.toml", &text).unwrap_or_else(|e| panic!("{e}"));
    let r = socscope::engine::recommend(&q, &s);
    let steps = soc2_steps(&r);
    assert_eq!(short_period(&steps), None, "{steps:?}");
    assert!(matches!(
        choice(&steps),
        Some((_, ChoiceReason::PeriodNotShortened))
    ));
    let bad = socscope::questionnaire::BUILTIN_SOURCE.replace(
        "short_period_for = [\"soc2\"]",
        "short_period_for = [\"soc2\", \"soc3\"]",
    );
    let e = socscope::questionnaire::check("bad.toml", &bad).expect_err("soc3 refused");
    let line = bad
        .lines()
        .position(|l| l.starts_with("short_period_for"))
        .map(|i| i + 1)
        .expect("line");
    assert!(
        e.problems
            .iter()
            .any(|p| p.pos.line == line && p.message.contains("unknown report `soc3`")),
        "{e}"
    );
}

/// A vendor that gets "partly" customer data is out of scope only for a reason true to that
/// answer: until what it gets is known it is not out of scope; billing data only is out, with
/// the in-scope system that feeds it in the data flows; data our commitments protect carves it
/// out (Relaymint audit, round three: "no customer data we protect lives in it" of "partly").
#[test]
fn a_vendor_with_some_customer_data_is_out_of_scope_only_for_a_true_reason() {
    let s = relaymint();
    let stripe = system_id(&s, "Stripe Billing");
    let r = recommend(&s);
    let d = decision(&r, "system.s6");
    assert_ne!(d.outcome.to_string(), "Out of scope (neither)");
    assert!(
        d.open_questions
            .iter()
            .any(|o| o.question.as_ref() == "vendor_partly_data"),
        "{:?}",
        d.open_questions
    );
    let mut account = s.clone();
    set_on(
        &mut account,
        &stripe,
        "vendor_partly_data",
        Value::Text("account_only".into()),
    );
    let r = recommend(&account);
    let d = decision(&r, "system.s6");
    assert_eq!(d.outcome.to_string(), "Out of scope (neither)");
    let because: Vec<&str> = d
        .exclusions
        .iter()
        .flat_map(|x| &x.because)
        .map(|f| f.rationale.as_ref())
        .collect();
    assert!(
        because.iter().all(|t| !t.contains("no customer data")),
        "{because:?}"
    );
    assert!(
        because
            .iter()
            .any(|t| t.contains("only what we need to bill, contact or support them")),
        "{because:?}"
    );
    assert!(
        r.notes
            .iter()
            .any(|n| n.rule == "sys_vendor_account_data_fed_from_scope"),
        "the Billing job feeding it is named in the data flows: {:?}",
        r.notes
    );
    let mut protected = s.clone();
    set_on(
        &mut protected,
        &stripe,
        "vendor_partly_data",
        Value::Text("protected".into()),
    );
    assert!(
        recommend(&protected)
            .subservices
            .iter()
            .any(|x| x.system.name == "Stripe Billing")
    );
}

/// Page one's SOC 1 row names the question it waits for first (Relaymint audit, round three).
#[test]
fn a_possible_report_names_the_question_that_decides_it() {
    let m = memo_of(&relaymint());
    let soc1 = m
        .reports
        .iter()
        .find(|x| x.report == Report::Soc1)
        .expect("SOC 1 line");
    assert!(
        soc1.why.contains(
            "first: Does any customer's auditor rely on us for their financial statements"
        ),
        "{}",
        soc1.why
    );
}

/// An unanswered question a system's CUEC waits for is an open question, with the control it
/// could add (Relaymint audit, round three).
#[test]
fn an_unanswered_system_cuec_question_is_an_open_question() {
    let q = builtin();
    let s = relaymint();
    let r = recommend(&s);
    let api = "Event API and delivery workers";
    assert!(
        r.open_questions
            .iter()
            .any(|o| o.entity.name == api && o.question.as_ref() == "customer_endpoints"),
        "{:?}",
        r.open_questions
    );
    let c = r
        .open_cuecs
        .iter()
        .find(|c| {
            c.question.entity.name == api && c.question.question.as_ref() == "customer_endpoints"
        })
        .expect("what it could add");
    assert!(
        c.cuec
            .starts_with("Customers secure the endpoints we deliver to"),
        "{}",
        c.cuec
    );
    let md = socscope::export::markdown::render(&q, &s, &r);
    assert!(
        md.lines().any(|l| l.starts_with(
            "- Event API and delivery workers: Does it deliver data or events to endpoints"
        ) && l
            .contains("(could add a control customers must operate: Customers secure")),
        "the Markdown says what it could change"
    );
    // Answered, it is no longer open.
    let mut answered = s.clone();
    set_on(
        &mut answered,
        &system_id(&s, api),
        "customer_endpoints",
        no(),
    );
    assert!(
        !recommend(&answered)
            .open_questions
            .iter()
            .any(|o| o.entity.name == api && o.question.as_ref() == "customer_endpoints")
    );
}

/// The session as the facilitator resumed it on this build (round three): it opens, and its
/// answers give the fixes their effect.
fn relaymint_as_resumed() -> socscope::session::Session {
    let (s, notices) = common::fixture("relaymint-resumed.toml");
    assert!(notices.is_empty(), "{notices:?}");
    s
}

/// An administrator kept for emergencies is asked for the ticket or approval of each use and
/// the review after it, and its gaps name what is missing, not a log; a key whose rotation
/// testimony conflicts is one item that says so, not three "not confirmed" (Relaymint audit,
/// round three).
#[test]
fn break_glass_use_and_disputed_rotation_are_named_for_what_they_are() {
    let s = relaymint_as_resumed();
    let r = recommend(&s);
    let bg = identity(&r, "Break-glass root account");
    let ids: Vec<&str> = bg.gaps.iter().map(|g| g.id.as_ref()).collect();
    assert!(ids.contains(&"break_glass_approval"), "{ids:?}");
    assert!(ids.contains(&"break_glass_review"), "{ids:?}");
    assert!(
        !ids.contains(&"no_action_log"),
        "the missing ticket is not a missing log: {ids:?}"
    );
    let g = bg
        .gaps
        .iter()
        .find(|g| g.id.as_ref() == "break_glass_approval")
        .expect("gap");
    assert_eq!(g.status, GapStatus::Confirmed);
    assert!(
        g.text.contains("without an approval or ticket"),
        "{}",
        g.text
    );

    let key = identity(&r, "Datadog API key (in CI)");
    let rotation: Vec<&socscope::engine::Gap> = key
        .gaps
        .iter()
        .filter(|g| g.evidence.iter().any(|e| e.contains("rotation record")))
        .collect();
    assert_eq!(rotation.len(), 1, "{rotation:?}");
    assert_eq!(rotation[0].id.as_ref(), "rotation_disputed");
    assert!(
        rotation[0].text.contains("Conflicting accounts"),
        "{}",
        rotation[0].text
    );
}

/// The resumed session's plan: Processing Integrity's record is unknown, so the SOC 2's Type
/// and the short period are provisional and the Type 1 is recommended, with its date and a
/// bridge letter; Stripe Billing is out of scope for a reason true to its answers.
#[test]
fn the_resumed_relaymint_session_reads_as_the_auditor_expects() {
    let q = builtin();
    let s = relaymint_as_resumed();
    let r = recommend(&s);
    assert!(decision(&r, "type.soc2").provisional);
    let steps = soc2_steps(&r);
    assert!(
        matches!(choice(&steps), Some((_, ChoiceReason::AddedOpen))),
        "{steps:?}"
    );
    assert_eq!(short_period(&steps), Some(true));
    let md = socscope::export::markdown::render(&q, &s, &r);
    assert!(md.contains(
        "1. Recommended to meet 2027-03-31: a Type 1 report as of 2026-12-29 (about 2027-02-09)"
    ));
    assert!(md.contains("Decide by 2026-12-15. Bridge letter (management's, not attested) for customers from 2026-10-01"));
    assert_eq!(
        decision(&r, "system.s6").outcome.to_string(),
        "Out of scope (neither)"
    );
}

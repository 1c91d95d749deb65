//! The scoping memo: page one as a client executive reads it, the picture of the boundary as
//! Mermaid itself parses it (at any size, whatever the names), plain text without Markdown or
//! rule ids, the JSON export carrying the same memo, and no internal reference in any output.

mod common;

#[path = "../examples/synth/mod.rs"]
mod synth;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use chrono::{TimeZone, Utc};
use common::{EXAMPLES, builtin, example};
use socscope::engine::{self, Recommendation};
use socscope::export::{json, markdown, mermaid};
use socscope::questionnaire::Questionnaire;
use socscope::report::memo;
use socscope::session::{EntityId, Session, Value};

fn q() -> &'static Questionnaire {
    static Q: OnceLock<Questionnaire> = OnceLock::new();
    Q.get_or_init(builtin)
}

fn recommend(s: &Session) -> Recommendation {
    engine::recommend(q(), s)
}

fn page_one(s: &Session) -> String {
    let md = markdown::render(q(), s, &recommend(s));
    let from = md.find("## Page one").expect("a page one");
    let to = md.find("## The boundary").expect("the boundary after it");
    md[from..to].to_string()
}

fn diagram_of(md: &str) -> &str {
    let start = md.find("```mermaid\n").expect("a mermaid block") + "```mermaid\n".len();
    let len = md[start..].find("```").expect("the block ends");
    &md[start..start + len]
}

#[test]
fn page_one_of_s1_payroll_provider() {
    insta::assert_snapshot!(page_one(&example("s1-payroll-provider.toml")));
}

#[test]
fn page_one_of_s8_new_financial_module() {
    let p = page_one(&example("s8-new-financial-module.toml"));
    // A first SOC 1 over new financial processing: a Type 1 date, then a Type 2 period; the
    // platform holds only a SOC 2, so its SOC 1 is the step to take.
    assert!(p.contains("| SOC 1 | Type 1 |"), "{p}");
    assert!(
        p.contains("Obtain Amazon Web Services's SOC 1 report"),
        "{p}"
    );
    insta::assert_snapshot!(p);
}

#[test]
fn page_one_of_s9_software_on_a_platform() {
    let p = page_one(&example("s9-software-on-a-platform.toml"));
    assert!(
        p.contains("Not SOC 1"),
        "the reason for the no is on page one:\n{p}"
    );
    insta::assert_snapshot!(p);
}

/// The page one of every example keeps to page one: no rule id, no per-answer trigger lists.
#[test]
fn page_one_has_no_rule_ids_or_trigger_lists() {
    for name in EXAMPLES {
        let p = page_one(&example(name));
        for rule in &q().rules {
            assert!(
                !p.contains(&rule.id),
                "{name}: rule id {} on page one",
                rule.id
            );
        }
        assert!(
            !p.contains("**Yes**"),
            "{name}: answers belong in the detail"
        );
        assert!(
            p.lines().count() < 90,
            "{name}: page one is {} lines",
            p.lines().count()
        );
    }
}

// ---------------------------------------------------------------------------------------------
// The boundary diagram

fn at() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 2, 9, 0, 0).unwrap()
}

fn set(s: &mut Session, e: &EntityId, id: &str, v: Value) {
    let question = q().question(id).unwrap_or_else(|| panic!("question {id}"));
    s.set_answer(question, e, v, at())
        .unwrap_or_else(|err| panic!("{id}: {err}"));
}

fn text(t: &str) -> Value {
    Value::Text(t.to_string())
}

const HOSTILE_NAMES: [&str; 6] = [
    "Billing \"core\" ```\nend",
    "<b>bold</b> [x] {y} | z; #35;",
    "subgraph end click call alert",
    "\u{202e}evil\u{200b} name\u{1b}[31m",
    "a-->b --- c ==> d",
    "%% comment :::class",
];

/// A SOC 2 session whose systems and identity carry names built to break a diagram.
fn hostile_session() -> Session {
    let mut s = Session::new(q(), "Acme", at());
    let eng = EntityId::Engagement;
    set(
        &mut s,
        &eng,
        "report_requesters",
        Value::List(vec!["security_teams".into()]),
    );
    let mut ids = Vec::new();
    for name in HOSTILE_NAMES {
        let id = s.add_system(name, at());
        let sys = EntityId::System(id.clone());
        set(&mut s, &sys, "operated_by", text("in_house"));
        set(&mut s, &sys, "customer_data", text("yes"));
        ids.push(id);
    }
    for name in HOSTILE_NAMES {
        let id = s.add_identity(name, at());
        let i = s.identity_index(&id).expect("added");
        s.identities[i].systems = ids.clone();
    }
    s
}

/// 1,000 systems and 300 identities from the benchmarks' generator, built once.
fn big() -> &'static (Session, Recommendation) {
    static BIG: OnceLock<(Session, Recommendation)> = OnceLock::new();
    BIG.get_or_init(|| {
        let s = synth::generate(q(), &synth::Spec::new(1000, 300));
        let r = recommend(&s);
        (s, r)
    })
}

fn node_modules() -> Option<std::path::PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tools/mermaid-check");
    dir.join("node_modules/mermaid").is_dir().then_some(dir)
}

/// Runs Mermaid's own parser on each diagram; `None` (and a loud message) where it is missing.
fn mermaid_verdicts(diagrams: &[String]) -> Option<Vec<String>> {
    let Some(dir) = node_modules() else {
        eprintln!(
            "SKIPPED: Mermaid is not installed, so the diagrams were not checked by Mermaid \
             itself. Run `npm ci --prefix tools/mermaid-check` (Node 18+) to check them."
        );
        return None;
    };
    let mut child = match Command::new("node")
        .arg(dir.join("check.mjs"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    {
        Ok(c) => c,
        Err(e) => {
            eprintln!("SKIPPED: cannot run node ({e}); the diagrams were not checked by Mermaid");
            return None;
        }
    };
    let input = diagrams.join("\n%% next diagram\n");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("write diagrams");
    let out = child.wait_with_output().expect("node ran");
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let verdicts: Vec<String> = text.lines().map(str::to_string).collect();
    assert_eq!(
        verdicts.len(),
        diagrams.len(),
        "one verdict per diagram: {text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(verdicts)
}

#[test]
fn mermaid_accepts_every_diagram() {
    let mut diagrams: Vec<(String, String)> = EXAMPLES
        .iter()
        .map(|name| {
            let s = example(name);
            let md = markdown::render(q(), &s, &recommend(&s));
            (name.to_string(), diagram_of(&md).to_string())
        })
        .collect();
    let s = hostile_session();
    diagrams.push((
        "hostile names".into(),
        mermaid::boundary(&s, &recommend(&s)).text,
    ));
    let (big, r) = big();
    diagrams.push(("1,000 systems".into(), mermaid::boundary(big, r).text));
    let texts: Vec<String> = diagrams.iter().map(|(_, d)| d.clone()).collect();
    let Some(verdicts) = mermaid_verdicts(&texts) else {
        return;
    };
    for ((name, d), v) in diagrams.iter().zip(verdicts) {
        assert_eq!(v, "ok", "{name}: Mermaid rejects the diagram:\n{d}");
    }
}

/// Whatever a name holds, it stays inside its label: no quote, fence, tag, newline, control or
/// invisible character reaches the diagram, and node ids are never user text.
#[test]
fn hostile_names_stay_inside_their_labels() {
    let s = hostile_session();
    let d = mermaid::boundary(&s, &recommend(&s)).text;
    assert!(!d.contains("```"), "{d}");
    assert!(!d.contains("<b>"), "{d}");
    assert!(!d.chars().any(|c| c.is_control() && c != '\n'), "{d}");
    assert!(!d.contains('\u{202e}') && !d.contains('\u{200b}'), "{d}");
    for line in d.lines().filter(|l| l.contains("[\"")) {
        let inner = &line[line.find("[\"").unwrap() + 2..line.rfind("\"]").unwrap()];
        assert!(!inner.contains('"'), "a quote inside a label: {line}");
        let line = line.trim_start();
        let id = line
            .strip_prefix("subgraph ")
            .unwrap_or(line)
            .split(['[', '('])
            .next()
            .unwrap_or_default();
        assert!(
            id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
            "generated node id: {line}"
        );
    }
    // Six in-scope systems and six identities each reaching all of them: 36 edges, once each.
    assert_eq!(d.lines().filter(|l| l.contains(" --> ")).count(), 36, "{d}");
}

/// At 1,000 systems the picture is still one screen of nodes: the first systems, one node for
/// the rest, identities grouped by kind; and the memo says so.
#[test]
fn a_thousand_systems_stay_readable() {
    let (s, r) = big();
    let d = mermaid::boundary(s, r);
    let nodes = d
        .text
        .lines()
        .filter(|l| l.contains("[\"") || l.contains("([\""))
        .count();
    assert!(
        nodes <= mermaid::SYSTEMS + mermaid::VENDORS + 2 + 20,
        "{nodes} nodes"
    );
    assert!(d.text.contains("more in-scope systems"), "{}", d.text);
    let edges = d.text.lines().filter(|l| l.contains("-->")).count();
    assert!(
        edges <= 60,
        "{edges} edges: identities point at the boundary, not each system"
    );
    let summary = d.summary.expect("a sentence says what was summarised");
    assert!(summary.contains("grouped by kind"), "{summary}");
}

#[test]
fn the_memo_says_what_the_picture_leaves_out() {
    let s = synth::generate(q(), &synth::Spec::new(40, 20));
    let r = recommend(&s);
    let summary = mermaid::boundary(&s, &r).summary.expect("summarised");
    let md = markdown::render(q(), &s, &r);
    let after = md.split("```mermaid").nth(1).expect("a picture");
    assert!(after.contains(&summary), "{summary}");
}

// ---------------------------------------------------------------------------------------------
// Plain text, JSON, internal references

#[test]
fn plain_memo_reads_without_markdown_or_rule_ids() {
    for name in EXAMPLES {
        let s = example(name);
        let r = recommend(&s);
        let m = memo::build(q(), &s, &r);
        let mut text = memo::plain(&m);
        for v in memo::decision_views(q(), &s, &r) {
            text.push_str(&memo::plain_decision(&v));
        }
        for bad in ["**", "# ", "- [ ]", "`", "](", "|---"] {
            assert!(
                !text.contains(bad),
                "{name}: {bad:?} in plain text:\n{text}"
            );
        }
        for rule in &q().rules {
            assert!(!text.contains(&rule.id), "{name}: rule id {}", rule.id);
        }
    }
}

#[test]
fn json_export_carries_the_memo() {
    let s = example("s8-new-financial-module.toml");
    let r = recommend(&s);
    let j: serde_json::Value =
        serde_json::from_str(&json::render_export(q(), &s, &r)).expect("valid JSON");
    let m = &j["memo"];
    assert_eq!(m["headline"], "SOC 1 and SOC 2");
    assert_eq!(m["reports"][0]["report"], "soc1");
    assert_eq!(m["reports"][0]["report_type"], "Type 1");
    assert_eq!(m["subservices"][0]["name"], "Amazon Web Services");
    assert!(m["next_steps"].as_array().is_some_and(|x| !x.is_empty()));
}

/// Nothing a client or auditor reads names the domain primer, a seed article or a file of the
/// repository (the questionnaire's author notes stay in the questionnaire).
#[test]
fn no_internal_reference_reaches_any_output() {
    for name in EXAMPLES {
        let s = example(name);
        let r = recommend(&s);
        let outputs = [
            markdown::render(q(), &s, &r),
            markdown::evidence_checklist(&s, &r),
            memo::text(q(), &s, &r),
            json::render_export(q(), &s, &r),
            memo::plain(&memo::build(q(), &s, &r)),
        ];
        for out in outputs {
            for bad in [
                "domain.md",
                "scenarios.md",
                "seed ",
                "seeds/",
                "../shared",
                ".rs:",
            ] {
                assert!(!out.contains(bad), "{name}: {bad:?} in an output");
            }
        }
    }
}

/// "Provisional" on page one is about which report: an open question that only decides a
/// category keeps that category provisional, not the headline (a facilitator run read "SOC 2
/// (provisional)" where nothing open could change the SOC 2).
#[test]
fn an_open_category_question_does_not_make_the_headline_provisional() {
    let mut s = example("s1-payroll-provider.toml");
    s.clear_answer("uptime_sla", &EntityId::Engagement, at());
    let r = recommend(&s);
    assert!(r.provisional, "the category waits for the answer");
    let m = memo::build(q(), &s, &r);
    assert_eq!(m.headline, "SOC 1 and SOC 2");
    assert!(m.standing.starts_with("Settled"), "{}", m.standing);
    let availability = m
        .categories
        .iter()
        .find(|c| c.label == "Availability")
        .expect("a row");
    assert!(
        availability.state.contains("provisional"),
        "{}",
        availability.state
    );
}

#[test]
fn which_vendor_reports_are_held_follows_the_choice_ids_not_their_labels() {
    // A questionnaire whose labels word the reports their own way: "SOC2" without the space,
    // and a "none" that names the report still awaited.
    let src = socscope::questionnaire::BUILTIN_SOURCE
        .replacen(
            "{ id = \"soc2_type2\", label = \"SOC 2 Type 2\", report = \"soc2\" }",
            "{ id = \"soc2_type2\", label = \"Type 2 report on its controls (SOC2)\", report = \"soc2\" }",
            1,
        )
        .replacen(
            "{ id = \"none\", label = \"None collected yet\", exclusive = true }",
            "{ id = \"none\", label = \"None collected yet (SOC 2 requested)\", exclusive = true }",
            1,
        );
    assert_ne!(src, socscope::questionnaire::BUILTIN_SOURCE);
    let relabelled = socscope::questionnaire::load("relabelled.toml", &src).expect("loads");
    let mut s = example("s9-software-on-a-platform.toml");
    let mail = s
        .systems
        .iter()
        .position(|x| x.name.starts_with("MailRelay"))
        .expect("MailRelay");
    s.systems[mail].answers.remove("vendor_report_period_end");
    let question = relabelled.question("vendor_reports").expect("question");
    let id = EntityId::System(s.systems[mail].id.clone());
    s.set_answer(question, &id, Value::List(vec!["none".into()]), at())
        .expect("answer");
    let r = engine::recommend(&relabelled, &s);
    let m = memo::build(&relabelled, &s, &r);
    let steps: Vec<&str> = m.next_steps.iter().map(|x| x.text.as_str()).collect();
    assert!(
        steps
            .iter()
            .any(|t| t.starts_with("Each year, obtain CloudCo's SOC 2")),
        "CloudCo's SOC 2 Type 2 is held whatever its label says: {steps:#?}"
    );
    assert!(
        steps
            .iter()
            .any(|t| t.starts_with("Obtain MailRelay (e-mail delivery)'s SOC 2")),
        "nothing is held from MailRelay, though its answer's label names a SOC 2: {steps:#?}"
    );
    let md = markdown::render(&relabelled, &s, &r);
    let picture = diagram_of(&md);
    assert!(
        picture.contains("CloudCo<br/>carve-out<br/>its SOC 2 held"),
        "{picture}"
    );
    assert!(picture.contains("needs its SOC 2"), "{picture}");
    assert!(
        picture.contains(" -. uses .-> "),
        "the notification service uses MailRelay: {picture}"
    );
}

#[test]
fn a_soc1_plan_line_says_which_customer_year_it_covers() {
    // S8: customers' years end on 31 December; a first SOC 1, Type 1 in January 2027, then a
    // Type 2 period to 2027-12-31. Their 2026 year has no SOC 1 Type 2, and 2027's first days
    // fall before the period.
    let line = |name: &str, report: &str| {
        let s = example(name);
        let m = memo::build(q(), &s, &recommend(&s));
        m.reports
            .into_iter()
            .find(|x| x.label == report)
            .expect("a line for the report")
    };
    let soc1 = line("s8-new-financial-module.toml", "SOC 1");
    assert!(
        soc1.period.contains(
            "covers customers' year ending 2027-12-31 from 2027-01-12 (not its first 11 days)"
        ),
        "{}",
        soc1.period
    );
    assert!(
        soc1.period
            .contains("their year ending 2026-12-31 is covered by no SOC 1 Type 2"),
        "{}",
        soc1.period
    );
    // S1: a first Type 2 over the whole customer year.
    let soc1 = line("s1-payroll-provider.toml", "SOC 1");
    assert!(
        soc1.period
            .contains("covers customers' year ending 2027-12-31 in full"),
        "{}",
        soc1.period
    );
    // No SOC 2 line speaks of customers' years.
    let soc2 = line("s1-payroll-provider.toml", "SOC 2");
    assert!(!soc2.period.contains("customers' year"), "{}", soc2.period);
}

#[test]
fn page_one_names_the_commonest_gaps_by_kind_capped() {
    // S3's svc-billing, and two more service accounts just like it.
    let mut s = example("s3-billing-service-account.toml");
    let bot = s
        .identities
        .iter()
        .position(|i| i.name == "svc-billing")
        .expect("svc-billing");
    for n in 2..=3 {
        let mut twin = s.identities[bot].clone();
        twin.id = format!("twin{n}");
        twin.name = format!("svc-billing-{n}");
        s.identities.push(twin);
    }
    let r = recommend(&s);
    let m = memo::build(q(), &s, &r);
    let gaps = &m.identities.top_gaps;
    assert!(
        gaps.contains(&"3 service accounts: no named owner".to_string()),
        "{gaps:#?}"
    );
    assert!(gaps.len() <= 5, "{gaps:#?}");
    let groups: std::collections::HashSet<(String, String)> = r
        .identities
        .iter()
        .filter(|x| x.soc1 || x.soc2)
        .flat_map(|x| {
            x.gaps
                .iter()
                .map(|g| (x.kind.clone().unwrap_or_default(), g.text.to_string()))
        })
        .collect();
    assert_eq!(m.identities.more_gaps, groups.len().saturating_sub(5));
    let p = page_one(&s);
    assert!(p.contains("- 3 service accounts: no named owner"), "{p}");
    if m.identities.more_gaps > 0 {
        assert!(p.contains("more kind"), "{p}");
    }
    let plain = memo::plain(&m);
    assert!(
        plain.contains("  3 service accounts: no named owner"),
        "{plain}"
    );
}

#[test]
fn every_next_step_has_an_owner_role_from_the_questionnaire() {
    let s = example("s8-new-financial-module.toml");
    let m = memo::build(q(), &s, &recommend(&s));
    for x in &m.next_steps {
        assert!(x.owner.is_some(), "no owner: {}", x.text);
    }
    let owner = |start: &str| {
        m.next_steps
            .iter()
            .find(|x| x.text.starts_with(start))
            .and_then(|x| x.owner.clone())
            .unwrap_or_else(|| panic!("no step {start}"))
    };
    assert!(owner("Bridge letter").starts_with("Finance"));
    assert!(owner("Obtain Amazon Web Services").starts_with("Vendor management"));
    assert!(owner("Now (a period is already running").starts_with("IAM owner"));
    let p = page_one(&s);
    assert!(
        p.contains("*(owner: Finance (controller), signed by management)*"),
        "{p}"
    );
    assert!(memo::plain(&m).contains("(owner: Vendor management (security))"));
    // The roles are data: another questionnaire names its own.
    let src = socscope::questionnaire::BUILTIN_SOURCE.replacen(
        "bridge_letter = \"Finance (controller), signed by management\"",
        "bridge_letter = \"CFO\"",
        1,
    );
    let other = socscope::questionnaire::load("other.toml", &src).expect("loads");
    let m = memo::build(&other, &s, &engine::recommend(&other, &s));
    let bridge = m
        .next_steps
        .iter()
        .find(|x| x.text.starts_with("Bridge letter"))
        .expect("bridge letter");
    assert_eq!(bridge.owner.as_deref(), Some("CFO"));
    // An unknown kind of step is refused, not ignored.
    let bad = socscope::questionnaire::BUILTIN_SOURCE.replacen(
        "[plan.owners]\n",
        "[plan.owners]\nlunch = \"Everyone\"\n",
        1,
    );
    let err = socscope::questionnaire::load("bad.toml", &bad).expect_err("refused");
    assert!(err.to_string().contains("lunch"), "{err}");
}

/// A reason cites only criteria of the categories in scope: S9's "Which report" rests on a rule
/// whose references include C1.1, but Confidentiality is not included there, so no decision of
/// another subject cites a Confidentiality criterion; only Security's and the included ones.
#[test]
fn reasons_cite_only_criteria_of_categories_in_scope() {
    use socscope::engine::DecisionId;
    use socscope::questionnaire::{Category, tsc};
    for name in EXAMPLES {
        let s = example(name);
        let r = recommend(&s);
        for v in memo::decision_views(q(), &s, &r) {
            let own = match v.id {
                DecisionId::Category(c) => Some(c),
                _ => None,
            };
            let cited = v
                .reasons
                .iter()
                .chain(v.exclusions.iter().flat_map(|x| &x.because))
                .flat_map(|x| &x.criteria);
            for c in cited {
                let cat = tsc::category(c).expect("only criteria IDs are cited");
                assert!(
                    cat == Category::Security
                        || r.soc2_categories.contains(&cat)
                        || own == Some(cat),
                    "{name}: {} cites {c} although {cat:?} is not in scope",
                    v.title
                );
            }
        }
    }
    // And criteria are still cited where their category is in scope (not dropped wholesale).
    let s = example("s1-payroll-provider.toml");
    let r = recommend(&s);
    assert!(
        memo::decision_views(q(), &s, &r)
            .iter()
            .flat_map(|v| &v.reasons)
            .flat_map(|x| &x.criteria)
            .filter_map(|c| tsc::category(c))
            .any(|c| c != Category::Security && r.soc2_categories.contains(&c)),
        "S1 cites its included categories' criteria ({:?})",
        r.soc2_categories
    );
}

/// "42 of 42 questions answered" read as complete although one answer was "unknown": the memo's
/// workshop line and plain text say how many answers are "unknown" (found by a facilitator
/// run: 88 of 173 were).
#[test]
fn page_one_says_how_many_answers_are_unknown() {
    let s = example("s3-billing-service-account.toml");
    let r = recommend(&s);
    assert!(r.progress.unknown > 0);
    let md = markdown::render(q(), &s, &r);
    let plain = memo::text(q(), &s, &r);
    let n = r.progress.unknown;
    let said = if n == 1 {
        "1 of them \"unknown\"".to_string()
    } else {
        format!("{n} of them \"unknown\"")
    };
    assert!(md.contains(&said), "{md}");
    assert!(plain.contains(&said), "{plain}");
}

/// A question's wording and an entity's name are held once however many decisions cite them:
/// copied into every trigger and open question they were most of the memory of a 10,000
/// identity recommendation (docs/performance.md).
#[test]
fn decisions_share_question_text_and_entity_names_instead_of_copying_them() {
    let q = q();
    let s = synth::generate(q, &synth::Spec::new(5, 30));
    let r = engine::recommend(q, &s);
    let mut texts: std::collections::HashMap<String, Vec<engine::Text>> = Default::default();
    let mut names: std::collections::HashMap<String, Vec<engine::Text>> = Default::default();
    let mut cited = 0;
    let all = r
        .decisions
        .iter()
        .chain(r.systems.iter().map(|x| &x.decision))
        .chain(r.identities.iter().map(|x| &x.decision));
    for d in all {
        let firings = d
            .rationale
            .iter()
            .chain(d.exclusions.iter().flat_map(|x| &x.because));
        let triggers = firings.flat_map(|f| &f.triggers);
        let pairs = triggers
            .map(|t| (&t.entity, &t.question, &t.question_text))
            .chain(
                d.open_questions
                    .iter()
                    .map(|o| (&o.entity, &o.question, &o.question_text)),
            );
        for (e, qid, text) in pairs {
            cited += 1;
            texts.entry(qid.to_string()).or_default().push(text.clone());
            names
                .entry(format!("{:?}{}", e.kind, e.id))
                .or_default()
                .push(e.name.clone());
        }
    }
    assert!(
        cited > 2 * texts.len(),
        "questions are cited by several decisions: {cited}"
    );
    for (what, all) in texts.iter().chain(&names) {
        assert!(all.iter().all(|t| t.shares(&all[0])), "{what} is copied");
    }
}

/// Each answer's note is given once in the memo's detail, where it is first cited, and later
/// places refer back to it; the Workshop answers keep every note, and the JSON keeps
/// `answer_notes` (Relaymint audit, round three: S1 gave some notes six times).
#[test]
fn each_note_is_given_once_in_the_memo() {
    for name in EXAMPLES {
        let s = example(name);
        let r = recommend(&s);
        let md = markdown::render(q(), &s, &r);
        let detail = md
            .split("\n## Decisions in detail")
            .nth(1)
            .and_then(|d| d.split("\n## Workshop answers").next())
            .expect("sections");
        let notes = socscope::report::notes::behind(&s, &r);
        for n in &notes {
            // The note's opening words, where escaping changes nothing.
            let plain: String = n
                .note
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == ' ')
                .collect();
            if plain.len() < 16 {
                continue;
            }
            // Notes are printed as "Note: ..." beside an answer or "(note: ...)" after one.
            let times = detail.matches(&format!("Note: {plain}")).count()
                + detail.matches(&format!("(note: {plain}")).count();
            assert!(times <= 1, "{name}: {:?} given {times} times", n.note);
        }
        if name.starts_with("s1-") {
            assert!(
                detail.contains("(note above, under “Which report”)"),
                "{name}: later places refer to the note"
            );
            let json: serde_json::Value =
                serde_json::from_str(&json::render_export(q(), &s, &r)).expect("JSON");
            assert_eq!(
                json["answer_notes"].as_array().map(Vec::len),
                Some(notes.len())
            );
        }
    }
}

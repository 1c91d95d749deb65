//! The exports auditors and tools read: Markdown that is valid CommonMark (GitHub tables, no raw
//! HTML, no links from user text, tables that keep their shape whatever people typed) and JSON
//! that keeps people's text exactly as written.

mod common;

use std::sync::OnceLock;

use chrono::{DateTime, TimeZone, Utc};
use proptest::prelude::*;
use pulldown_cmark::{Event, HeadingLevel, Options, Parser, Tag, TagEnd};
use serde_json::Value as Json;

use common::{EXAMPLES, builtin, example};
use socscope::engine::{self, Recommendation};
use socscope::export::{json, markdown};
use socscope::questionnaire::Questionnaire;
use socscope::session::{EntityId, OrphanAnswer, Session, Value};

/// The built-in questionnaire, loaded once (loading and validating it is most of a test's time).
fn q() -> &'static Questionnaire {
    static Q: OnceLock<Questionnaire> = OnceLock::new();
    Q.get_or_init(builtin)
}

fn recommend(s: &Session) -> Recommendation {
    engine::recommend(q(), s)
}

fn markdown_of(s: &Session) -> String {
    markdown::render(q(), s, &recommend(s))
}

fn json_of(s: &Session) -> Json {
    let text = json::render(s, &recommend(s));
    serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("JSON export does not parse ({e}):\n{text}"))
}

// ---------------------------------------------------------------------------------------------
// A small reader of the parsed Markdown

/// One GitHub table: the header cells, then each body row's cells, as plain text.
#[derive(Debug, Default)]
struct Table {
    head: Vec<String>,
    rows: Vec<Vec<String>>,
}

#[derive(Debug, Default)]
struct Doc {
    /// (level, text) of every heading.
    headings: Vec<(HeadingLevel, String)>,
    tables: Vec<Table>,
    /// Raw HTML, links, images: none of these should ever appear.
    html: Vec<String>,
    links: Vec<String>,
    /// Text of every emphasis or strong span, and of every code span.
    emphasis: Vec<String>,
    code: Vec<String>,
}

fn options() -> Options {
    Options::ENABLE_TABLES
}

fn parse(md: &str) -> Doc {
    let mut doc = Doc::default();
    let mut heading: Option<(HeadingLevel, String)> = None;
    let mut cell: Option<String> = None;
    let mut row: Vec<String> = Vec::new();
    let mut emph: Vec<String> = Vec::new();
    for event in Parser::new_ext(md, options()) {
        match event {
            Event::Html(h) | Event::InlineHtml(h) => doc.html.push(h.to_string()),
            Event::Start(Tag::Link { dest_url, .. })
            | Event::Start(Tag::Image { dest_url, .. }) => doc.links.push(dest_url.to_string()),
            Event::Start(Tag::Heading { level, .. }) => heading = Some((level, String::new())),
            Event::End(TagEnd::Heading(_)) => doc.headings.extend(heading.take()),
            Event::Start(Tag::Table(_)) => doc.tables.push(Table::default()),
            Event::End(TagEnd::TableHead) => {
                doc.tables.last_mut().expect("in a table").head = std::mem::take(&mut row);
            }
            Event::End(TagEnd::TableRow) => {
                doc.tables
                    .last_mut()
                    .expect("in a table")
                    .rows
                    .push(std::mem::take(&mut row));
            }
            Event::Start(Tag::TableCell) => cell = Some(String::new()),
            Event::End(TagEnd::TableCell) => row.extend(cell.take()),
            Event::Start(Tag::Emphasis) | Event::Start(Tag::Strong) => emph.push(String::new()),
            Event::End(TagEnd::Emphasis) | Event::End(TagEnd::Strong) => {
                doc.emphasis.extend(emph.pop())
            }
            Event::Code(t) => {
                doc.code.push(t.to_string());
                for buf in heading
                    .iter_mut()
                    .map(|h| &mut h.1)
                    .chain(cell.iter_mut())
                    .chain(emph.iter_mut())
                {
                    buf.push_str(&t);
                }
            }
            Event::Text(t) => {
                for buf in heading
                    .iter_mut()
                    .map(|h| &mut h.1)
                    .chain(cell.iter_mut())
                    .chain(emph.iter_mut())
                {
                    buf.push_str(&t);
                }
            }
            Event::SoftBreak | Event::HardBreak => {
                for buf in heading
                    .iter_mut()
                    .map(|h| &mut h.1)
                    .chain(cell.iter_mut())
                    .chain(emph.iter_mut())
                {
                    buf.push(' ');
                }
            }
            _ => {}
        }
    }
    doc
}

/// Counts the `|` that delimit cells on a table line (not escaped ones).
fn unescaped_pipes(line: &str) -> usize {
    let mut n = 0;
    let mut escaped = false;
    for c in line.chars() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '|' => n += 1,
            _ => {}
        }
    }
    n
}

/// Every table line in the source delimits as many cells as its table's header.
fn assert_table_lines_keep_their_shape(md: &str) {
    let mut expected: Option<usize> = None;
    for line in md.lines() {
        if !line.starts_with('|') {
            expected = None;
            continue;
        }
        let n = unescaped_pipes(line);
        match expected {
            None => expected = Some(n),
            Some(e) => assert_eq!(
                n, e,
                "table line has {n} delimiters, its header {e}: {line:?}"
            ),
        }
    }
}

/// The expected number of columns of each table the export writes, by its first header cell.
fn expected_columns(first_header: &str) -> usize {
    match first_header {
        "Workshop" => 2,
        "Decision" => 3,
        "Report" => 5,
        "SOC 2 category" => 3,
        "In-scope system" => 3,
        "Subservice organisation" => 5,
        "System" => 4,
        "Identity" => 7,
        "Question" => 3,
        other => panic!("unexpected table with header {other:?}"),
    }
}

/// The structural promises every export keeps, whatever the session says.
fn assert_well_formed(md: &str) -> Doc {
    let doc = parse(md);
    assert!(
        doc.html.is_empty(),
        "raw HTML in the export: {:?}",
        doc.html
    );
    assert!(doc.links.is_empty(), "links in the export: {:?}", doc.links);
    assert!(!md.contains('\u{1b}'), "an ESC character survived");
    assert!(
        !md.chars().any(|c| c.is_control() && c != '\n'),
        "a control character survived"
    );
    for t in &doc.tables {
        let first = t.head.first().map(String::as_str).unwrap_or_default();
        let cols = expected_columns(first);
        assert_eq!(
            t.head.len(),
            cols,
            "header of the {first} table: {:?}",
            t.head
        );
        for r in &t.rows {
            assert_eq!(r.len(), cols, "row of the {first} table: {r:?}");
        }
    }
    assert_table_lines_keep_their_shape(md);
    doc
}

fn h2(doc: &Doc) -> Vec<&str> {
    doc.headings
        .iter()
        .filter(|(l, _)| *l == HeadingLevel::H2)
        .map(|(_, t)| t.as_str())
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Snapshots

#[test]
fn s1_markdown_snapshot() {
    let md = markdown_of(&example("s1-payroll-provider.toml"));
    insta::assert_snapshot!("s1_payroll_provider_markdown", md);
}

#[test]
fn s3_markdown_snapshot() {
    let md = markdown_of(&example("s3-billing-service-account.toml"));
    insta::assert_snapshot!("s3_billing_service_account_markdown", md);
}

/// A decision lists each answer once, grouped by the entity that gave it: the system and
/// identity rules that restate "a SOC 2 is called for" do not repeat the engagement answers.
#[test]
fn each_answer_is_listed_once_per_decision() {
    for name in EXAMPLES {
        let md = markdown_of(&example(name));
        for section in md.split("\n### ").skip(1) {
            let why = section.split("\nSensitivity:").next().unwrap_or(section);
            let mut entities = std::collections::HashSet::new();
            let mut answers = std::collections::HashSet::new();
            let mut entity = "";
            for line in why.lines() {
                if line.starts_with("- ") && line.ends_with(':') {
                    entity = line;
                    assert!(entities.insert(line), "{name}: entity twice: {line}");
                } else if line.starts_with("  - ") && line.contains("**") {
                    assert!(
                        answers.insert((entity, line)),
                        "{name}: listed twice in one decision: {entity} {line}"
                    );
                }
            }
        }
    }
    let md = markdown_of(&example("s1-payroll-provider.toml"));
    let verdict = md
        .split("\n### ")
        .find(|x| x.starts_with("Which report"))
        .expect("the verdict decision");
    let behind = verdict
        .split("The answers behind it:\n")
        .nth(1)
        .expect("the answers behind the verdict");
    let entities: Vec<&str> = behind
        .lines()
        .take_while(|l| !l.starts_with("Sensitivity"))
        .filter(|l| l.starts_with("- "))
        .collect();
    assert_eq!(
        entities,
        [
            "- Payroll engine:",
            "- Engagement:",
            "- Payroll database administrator (Jorge Moreno):",
            "- payroll-sftp key pair:"
        ],
        "each entity once:\n{verdict}"
    );
    assert!(!md.contains("shown above"), "no back-references left");
}

#[test]
fn export_is_deterministic() {
    for name in EXAMPLES {
        let s = example(name);
        assert_eq!(markdown_of(&s), markdown_of(&s), "{name}: Markdown");
        let r = recommend(&s);
        assert_eq!(json::render(&s, &r), json::render(&s, &r), "{name}: JSON");
        let footer = format!(
            "from the session updated {}.",
            s.updated.format("%Y-%m-%d %H:%M UTC")
        );
        assert!(
            markdown_of(&s).trim_end().ends_with(&footer),
            "{name}: timestamp from the file"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// CommonMark structure of every example

#[test]
fn every_example_exports_well_formed_commonmark() {
    for name in EXAMPLES {
        let s = example(name);
        let md = markdown_of(&s);
        let doc = assert_well_formed(&md);
        let h1: Vec<&str> = doc
            .headings
            .iter()
            .filter(|(l, _)| *l == HeadingLevel::H1)
            .map(|(_, t)| t.as_str())
            .collect();
        assert_eq!(h1.len(), 1, "{name}: one title: {h1:?}");
        assert!(
            h1[0].contains(&s.workshop.organisation),
            "{name}: title names the organisation"
        );
        let sections = h2(&doc);
        assert_eq!(
            &sections[..3],
            ["Page one", "The boundary", "Decisions in detail"],
            "{name}: the memo opens with page one and the picture"
        );
        assert_eq!(
            sections.last(),
            Some(&"Appendix: rules and references"),
            "{name}"
        );
        for wanted in ["Systems", "Identities", "Open questions"] {
            assert!(
                sections.contains(&wanted),
                "{name}: no `## {wanted}` in {sections:?}"
            );
        }
        let mut unique = sections.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(
            unique.len(),
            sections.len(),
            "{name}: no section twice: {sections:?}"
        );

        let workshop = doc
            .tables
            .iter()
            .find(|t| t.head[0] == "Workshop")
            .expect("workshop table");
        assert_eq!(
            workshop.rows[0],
            vec!["Organisation".to_string(), s.workshop.organisation.clone()]
        );
        let r = recommend(&s);
        let reports = doc.tables.iter().find(|t| t.head[0] == "Report");
        assert_eq!(
            reports.map_or(0, |t| t.rows.len()),
            r.plans.len(),
            "{name}: page one has a row per report called for or possible"
        );
        // Rule ids appear only in the appendix.
        let before = md
            .split("## Appendix: rules and references")
            .next()
            .unwrap_or_default();
        for rule in &q().rules {
            assert!(
                !before.contains(&format!("`{}`", rule.id)),
                "{name}: rule id {} outside the appendix",
                rule.id
            );
        }
        let systems = doc.tables.iter().find(|t| t.head[0] == "System");
        assert_eq!(
            systems.map_or(0, |t| t.rows.len()),
            r.systems.len(),
            "{name}: one row per system"
        );
        let identities = doc.tables.iter().find(|t| t.head[0] == "Identity");
        assert_eq!(
            identities.map_or(0, |t| t.rows.len()),
            r.identities.len(),
            "{name}: one row per identity"
        );
        for (row, x) in systems.iter().flat_map(|t| &t.rows).zip(&r.systems) {
            assert_eq!(row[0], x.name, "{name}: system row in inventory order");
        }
    }
}

#[test]
fn undetermined_example_lists_its_open_questions() {
    let s = example("s5-nothing-decided.toml");
    let md = markdown_of(&s);
    let open = md
        .split("## Open questions\n")
        .nth(1)
        .expect("open questions section");
    let items = open
        .lines()
        .take_while(|l| !l.starts_with("## "))
        .filter(|l| l.starts_with("- "))
        .count();
    assert!(items > 0, "lists the questions that decide it:\n{open}");
    assert!(md.contains("Not yet determinable"), "{md}");
}

// ---------------------------------------------------------------------------------------------
// Hostile text

const HOSTILE: &str = "Acme | Co <script>alert(1)</script> [link](http://evil) *bold* `tick` \
                       line1\nline2 &amp; \u{1b}[31mred\u{1b}[0m";

fn at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 4, 5, 6, 7).unwrap()
}

fn answer(q: &Questionnaire, s: &mut Session, e: &EntityId, id: &str, v: Value) {
    let question = q.question(id).unwrap_or_else(|| panic!("question {id}"));
    s.set_answer(question, e, v, at())
        .unwrap_or_else(|err| panic!("{id}: {err}"));
}

fn text(s: &str) -> Value {
    Value::Text(s.to_string())
}

/// A session in scope for SOC 2 whose every free-text field holds `t(field)`.
fn session_with(
    org: &str,
    facilitator: &str,
    system: &str,
    identity: &str,
    note: &str,
    free_text: &str,
) -> Session {
    let q = q();
    let mut s = Session::new(q, org, at());
    s.workshop.facilitator = facilitator.to_string();
    s.workshop.participants = vec![facilitator.to_string(), "Second | participant".to_string()];
    let eng = EntityId::Engagement;
    answer(
        q,
        &mut s,
        &eng,
        "report_requesters",
        Value::List(vec!["security_teams".into()]),
    );
    answer(q, &mut s, &eng, "customer_base", text(free_text));
    answer(q, &mut s, &eng, "confidential_data", text("yes"));
    s.set_note("confidential_data", &eng, note, at());
    s.set_note("uptime_sla", &eng, note, at());

    let sys = EntityId::System(s.add_system(system, at()));
    answer(q, &mut s, &sys, "operated_by", text("in_house"));
    answer(q, &mut s, &sys, "customer_data", text("yes"));
    s.set_note("customer_data", &sys, note, at());

    let EntityId::System(sys_id) = &sys else {
        unreachable!()
    };
    let ident = s.add_identity(identity, at());
    s.toggle_link(&ident, sys_id, at());
    let ident = EntityId::Identity(ident);
    answer(q, &mut s, &ident, "identity_kind", text("service_account"));
    answer(q, &mut s, &ident, "has_owner", text("yes"));
    answer(q, &mut s, &ident, "owner_name", text(free_text));
    s.set_note("has_owner", &ident, note, at());

    s.orphans.push(OrphanAnswer {
        entity_id: None,
        entity: system.to_string(),
        question: free_text.to_string(),
        value: note.to_string(),
        reason: "the questionnaire has no such question".to_string(),
        note: Some(note.to_string()),
        at: None,
        source: None,
    });
    s
}

fn hostile_session() -> Session {
    session_with(
        HOSTILE,
        &format!("Facilitator {HOSTILE}"),
        &format!("System {HOSTILE}"),
        &format!("Identity {HOSTILE}"),
        &format!("Note {HOSTILE}"),
        &format!("Text {HOSTILE}"),
    )
}

/// What a reader should see of `s` in a table cell: line breaks as spaces, control characters
/// gone, nothing else changed.
fn as_read(s: &str) -> String {
    markdown::sanitize(s).trim().to_string()
}

#[test]
fn hostile_text_cannot_inject_markup_into_markdown() {
    let s = hostile_session();
    let md = markdown_of(&s);
    let doc = assert_well_formed(&md);
    // A raw tag only ever appears inside a code span (the id of a kept-aside answer).
    let in_code: usize = doc.code.iter().map(|c| c.matches("<script>").count()).sum();
    assert_eq!(
        md.matches("<script>").count(),
        in_code,
        "no raw tag outside code spans"
    );

    let workshop = doc
        .tables
        .iter()
        .find(|t| t.head[0] == "Workshop")
        .expect("workshop table");
    let value = |label: &str| {
        workshop
            .rows
            .iter()
            .find(|r| r[0] == label)
            .map(|r| r[1].clone())
            .unwrap_or_default()
    };
    assert_eq!(
        value("Organisation"),
        as_read(HOSTILE),
        "organisation cell reads as typed"
    );
    assert_eq!(value("Facilitator"), as_read(&s.workshop.facilitator));
    assert_eq!(
        value("Participants"),
        as_read(&s.workshop.participants.join(", "))
    );

    let systems = doc
        .tables
        .iter()
        .find(|t| t.head[0] == "System")
        .expect("systems table");
    assert_eq!(systems.rows.len(), 1);
    assert_eq!(systems.rows[0][0], as_read(&s.systems[0].name));
    let identities = doc
        .tables
        .iter()
        .find(|t| t.head[0] == "Identity")
        .expect("identities table");
    assert_eq!(identities.rows.len(), 1);
    assert_eq!(identities.rows[0][0], as_read(&s.identities[0].name));
    assert_eq!(
        identities.rows[0][2],
        as_read(&s.systems[0].name),
        "linked system, escaped"
    );

    let title = &doc.headings[0].1;
    assert_eq!(title, &format!("SOC scoping memo: {}", as_read(HOSTILE)));

    // `*bold*` and backticks stay literal: no emphasis or code span is made of user text.
    assert!(
        !doc.emphasis.iter().any(|e| e == "bold"),
        "{:?}",
        doc.emphasis
    );
    assert!(!doc.code.iter().any(|c| c == "tick"), "{:?}", doc.code);
    // `&amp;` is shown as typed, not decoded to `&`.
    assert!(value("Organisation").contains("&amp;"));

    // Notes are exported (escaped) so nothing the room said is lost.
    assert!(h2(&doc).contains(&"Workshop answers"), "{:?}", h2(&doc));
    assert!(h2(&doc).contains(&"Answers kept aside"), "{:?}", h2(&doc));
}

#[test]
fn hostile_text_survives_json_exactly() {
    let s = hostile_session();
    let j = json_of(&s);
    assert_eq!(
        j["organisation"], HOSTILE,
        "organisation byte for byte, ESC and newline included"
    );
    assert_eq!(j["facilitator"], s.workshop.facilitator.as_str());
    assert_eq!(
        j["participants"],
        serde_json::json!(s.workshop.participants)
    );
    assert_eq!(j["systems"][0]["name"], s.systems[0].name.as_str());
    assert_eq!(j["identities"][0]["name"], s.identities[0].name.as_str());
    assert_eq!(j["identities"][0]["systems"][0], s.systems[0].name.as_str());
    // Every entity named in a rationale carries the name exactly.
    let names = [
        s.systems[0].name.as_str(),
        s.identities[0].name.as_str(),
        "Engagement",
    ];
    let mut seen = 0;
    visit(&j, &mut |v| {
        if let Some(name) = v
            .get("entity")
            .and_then(|e| e.get("name"))
            .and_then(Json::as_str)
        {
            assert!(names.contains(&name), "entity name altered: {name:?}");
            seen += 1;
        }
    });
    assert!(seen > 0, "the rationale names entities");
    // The raw text export is also JSON-valid for `recommend --json` consumers.
    let text = json::render(&s, &recommend(&s));
    assert!(
        text.contains("\\u001b"),
        "ESC is escaped in JSON, not dropped"
    );
}

fn visit(v: &Json, f: &mut impl FnMut(&Json)) {
    f(v);
    match v {
        Json::Array(a) => a.iter().for_each(|x| visit(x, f)),
        Json::Object(o) => o.values().for_each(|x| visit(x, f)),
        _ => {}
    }
}

#[test]
fn empty_and_whitespace_names_still_give_well_formed_tables() {
    for blank in [
        "", "   ", "\n", "\u{1b}", "|", "\\", "-", "---", "===", "# x", "1. x", "> x",
    ] {
        let s = session_with(blank, blank, blank, blank, blank, blank);
        let md = markdown_of(&s);
        assert_well_formed(&md);
        json_of(&s);
    }
}

// ---------------------------------------------------------------------------------------------
// Property: any text at all

/// Strings rich in Markdown, HTML and control characters, plus arbitrary Unicode.
fn nasty() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        3 => any::<char>().prop_map(String::from),
        2 => prop::sample::select(vec![
            "|", "\\", "`", "*", "_", "[", "]", "(", ")", "<", ">", "&", "#", "!", "~", "-", "+",
            "=", ":", "\n", "\r", "\t", "\r\n", " ", "  ", "\u{1b}", "\u{0}", "\u{7f}", "\u{85}",
            "\u{2028}", "\u{a0}", "<b>", "</div>", "<!--", "-->", "&amp;", "&#60;", "&lt;",
            "http://evil", "www.evil.com", "[x]: http://evil", "![i](x)", "<http://a>", "1.",
            "```", "~~~", "$", "^", "{", "}", "\"", "'", "|---|", "    ", "é", "🦀",
        ])
        .prop_map(str::to_string),
    ];
    prop::collection::vec(piece, 0..24).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn any_text_keeps_markdown_safe_and_json_valid(
        org in nasty(),
        system in nasty(),
        identity in nasty(),
        note in nasty(),
        free_text in nasty(),
    ) {
        let s = session_with(&org, &org, &system, &identity, &note, &free_text);
        let md = markdown_of(&s);
        let doc = assert_well_formed(&md);
        let systems = doc.tables.iter().find(|t| t.head[0] == "System").expect("systems table");
        let cell = if as_read(&system).is_empty() { "—".to_string() } else { as_read(&system) };
        prop_assert_eq!(&systems.rows[0][0], &cell);
        let j = json_of(&s);
        prop_assert_eq!(j["organisation"].as_str(), Some(org.as_str()));
        prop_assert_eq!(j["systems"][0]["name"].as_str(), Some(system.as_str()));
        prop_assert_eq!(j["identities"][0]["name"].as_str(), Some(identity.as_str()));
    }
}

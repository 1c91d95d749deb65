//! Generated questionnaires that once made loading or `socscope validate` slow (issue 11,
//! item 11). Shared by tests/validate.rs and benches/questionnaire.rs.

#![allow(dead_code)]

use std::fmt::Write;

fn head() -> String {
    "[questionnaire]\nid = \"hostile\"\ntitle = \"Hostile\"\nversion = \"1\"\n\n".to_string()
}

fn question(out: &mut String, id: &str, kind: &str, show_if: Option<&str>) {
    let _ = write!(
        out,
        "[[questions]]\nid = \"{id}\"\nscope = \"engagement\"\nkind = \"{kind}\"\ntext = \"{id}?\"\n"
    );
    if let Some(c) = show_if {
        let _ = writeln!(out, "show_if = {c}");
    }
    out.push('\n');
}

fn rule(out: &mut String, id: &str, when: &str, extra: &str) {
    let _ = write!(
        out,
        "[[rules]]\nid = \"{id}\"\nscope = \"engagement\"\nwhen = {when}\nrationale = \"R.\"\n\
         soc1 = true\n{extra}\n"
    );
}

/// `n` text questions, each shown if the previous is answered or not (tested twice), and a
/// rule on the last: the attack's shape, 2 KB at n = 12.
pub fn twice_chain(n: usize) -> String {
    twice(n, "text", "answered = true", "answered = false")
}

/// The same with yes/no questions (`is = "yes"`, `is = "no"`).
pub fn twice_chain_yesno(n: usize) -> String {
    twice(n, "yesno", "is = \"yes\"", "is = \"no\"")
}

fn twice(n: usize, kind: &str, a: &str, b: &str) -> String {
    let mut s = head();
    for i in 0..n {
        let show = (i > 0).then(|| {
            format!(
                "{{ any = [{{ q = \"q{p}\", {a} }}, {{ q = \"q{p}\", {b} }}] }}",
                p = i - 1
            )
        });
        question(&mut s, &format!("q{i}"), kind, show.as_deref());
    }
    rule(&mut s, "r", &format!("{{ q = \"q{}\", {a} }}", n - 1), "");
    s
}

/// `n` number questions, each shown if the previous is above 0, and a rule on the last
/// (a linear chain: 24 MB at n = 200,000).
pub fn number_chain(n: usize) -> String {
    let mut s = head();
    for i in 0..n {
        let show = (i > 0).then(|| format!("{{ q = \"q{}\", gt = 0 }}", i - 1));
        question(&mut s, &format!("q{i}"), "number", show.as_deref());
    }
    rule(
        &mut s,
        "r",
        &format!("{{ q = \"q{}\", gt = 0 }}", n - 1),
        "",
    );
    s
}

/// `n` questions and `n` rules on unknown ids, the first a typo of `q1` (`qq1`).
pub fn unknown_ids(n: usize) -> String {
    let mut s = head();
    for i in 0..n {
        question(&mut s, &format!("q{i}"), "yesno", None);
    }
    rule(&mut s, "r_typo", "{ q = \"qq1\", is = \"yes\" }", "");
    for i in 0..n {
        rule(
            &mut s,
            &format!("r{i}"),
            &format!("{{ q = \"x{i}\", is = \"yes\" }}"),
            "",
        );
    }
    s
}

/// `n` questions and one rule per question, all written on one line each (inline arrays).
pub fn one_line(n: usize) -> String {
    let mut qs = String::from("questions = [");
    let mut rs = String::from("rules = [");
    for i in 0..n {
        let _ = write!(
            qs,
            "{{ id = \"q{i}\", scope = \"engagement\", kind = \"yesno\", text = \"Q{i}?\" }}, "
        );
        let _ = write!(
            rs,
            "{{ id = \"r{i}\", scope = \"engagement\", when = {{ q = \"q{i}\", is = \"yes\" }}, \
             rationale = \"R.\", soc1 = true }}, "
        );
    }
    format!("{qs}]\n{rs}]\n{}", head())
}

/// `n` questions and one rule whose condition is `any` of a test on each.
pub fn wide_rule(n: usize) -> String {
    let mut s = head();
    let mut when = String::from("{ any = [");
    for i in 0..n {
        question(&mut s, &format!("q{i}"), "yesno", None);
        let _ = write!(when, "{{ q = \"q{i}\", is = \"no\" }}, ");
    }
    when.push_str("] }");
    rule(&mut s, "r", &when, "");
    s
}

/// One single-choice question with `n` choices and a rule on each choice.
pub fn many_choices(n: usize) -> String {
    let mut s = head();
    s.push_str(
        "[[questions]]\nid = \"pick\"\nscope = \"engagement\"\nkind = \"single\"\ntext = \"?\"\n\
         choices = [\n",
    );
    for i in 0..n {
        let _ = writeln!(s, "  {{ id = \"c{i}\", label = \"C{i}\" }},");
    }
    s.push_str("]\n\n");
    for i in 0..n {
        rule(
            &mut s,
            &format!("r{i}"),
            &format!("{{ q = \"pick\", is = \"c{i}\" }}"),
            "",
        );
    }
    s
}

/// `n` evidence kinds and a rule citing each.
pub fn many_evidence(n: usize) -> String {
    let mut s = head();
    question(&mut s, "q", "yesno", None);
    for i in 0..n {
        let _ = write!(
            s,
            "[[evidence_kinds]]\nid = \"e{i}\"\ntitle = \"E{i}\"\ncadence = \"yearly\"\n\n"
        );
        rule(
            &mut s,
            &format!("r{i}"),
            "{ q = \"q\", is = \"yes\" }",
            &format!("evidence = [\"e{i}\"]\n"),
        );
    }
    s
}

/// A rule that can never fire (its last question must be both yes and no), after `k` pairs
/// of questions of which either may be yes: more answer combinations than the search tries.
pub fn hard_rule(k: usize) -> String {
    let mut s = head();
    let mut when = String::from("{ all = [");
    for i in 0..k {
        question(&mut s, &format!("a{i}"), "yesno", None);
        question(&mut s, &format!("b{i}"), "yesno", None);
        let _ = write!(
            when,
            "{{ any = [{{ q = \"a{i}\", is = \"yes\" }}, {{ q = \"b{i}\", is = \"yes\" }}] }}, "
        );
    }
    question(&mut s, "last", "yesno", None);
    when.push_str("{ q = \"last\", is = \"yes\" }, { q = \"last\", is = \"no\" }] }");
    rule(&mut s, "r_hard", &when, "");
    s
}

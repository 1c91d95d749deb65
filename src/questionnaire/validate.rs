//! Semantic checks on a parsed questionnaire: references between questions, conditions and
//! rules, and rules that can never fire. Syntax and shape are checked in `load`.

use std::cell::Cell;
use std::collections::{BTreeSet, HashMap};

use super::condition::{Bound, Condition, EntityKey, Env, Lookup, Test, Trace, Tri};
use super::load::Problem;
use super::{Kind, Pos, Question, Questionnaire, Rule, Scope, UNKNOWN};
use crate::session::Value;

thread_local! {
    static WORK: Cell<u64> = const { Cell::new(0) };
}

/// Counts steps of loading and checking (positions, hints, the rule search), so that tests can
/// assert how the work grows with the input without timing anything.
pub(crate) fn tick(n: usize) {
    WORK.with(|w| w.set(w.get().saturating_add(n as u64)));
}

/// Runs `f` and returns the questionnaire-checking steps it took on this thread.
#[doc(hidden)]
pub fn counted<T>(f: impl FnOnce() -> T) -> (T, u64) {
    let before = WORK.with(Cell::get);
    let r = f();
    (r, WORK.with(Cell::get) - before)
}

fn push(out: &mut Vec<Problem>, pos: Pos, message: String, help: impl Into<String>) {
    out.push(Problem {
        pos,
        message,
        help: help.into(),
    });
}

/// Where a condition sits, which decides what it may reference.
#[derive(Clone, Copy)]
enum Site {
    /// `show_if` of the question at this index.
    ShowIf(usize),
    Rule,
}

pub(crate) fn check_semantics(q: &Questionnaire, out: &mut Vec<Problem>, deep: bool) {
    // The first definition wins, so a duplicate id does not cause follow-on errors.
    let mut index: HashMap<&str, usize> = HashMap::new();
    for (i, question) in q.questions.iter().enumerate() {
        index.entry(question.id.as_str()).or_insert(i);
    }
    for (i, question) in q.questions.iter().enumerate() {
        if let Some(c) = &question.show_if {
            check_condition(q, &index, c, Site::ShowIf(i), question.scope, false, out);
        }
    }
    for rule in &q.rules {
        check_condition(q, &index, &rule.when, Site::Rule, rule.scope, false, out);
        check_findings(q, rule, out);
    }
    // Look for unsatisfiable rules among those whose references resolve; the others already
    // have an error of their own.
    if deep {
        let mut resolved = q.clone();
        for question in &mut resolved.questions {
            if let Some(c) = &mut question.show_if {
                resolve(c, &index);
            }
        }
        for rule in &mut resolved.rules {
            resolve(&mut rule.when, &index);
        }
        for rule in &resolved.rules {
            if never_fires(&resolved, rule) {
                push(
                    out,
                    rule.pos,
                    format!(
                        "rule `{}` can never fire: its condition is false \
                    whatever the answers",
                        rule.id
                    ),
                    "look for contradicting tests, or tests on a question that is hidden \
                     whenever the rest of the condition holds",
                );
            }
        }
    }
}

fn resolve(c: &mut Condition, index: &HashMap<&str, usize>) {
    for a in c.atoms_mut() {
        a.qi = index.get(a.q.as_str()).copied().unwrap_or(usize::MAX);
    }
}

fn check_condition(
    q: &Questionnaire,
    index: &HashMap<&str, usize>,
    c: &Condition,
    site: Site,
    scope: Scope,
    in_any_system: bool,
    out: &mut Vec<Problem>,
) {
    match c {
        Condition::All(cs) | Condition::Any(cs) => {
            for c in cs {
                check_condition(q, index, c, site, scope, in_any_system, out);
            }
        }
        Condition::Not(c) => check_condition(q, index, c, site, scope, in_any_system, out),
        Condition::AnySystem(_) | Condition::AnySystemInScope
            if scope != Scope::Identity || in_any_system || matches!(site, Site::ShowIf(_)) =>
        {
            let what = if matches!(c, Condition::AnySystem(_)) {
                "any_system"
            } else {
                "any_system_in_scope"
            };
            let pos = first_pos(c).unwrap_or_default();
            push(
                out,
                pos,
                format!("`{what}` is only allowed in identity rules"),
                "use it in a rule with scope = \"identity\", not nested and not in show_if",
            );
            if let Condition::AnySystem(inner) = c {
                check_condition(q, index, inner, site, Scope::System, true, out);
            }
        }
        Condition::AnySystem(inner) => {
            check_condition(q, index, inner, site, Scope::System, true, out)
        }
        Condition::AnySystemInScope => {}
        Condition::Atom(a) => {
            let Some(&target) = index.get(a.q.as_str()) else {
                push(
                    out,
                    a.pos,
                    format!("unknown question id `{}`", a.q),
                    format!(
                        "use the id of a question defined in this file{}",
                        closest(q, &a.q)
                            .map(|s| format!(" (did you mean `{s}`?)"))
                            .unwrap_or_default()
                    ),
                );
                return;
            };
            let tq = &q.questions[target];
            if tq.scope != scope && tq.scope != Scope::Engagement {
                let hint = if scope == Scope::Identity && tq.scope == Scope::System {
                    "identity rules reach system answers through `{ any_system = { q = ..., ... } }`"
                        .to_string()
                } else {
                    format!(
                        "a {} condition may use {} and engagement questions only",
                        scope.as_str(),
                        scope.as_str()
                    )
                };
                push(
                    out,
                    a.pos,
                    format!(
                        "question `{}` is a {} question, not available in a {} \
                    condition",
                        a.q,
                        tq.scope.as_str(),
                        scope.as_str()
                    ),
                    hint,
                );
            }
            if let Site::ShowIf(own) = site {
                if target == own {
                    push(
                        out,
                        a.pos,
                        format!("question `{}` is shown depending on itself", a.q),
                        "a show_if must depend on earlier questions only",
                    );
                } else if target > own {
                    push(
                        out,
                        a.pos,
                        format!(
                            "show_if references `{}`, which comes later (line {})",
                            a.q, tq.pos.line
                        ),
                        "move the referenced question above this one, or change the condition; \
                         questions are asked in file order",
                    );
                }
            }
            check_test(tq, &a.test, a.pos, out);
        }
    }
}

fn first_pos(c: &Condition) -> Option<Pos> {
    c.atoms().first().map(|a| a.pos)
}

fn check_test(q: &Question, test: &Test, pos: Pos, out: &mut Vec<Problem>) {
    let check_choice = |id: &str, out: &mut Vec<Problem>| {
        tick(q.choices.len());
        if id != UNKNOWN && q.choice(id).is_none() {
            let ids: Vec<&str> = q.choices.iter().map(|c| c.id.as_str()).collect();
            push(
                out,
                pos,
                format!("`{id}` is not a choice of question `{}`", q.id),
                format!("use one of: {}", ids.join(", ")),
            );
        }
    };
    let wrong = |what: &str, out: &mut Vec<Problem>| {
        push(
            out,
            pos,
            format!(
                "test `{what}` does not apply to {} question `{}`",
                q.kind.as_str(),
                q.id
            ),
            match q.kind {
                Kind::YesNo | Kind::Single => "use `is` or `in`",
                Kind::Multi => "use `has` or `has_any`",
                Kind::Number | Kind::Date => "use gt, gte, lt or lte",
                Kind::Text => "use `answered`",
            },
        );
    };
    match test {
        Test::Answered(_) => {}
        Test::Is(v) if matches!(q.kind, Kind::YesNo | Kind::Single) => check_choice(v, out),
        Test::In(vs) if matches!(q.kind, Kind::YesNo | Kind::Single) => {
            vs.iter().for_each(|v| check_choice(v, out))
        }
        Test::Has(v) if q.kind == Kind::Multi => check_choice(v, out),
        Test::HasAny(vs) if q.kind == Kind::Multi => vs.iter().for_each(|v| check_choice(v, out)),
        Test::Gt(b) | Test::Gte(b) | Test::Lt(b) | Test::Lte(b) => match (q.kind, b) {
            (Kind::Number, Bound::Number(_)) => {}
            (Kind::Date, Bound::Date(d)) => {
                if chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").is_err() {
                    push(
                        out,
                        pos,
                        format!("`{d}` is not a date"),
                        "write dates as \"YYYY-MM-DD\"",
                    );
                }
            }
            _ => wrong("gt/gte/lt/lte", out),
        },
        Test::Is(_) => wrong("is", out),
        Test::In(_) => wrong("in", out),
        Test::Has(_) => wrong("has", out),
        Test::HasAny(_) => wrong("has_any", out),
    }
}

fn check_findings(q: &Questionnaire, rule: &Rule, out: &mut Vec<Problem>) {
    let f = &rule.findings;
    for e in &f.evidence {
        tick(q.evidence_kinds.len());
        if q.evidence_kind(e).is_none() {
            push(
                out,
                rule.pos,
                format!("rule `{}` cites unknown evidence kind `{e}`", rule.id),
                "add an [[evidence_kinds]] entry with this id, or use the id of an existing one",
            );
        }
    }
    if f.is_empty() {
        push(
            out,
            rule.pos,
            format!("rule `{}` yields no findings", rule.id),
            "add at least one of soc1, soc2, categories, report_type, subservice, gap, \
             control_objectives, evidence...",
        );
    }
    let misplaced = |what: &str, allowed: Scope, out: &mut Vec<Problem>| {
        push(
            out,
            rule.pos,
            format!(
                "rule `{}` yields `{what}` but has scope {}",
                rule.id,
                rule.scope.as_str()
            ),
            format!(
                "`{what}` belongs in a rule with scope = \"{}\"",
                allowed.as_str()
            ),
        );
    };
    if rule.scope != Scope::System && (f.subservice.is_some() || !f.csocs.is_empty()) {
        misplaced("subservice/csocs", Scope::System, out);
    }
    if rule.scope != Scope::Identity && f.gap.is_some() {
        misplaced("gap", Scope::Identity, out);
    }
    if rule.scope != Scope::Engagement
        && (f.report_type.is_some() || f.observation_window.is_some() || f.sox_note.is_some())
    {
        misplaced(
            "report_type/observation_window/sox_note",
            Scope::Engagement,
            out,
        );
    }
    if rule.rationale.trim().is_empty() {
        push(
            out,
            rule.pos,
            format!("rule `{}` has an empty rationale", rule.id),
            "say in one sentence why these answers lead to these findings",
        );
    }
}

fn closest<'a>(q: &'a Questionnaire, id: &str) -> Option<&'a str> {
    q.questions
        .iter()
        .map(|x| (edit_distance(&x.id, id), x.id.as_str()))
        .filter(|(d, _)| *d <= 3)
        .min()
        .map(|(_, s)| s)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        tick(b.len());
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            cur.push(
                (prev[j] + usize::from(ca != *cb))
                    .min(prev[j + 1] + 1)
                    .min(cur[j] + 1),
            );
        }
        prev = cur;
    }
    prev[b.len()]
}

/// Searches the answers to the questions a rule depends on (and those their visibility depends
/// on) for one that makes the rule true. Skips rules whose search space is too large to try.
fn never_fires(q: &Questionnaire, rule: &Rule) -> bool {
    const LIMIT: usize = 100_000;
    let mut involved = BTreeSet::new();
    let mut stack: Vec<usize> = rule.when.atoms().iter().map(|a| a.qi).collect();
    while let Some(i) = stack.pop() {
        if involved.insert(i)
            && i != usize::MAX
            && let Some(c) = &q.questions[i].show_if
        {
            stack.extend(c.atoms().iter().map(|a| a.qi));
        }
    }
    // Unresolved or forward references are errors of their own, and a cycle would not end.
    let forward = involved.iter().any(|&i| {
        i == usize::MAX
            || q.questions[i]
                .show_if
                .as_ref()
                .is_some_and(|c| c.atoms().iter().any(|a| a.qi >= i))
    });
    if forward {
        return false;
    }
    let involved: Vec<usize> = involved.into_iter().collect();
    let all_atoms: Vec<_> = q
        .questions
        .iter()
        .filter_map(|x| x.show_if.as_ref())
        .chain(std::iter::once(&rule.when))
        .flat_map(|c| c.atoms())
        .collect();
    let domains: Vec<Vec<Value>> = involved
        .iter()
        .map(|&i| {
            domain(
                &q.questions[i],
                all_atoms
                    .iter()
                    .filter(|a| {
                        tick(1);
                        a.qi == i
                    })
                    .map(|a| &a.test),
            )
        })
        .collect();
    let size = domains
        .iter()
        .try_fold(1usize, |acc, d| acc.checked_mul(d.len()));
    if size.is_none_or(|s| s > LIMIT) {
        return false;
    }
    let mut pick = vec![0usize; involved.len()];
    loop {
        let assignment: HashMap<usize, &Value> = involved
            .iter()
            .zip(&pick)
            .zip(&domains)
            .map(|((&qi, &k), d)| (qi, &d[k]))
            .collect();
        let env = SatEnv { q, assignment };
        if rule.when.eval(&env, &mut Trace::default()) == Tri::True {
            return false;
        }
        // Next combination, odometer style.
        let mut k = 0;
        loop {
            if k == pick.len() {
                return true;
            }
            pick[k] += 1;
            if pick[k] < domains[k].len() {
                break;
            }
            pick[k] = 0;
            k += 1;
        }
    }
}

/// Candidate answers that exercise every test written against a question.
fn domain<'a>(q: &Question, tests: impl Iterator<Item = &'a Test>) -> Vec<Value> {
    let mut d = vec![Value::Unknown];
    match q.kind {
        Kind::YesNo | Kind::Single => d.extend(q.choices.iter().map(|c| Value::Text(c.id.clone()))),
        Kind::Multi => {
            let mut used: BTreeSet<&str> = BTreeSet::new();
            let tests: Vec<&Test> = tests.collect();
            for t in &tests {
                match t {
                    Test::Has(v) => {
                        used.insert(v);
                    }
                    Test::HasAny(vs) => used.extend(vs.iter().map(String::as_str)),
                    _ => {}
                }
            }
            let used: Vec<&str> = used.into_iter().take(12).collect();
            for mask in 0..(1u32 << used.len()) {
                let items = used
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| mask & (1 << i) != 0)
                    .map(|(_, s)| s.to_string())
                    .collect();
                d.push(Value::List(items));
            }
        }
        Kind::Text => d.push(Value::Text("x".into())),
        Kind::Number | Kind::Date => {
            let mut nums = vec![0.0];
            let mut dates = vec!["0000-01-01".to_string(), "9999-12-31".to_string()];
            for t in tests {
                if let Test::Gt(b) | Test::Gte(b) | Test::Lt(b) | Test::Lte(b) = t {
                    match b {
                        Bound::Number(n) => nums.extend([n - 1.0, *n, n + 1.0]),
                        Bound::Date(s) => {
                            dates.push(s.clone());
                            dates.push(format!("{s}~")); // sorts just after `s`
                        }
                    }
                }
            }
            if q.kind == Kind::Number {
                d.extend(nums.into_iter().map(Value::Number));
            } else {
                d.extend(dates.into_iter().map(Value::Text));
            }
        }
    }
    d
}

struct SatEnv<'a> {
    q: &'a Questionnaire,
    assignment: HashMap<usize, &'a Value>,
}

impl Env for SatEnv<'_> {
    fn owner(&self, _: usize) -> EntityKey {
        EntityKey::Engagement
    }
    fn lookup(&self, qi: usize) -> Lookup<'_> {
        tick(1);
        if let Some(c) = &self.q.questions[qi].show_if
            && c.eval(self, &mut Trace::default()) == Tri::False
        {
            return Lookup::Hidden;
        }
        match self.assignment.get(&qi) {
            Some(v) => Lookup::Answer(v),
            None => Lookup::Unanswered,
        }
    }
    fn any_system(&self, c: &Condition, trace: &mut Trace) -> Tri {
        c.eval(self, trace)
    }
    fn any_system_in_scope(&self, _: &mut Trace) -> Tri {
        Tri::True
    }
}

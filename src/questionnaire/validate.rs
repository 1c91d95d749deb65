//! Semantic checks on a parsed questionnaire: references between questions, conditions and
//! rules, and rules that can never fire. Syntax and shape are checked in `load`.

use std::cell::Cell;
use std::collections::{BTreeSet, HashMap, HashSet};

use super::condition::{Age, Atom, Bound, Condition, EntityKey, Env, Lookup, Test, Trace, Tri};
use super::load::Problem;
use super::{Kind, Pos, Question, Questionnaire, Rule, Scope, UNKNOWN};
use crate::vocab::Value;

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

/// What the checks share: the question index (the first definition wins, so a duplicate id
/// causes no follow-on errors), and lookups built once so that no check scans a list.
struct Checker<'a> {
    q: &'a Questionnaire,
    index: HashMap<&'a str, usize>,
    hints: Hints<'a>,
    /// Choice ids of the questions with many choices, built when first needed.
    choices: HashMap<usize, HashSet<&'a str>>,
}

/// Checks what `load` cannot see one entry at a time: references between questions, conditions
/// and rules. With `search`, also looks for rules that can never fire, and notes there the
/// rules it could not settle.
pub(crate) fn check_semantics(
    q: &Questionnaire,
    out: &mut Vec<Problem>,
    search: Option<&mut Vec<Problem>>,
) {
    let mut index: HashMap<&str, usize> = HashMap::new();
    for (i, question) in q.questions.iter().enumerate() {
        index.entry(question.id.as_str()).or_insert(i);
    }
    let mut cx = Checker {
        q,
        index,
        hints: Hints::new(q),
        choices: HashMap::new(),
    };
    for (i, question) in q.questions.iter().enumerate() {
        if let Some(c) = &question.show_if {
            cx.condition(c, Site::ShowIf(i), question.scope, false, out);
        }
    }
    let evidence: HashSet<&str> = q.evidence_kinds.iter().map(|e| e.id.as_str()).collect();
    for rule in &q.rules {
        cx.condition(&rule.when, Site::Rule, rule.scope, false, out);
        if !rule.report_level && has_total(&rule.when) {
            push(
                out,
                rule.pos,
                format!(
                    "rule `{}` tests a report total but is not a report rule",
                    rule.id
                ),
                "totals exist once every entity's rules have run: give the rule scope = \"report\"",
            );
        }
        check_findings(rule, &evidence, out);
        check_supersedes(q, rule, out);
    }
    for question in &q.questions {
        if question.show_if.as_ref().is_some_and(has_total) {
            push(
                out,
                question.pos,
                format!("show_if of `{}` tests a report total", question.id),
                "a question's show_if may test earlier answers only",
            );
        }
    }
    check_creates(q, &cx.index, out);
    check_migrations(q, &cx.index, out);
    if let Some(notes) = search {
        search_rules(q, out, notes);
    }
}

impl<'a> Checker<'a> {
    fn condition(
        &mut self,
        c: &'a Condition,
        site: Site,
        scope: Scope,
        in_any_system: bool,
        out: &mut Vec<Problem>,
    ) {
        match c {
            Condition::All(cs) | Condition::Any(cs) => {
                for c in cs {
                    self.condition(c, site, scope, in_any_system, out);
                }
            }
            Condition::Not(c) => self.condition(c, site, scope, in_any_system, out),
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
                    self.condition(inner, site, Scope::System, true, out);
                }
            }
            Condition::AnySystem(inner) => self.condition(inner, site, Scope::System, true, out),
            Condition::AnySystemInScope => {}
            // Where totals and boundary tests may appear is checked per rule (`has_total`, and
            // `Rule::late` when loading), which knows its line.
            Condition::Total(_) => {}
            Condition::Boundary(_) if matches!(site, Site::ShowIf(_)) => push(
                out,
                first_pos(c).unwrap_or_default(),
                "`in_scope` and `supports` are not allowed in show_if".to_string(),
                "a question's show_if may test earlier answers only",
            ),
            Condition::Boundary(_) => {}
            Condition::Atom(a) => self.atom(a, site, scope, out),
        }
    }

    fn atom(&mut self, a: &'a Atom, site: Site, scope: Scope, out: &mut Vec<Problem>) {
        let q = self.q;
        let Some(&target) = self.index.get(a.q.as_str()) else {
            push(
                out,
                a.pos,
                format!("unknown question id `{}`", a.q),
                format!(
                    "use the id of a question defined in this file{}",
                    self.hints
                        .closest(&a.q)
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
            } else if scope == Scope::Engagement {
                "an engagement condition may use engagement questions only".to_string()
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
                    "question `{}` is {} {} question, not available in {} {} condition",
                    a.q,
                    article(tq.scope),
                    tq.scope.as_str(),
                    article(scope),
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
        self.test(target, &a.test, a.pos, out);
    }

    fn has_choice(&mut self, qi: usize, id: &str) -> bool {
        let all: &'a Questionnaire = self.q;
        let question = &all.questions[qi];
        // A short list is quicker to scan than to hash.
        if question.choices.len() <= 16 {
            tick(question.choices.len());
            return question.choice(id).is_some();
        }
        tick(1);
        self.choices
            .entry(qi)
            .or_insert_with(|| {
                tick(question.choices.len());
                question.choices.iter().map(|c| c.id.as_str()).collect()
            })
            .contains(id)
    }

    fn test(&mut self, qi: usize, test: &Test, pos: Pos, out: &mut Vec<Problem>) {
        let all: &'a Questionnaire = self.q;
        let q = &all.questions[qi];
        let mut check_choice = |id: &str, out: &mut Vec<Problem>| {
            if id != UNKNOWN && !self.has_choice(qi, id) {
                push(
                    out,
                    pos,
                    format!("`{id}` is not a choice of question `{}`", q.id),
                    format!("use one of: {}", choice_list(q)),
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
                    Kind::Number | Kind::Date => "use gt, gte, lt, lte (or older_than for a date)",
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
            Test::HasAny(vs) if q.kind == Kind::Multi => {
                vs.iter().for_each(|v| check_choice(v, out))
            }
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
            Test::OlderThan(age) => {
                if q.kind != Kind::Date {
                    wrong("older_than", out);
                }
                if let Age::Question { q: rq, qi: rqi } = age {
                    match self.q.questions.get(*rqi) {
                        None => push(
                            out,
                            pos,
                            format!("unknown question id `{rq}` in older_than"),
                            "name a number question (the days allowed), or give a number",
                        ),
                        Some(r) if r.kind != Kind::Number => push(
                            out,
                            pos,
                            format!("older_than names `{rq}`, which is not a number question"),
                            "name a number question (the days allowed), or give a number",
                        ),
                        Some(r) if r.scope != q.scope && r.scope != Scope::Engagement => push(
                            out,
                            pos,
                            format!("older_than names `{rq}`, a question of another scope"),
                            "name a number question of the same entity, or of the engagement",
                        ),
                        Some(_) => {}
                    }
                }
            }
            Test::Is(_) => wrong("is", out),
            Test::In(_) => wrong("in", out),
            Test::Has(_) => wrong("has", out),
            Test::HasAny(_) => wrong("has_any", out),
        }
    }
}

/// The choices of a question for a help line: the first dozen, then how many more there are,
/// so that many wrong tests on a long list do not print the list each time.
fn choice_list(q: &Question) -> String {
    const SHOWN: usize = 12;
    tick(SHOWN.min(q.choices.len()));
    let ids: Vec<&str> = q
        .choices
        .iter()
        .take(SHOWN)
        .map(|c| c.id.as_str())
        .collect();
    let more = q.choices.len().saturating_sub(SHOWN);
    if more == 0 {
        ids.join(", ")
    } else {
        format!("{} and {more} more", ids.join(", "))
    }
}

fn first_pos(c: &Condition) -> Option<Pos> {
    c.atoms().first().map(|a| a.pos)
}

/// `supersedes` names rules that yield CUECs, and only a rule yielding CUECs has it.
fn check_supersedes(q: &Questionnaire, rule: &Rule, out: &mut Vec<Problem>) {
    let f = &rule.findings;
    if !f.supersedes.is_empty() && f.cuecs.is_empty() {
        push(
            out,
            rule.pos,
            format!("rule `{}` has `supersedes` but no `cuecs`", rule.id),
            "`supersedes` lists the rules whose CUECs this rule's replace: add cuecs = [...], or remove it",
        );
    }
    for id in &f.supersedes {
        tick(1);
        let target = q.rules.iter().find(|r| &r.id == id);
        if target.is_none_or(|r| r.findings.cuecs.is_empty()) {
            push(
                out,
                rule.pos,
                format!(
                    "rule `{}` supersedes `{id}`, which is not a rule yielding CUECs",
                    rule.id
                ),
                "name the id of a rule with cuecs = [...]",
            );
        }
    }
}

fn check_findings(rule: &Rule, evidence: &HashSet<&str>, out: &mut Vec<Problem>) {
    let f = &rule.findings;
    for e in &f.evidence {
        tick(1);
        if !evidence.contains(e.as_str()) {
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
    if rule.scope != Scope::System
        && (f.subservice.is_some() || !f.csocs.is_empty() || f.needs_report.is_some())
    {
        misplaced("subservice/csocs/needs_report", Scope::System, out);
    }
    // CUECs follow what the service does: the engagement's answers, or what a system does.
    if rule.scope == Scope::Identity && !f.cuecs.is_empty() {
        misplaced("cuecs", Scope::Engagement, out);
    }
    if rule.scope != Scope::Engagement && f.framework.is_some() {
        misplaced("framework", Scope::Engagement, out);
    }
    if f.framework.is_some() && f.note.is_none() {
        push(
            out,
            rule.pos,
            format!("rule `{}` names a framework without a note", rule.id),
            "add note = \"...\": what the framework means for this engagement and the SOC 2 criteria it overlaps",
        );
    }
    if rule.scope == Scope::Engagement && (f.gap.is_some() || f.unverified.is_some()) {
        misplaced("gap", Scope::Identity, out);
    }
    if rule.scope == Scope::Identity && f.report_type.is_some() {
        misplaced("report_type", Scope::Engagement, out);
    }
    if rule.scope != Scope::Engagement
        && (f.observation_window.is_some()
            || f.sox_note.is_some()
            || f.first_examination.is_some()
            || f.soc1_demand.is_some())
    {
        misplaced(
            "observation_window/sox_note/first_examination/soc1_demand",
            Scope::Engagement,
            out,
        );
    }
    if f.scenario.is_some() && f.report_type.is_none() {
        push(
            out,
            rule.pos,
            format!("rule `{}` names a scenario without a Type", rule.id),
            "`scenario` says how the plan names the case of this rule's `report_type` while its \
             answers are open: add report_type = \"type1\" (or \"type2\"), or remove it",
        );
    }
    if rule.scope == Scope::System && f.report_type.is_some() && f.report.is_none() {
        push(
            out,
            rule.pos,
            format!(
                "system rule `{}` sets a Type without saying for which report",
                rule.id
            ),
            "add report = \"soc1\" (or \"soc2\"): a system's operating history decides the Type of \
             the report that covers it",
        );
    }
    for t in &f.touches {
        let known = ["verdict", "type.soc1", "type.soc2"].contains(&t.as_str())
            || t.strip_prefix("soc2.")
                .is_some_and(|c| crate::vocab::Category::from_id(c).is_some());
        if !known {
            push(
                out,
                rule.pos,
                format!("rule `{}` touches unknown decision `{t}`", rule.id),
                "use verdict, type.soc1, type.soc2 or soc2.<category> (the entity's own decision \
                 is always touched)",
            );
        }
    }
    if f.conflict.is_none() && !f.touches.is_empty() {
        push(
            out,
            rule.pos,
            format!("rule `{}` has `touches` but no `conflict`", rule.id),
            "`touches` lists the decisions a conflict keeps provisional: add the conflict text",
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

/// "Did you mean" hints for unknown question ids. Each distinct id is compared with the
/// questions' ids once, and only the first [`Hints::LIMIT`] distinct ids get a hint: a file
/// with thousands of unknown ids costs the same per id as one with a few.
struct Hints<'a> {
    /// Question ids with their length in characters, built when first needed.
    ids: Option<Vec<(usize, &'a str)>>,
    q: &'a Questionnaire,
    found: HashMap<String, Option<&'a str>>,
}

impl<'a> Hints<'a> {
    const LIMIT: usize = 20;
    /// The largest edit distance worth suggesting.
    const MAX: usize = 3;

    fn new(q: &'a Questionnaire) -> Hints<'a> {
        Hints {
            ids: None,
            q,
            found: HashMap::new(),
        }
    }

    fn closest(&mut self, id: &str) -> Option<&'a str> {
        if let Some(&hint) = self.found.get(id) {
            return hint;
        }
        if self.found.len() >= Self::LIMIT {
            return None;
        }
        let q = self.q;
        let ids = self.ids.get_or_insert_with(|| {
            tick(q.questions.len());
            q.questions
                .iter()
                .map(|x| (x.id.chars().count(), x.id.as_str()))
                .collect()
        });
        let want: Vec<char> = id.chars().collect();
        tick(ids.len());
        let hint = ids
            .iter()
            .filter(|(len, _)| len.abs_diff(want.len()) <= Self::MAX)
            .filter_map(|&(_, x)| within(x, &want, Self::MAX).map(|d| (d, x)))
            .min()
            .map(|(_, x)| x);
        self.found.insert(id.to_string(), hint);
        hint
    }
}

/// The edit distance between `a` and `b` if it is at most `max`: only the diagonal band of
/// width 2 * max + 1 is computed, so the cost is linear in the length.
fn within(a: &str, b: &[char], max: usize) -> Option<usize> {
    const FAR: usize = usize::MAX / 2;
    let mut prev: Vec<usize> = (0..=b.len())
        .map(|j| if j <= max { j } else { FAR })
        .collect();
    let mut cur = vec![FAR; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        let row = i + 1;
        let lo = row.saturating_sub(max);
        let hi = (row + max).min(b.len());
        if lo > hi {
            return None;
        }
        // Cells outside the band keep stale values; the two the next row reads are reset.
        let mut best = FAR;
        if lo == 0 {
            cur[0] = row;
            best = row;
        } else {
            cur[lo - 1] = FAR;
        }
        for j in lo.max(1)..=hi {
            cur[j] = (prev[j - 1] + usize::from(ca != b[j - 1]))
                .min(prev[j] + 1)
                .min(cur[j - 1] + 1);
            best = best.min(cur[j]);
        }
        if hi < b.len() {
            cur[hi + 1] = FAR;
        }
        tick(hi + 1 - lo);
        if best > max {
            return None;
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    Some(prev[b.len()]).filter(|&d| d <= max)
}

/// Steps (condition atoms read, search states visited) one rule's search may take, and all
/// rules' searches together: the built-in questionnaire needs about 32,000 in all, and the
/// whole budget is spent in well under a second (about 7 ms per rule, 140 ms in all).
const RULE_STEPS: u64 = 200_000;
const TOTAL_STEPS: u64 = 4_000_000;

/// Looks for rules that can never fire, noting those whose search was cut short.
fn search_rules(q: &Questionnaire, out: &mut Vec<Problem>, notes: &mut Vec<Problem>) {
    let mut left = TOTAL_STEPS;
    let mut choices = HashMap::new();
    let mut not_checked: Vec<&Rule> = Vec::new();
    for rule in &q.rules {
        if left == 0 {
            not_checked.push(rule);
            continue;
        }
        let mut budget = Budget(RULE_STEPS.min(left));
        let before = budget.0;
        let outcome = search(q, rule, &mut budget, &mut choices);
        left -= before - budget.0;
        match outcome {
            Outcome::Never => push(
                out,
                rule.pos,
                format!(
                    "rule `{}` can never fire: its condition is false whatever the answers",
                    rule.id
                ),
                "look for contradicting tests, or tests on a question that is hidden \
                 whenever the rest of the condition holds",
            ),
            Outcome::CutShort if left == 0 => not_checked.push(rule),
            Outcome::CutShort => push(
                notes,
                rule.pos,
                format!(
                    "rule `{}` was not checked completely: the search for answers that make it \
                     fire stopped after {RULE_STEPS} steps, so it may or may not be able to fire",
                    rule.id
                ),
                "this is not an error; a condition on fewer questions (counting those its \
                 questions' show_if read) is checked completely",
            ),
            Outcome::Fires | Outcome::Unchecked => {}
        }
    }
    if let Some(first) = not_checked.first() {
        let n = not_checked.len();
        push(
            notes,
            first.pos,
            format!(
                "{n} rule{} from `{}` on {} not checked for whether {} can fire: the search \
                 stopped after {TOTAL_STEPS} steps in all",
                if n == 1 { "" } else { "s" },
                first.id,
                if n == 1 { "was" } else { "were" },
                if n == 1 { "it" } else { "they" },
            ),
            "this is not an error; the rules before it were checked",
        );
    }
}

/// Steps a search may still take.
struct Budget(u64);

impl Budget {
    /// Takes `n` steps; false once the budget is spent.
    fn spend(&mut self, n: usize) -> bool {
        tick(n);
        let n = n as u64;
        if n > self.0 {
            self.0 = 0;
            false
        } else {
            self.0 -= n;
            true
        }
    }
}

enum Outcome {
    Fires,
    Never,
    /// References to unknown or later questions: errors of their own, and a cycle would not end.
    Unchecked,
    CutShort,
}

/// Searches the answers to the questions a rule reads (and those their visibility reads) for
/// one that makes the rule true. Questions are answered in file order, which is the order in
/// which show_if conditions can read each other, and each question's visibility is computed
/// once per partial answer. A partial answer whose outcome is already settled is not extended
/// (Kleene logic: an open part can only become true or false), and one whose remaining search
/// has already failed in the same state (the answers later conditions still read) is not tried
/// again, so a chain costs its length times the answers of one link.
fn search<'a>(
    q: &'a Questionnaire,
    rule: &Rule,
    budget: &mut Budget,
    choices: &mut HashMap<usize, HashSet<&'a str>>,
) -> Outcome {
    // The questions involved, with the tests written against each.
    let mut tests: HashMap<usize, Vec<&Test>> = HashMap::new();
    let mut stack = Vec::new();
    let rule_atoms = rule.when.atoms();
    if !budget.spend(rule_atoms.len()) {
        return Outcome::CutShort;
    }
    // Report rules test totals, and late rules where systems stand, which no answer of one
    // entity settles: not searched.
    if has_total(&rule.when) || rule.late {
        return Outcome::Unchecked;
    }
    // The questions the rule reads: its atoms' and the policy questions `older_than` names.
    let mut read: Vec<usize> = Vec::new();
    for a in &rule_atoms {
        if a.qi >= q.questions.len() {
            return Outcome::Unchecked;
        }
        let seen = tests.contains_key(&a.qi);
        tests.entry(a.qi).or_default().push(&a.test);
        if !seen {
            stack.push(a.qi);
        }
        read.push(a.qi);
        if let Test::OlderThan(Age::Question { qi, .. }) = &a.test {
            if *qi >= q.questions.len() {
                return Outcome::Unchecked;
            }
            if !tests.contains_key(qi) {
                tests.insert(*qi, Vec::new());
                stack.push(*qi);
            }
            read.push(*qi);
        }
    }
    while let Some(i) = stack.pop() {
        let Some(c) = &q.questions[i].show_if else {
            continue;
        };
        let atoms = c.atoms();
        if !budget.spend(atoms.len()) {
            return Outcome::CutShort;
        }
        for a in atoms {
            if a.qi >= i {
                return Outcome::Unchecked;
            }
            let seen = tests.contains_key(&a.qi);
            tests.entry(a.qi).or_default().push(&a.test);
            if !seen {
                stack.push(a.qi);
            }
        }
    }
    let mut involved: Vec<usize> = tests.keys().copied().collect();
    involved.sort_unstable();
    let m = involved.len();
    if !budget.spend(m) {
        return Outcome::CutShort;
    }
    let pos: HashMap<usize, usize> = involved.iter().enumerate().map(|(p, &i)| (i, p)).collect();
    // The last position whose show_if reads each question (m: the rule reads it). After that
    // its answer no longer matters, so it drops out of the search state.
    let mut last_use = vec![0; m];
    for qi in &read {
        last_use[pos[qi]] = m;
    }
    for (p, &i) in involved.iter().enumerate() {
        if let Some(c) = &q.questions[i].show_if {
            let atoms = c.atoms();
            if !budget.spend(atoms.len()) {
                return Outcome::CutShort;
            }
            for a in atoms {
                let used = &mut last_use[pos[&a.qi]];
                *used = (*used).max(p);
            }
        }
    }
    let mut domains = Vec::with_capacity(m);
    for &i in &involved {
        let d = domain(&q.questions[i], i, &tests[&i], choices);
        if !budget.spend(d.len() + tests[&i].len()) {
            return Outcome::CutShort;
        }
        domains.push(d);
    }
    drop(tests);

    let show_ifs: Vec<Option<&Condition>> = involved
        .iter()
        .map(|&i| q.questions[i].show_if.as_ref())
        .collect();
    let mut val = vec![0usize; m];
    let mut vis = vec![Tri::True; m];
    // Per level, the earlier positions whose answers later conditions still read.
    let mut live: Vec<Vec<usize>> = vec![Vec::new()];
    let mut failed: HashSet<(usize, Vec<u32>)> = HashSet::new();
    let mut frames: Vec<Frame> = Vec::new();
    loop {
        let level = frames.len();
        let env = SatEnv {
            pos: &pos,
            domains: &domains,
            val: &val,
            vis: &vis,
            assigned: level,
            reads: Cell::new(0),
        };
        let now = rule.when.value(&env);
        let open = level < m && now == Tri::Open && possible(&rule.when, &env).0;
        let mut expand = None;
        if now == Tri::True {
            budget.spend(env.reads.get() as usize + 1);
            return Outcome::Fires;
        }
        if open {
            if live.len() == level {
                let prev = &live[level - 1];
                let mut next: Vec<usize> = prev
                    .iter()
                    .copied()
                    .filter(|&p| last_use[p] >= level)
                    .collect();
                if last_use[level - 1] >= level {
                    next.push(level - 1);
                }
                env.reads.set(env.reads.get() + prev.len() as u64);
                live.push(next);
            }
            let key: Vec<u32> = live[level]
                .iter()
                .map(|&p| (val[p] * 3 + tri_code(vis[p])) as u32)
                .collect();
            env.reads.set(env.reads.get() + key.len() as u64);
            let here = (level, key);
            if !failed.contains(&here) {
                let shown = show_ifs[level].map_or(Tri::True, |c| c.value(&env));
                expand = Some((here.1, shown));
            }
        }
        if !budget.spend(env.reads.get() as usize + 1) {
            return Outcome::CutShort;
        }
        if let Some((key, shown)) = expand {
            vis[level] = shown;
            val[level] = 0;
            // A hidden question's answer is never read: one candidate is enough.
            let width = if shown == Tri::False {
                1
            } else {
                domains[level].len()
            };
            frames.push(Frame {
                key,
                next: 1,
                width,
            });
            continue;
        }
        // Back to the last question with a candidate answer left.
        loop {
            let p = frames.len().wrapping_sub(1);
            let Some(top) = frames.last_mut() else {
                return Outcome::Never;
            };
            if top.next < top.width {
                val[p] = top.next;
                top.next += 1;
                break;
            }
            let done = frames.len() - 1;
            if let Some(f) = frames.pop() {
                failed.insert((done, f.key));
            }
        }
    }
}

/// A question being tried: the search state before it (`key`) and its next candidate answer.
struct Frame {
    key: Vec<u32>,
    next: usize,
    width: usize,
}

fn tri_code(t: Tri) -> usize {
    match t {
        Tri::False => 0,
        Tri::True => 1,
        Tri::Open => 2,
    }
}

/// Whether the condition can still become true, and whether it can still become false, when
/// only the questions answered so far are settled.
fn possible(c: &Condition, env: &SatEnv) -> (bool, bool) {
    match c {
        Condition::Atom(a) if !env.answered(a) => (true, true),
        Condition::Atom(_) => match c.value(env) {
            Tri::True => (true, false),
            Tri::False => (false, true),
            Tri::Open => (false, false),
        },
        Condition::Not(c) => {
            let (t, f) = possible(c, env);
            (f, t)
        }
        Condition::All(cs) => cs.iter().fold((true, false), |(t, f), c| {
            let (ct, cf) = possible(c, env);
            (t && ct, f || cf)
        }),
        Condition::Any(cs) => cs.iter().fold((false, true), |(t, f), c| {
            let (ct, cf) = possible(c, env);
            (t || ct, f && cf)
        }),
        Condition::AnySystem(c) => possible(c, env),
        Condition::AnySystemInScope => (true, false),
        // A report total can come out either way, whatever the engagement answers; so can
        // where a system stands.
        Condition::Total(_) | Condition::Boundary(_) => (true, true),
    }
}

fn has_total(c: &Condition) -> bool {
    match c {
        Condition::Total(_) => true,
        Condition::All(cs) | Condition::Any(cs) => cs.iter().any(has_total),
        Condition::Not(c) | Condition::AnySystem(c) => has_total(c),
        Condition::Atom(_) | Condition::AnySystemInScope | Condition::Boundary(_) => false,
    }
}

/// "a" or "an" before a scope's name.
fn article(scope: Scope) -> &'static str {
    if scope == Scope::Engagement {
        "an"
    } else {
        "a"
    }
}

/// The answers a naming question pre-fills in the systems it creates name system questions and
/// fit them.
fn check_creates(q: &Questionnaire, index: &HashMap<&str, usize>, out: &mut Vec<Problem>) {
    for question in &q.questions {
        let Some(c) = &question.creates else { continue };
        for (qid, v) in &c.answers {
            tick(1);
            let Some(target) = index.get(qid.as_str()).map(|&i| &q.questions[i]) else {
                push(
                    out,
                    c.pos,
                    format!(
                        "`creates` of `{}` pre-fills unknown question `{qid}`",
                        question.id
                    ),
                    "name a system question of this file",
                );
                continue;
            };
            if target.scope != Scope::System {
                push(
                    out,
                    c.pos,
                    format!(
                        "`creates` of `{}` pre-fills `{qid}`, a {} question",
                        question.id,
                        target.scope.as_str()
                    ),
                    "the created entries are systems: pre-fill system questions only",
                );
            } else if let Err(e) = v.check(target) {
                push(
                    out,
                    c.pos,
                    format!(
                        "`creates` of `{}`: the answer for `{qid}` does not fit: {e}",
                        question.id
                    ),
                    "use a value the question accepts (a choice id, yes/no, a number or a date)",
                );
            }
        }
    }
}

/// Each migration names questions of this file and maps values that fit the new question.
fn check_migrations(q: &Questionnaire, index: &HashMap<&str, usize>, out: &mut Vec<Problem>) {
    for m in &q.migrations {
        tick(1 + m.values.len());
        if index.contains_key(m.from.as_str()) {
            push(
                out,
                m.pos,
                format!("migration from `{}`: that question still exists", m.from),
                "a migration moves answers of a question that was removed or renamed; remove it",
            );
        }
        let Some(&to) = index.get(m.to.as_str()) else {
            push(
                out,
                m.pos,
                format!("migration to unknown question `{}`", m.to),
                "use the id of a question defined in this file",
            );
            continue;
        };
        let question = &q.questions[to];
        for (from, v) in &m.values {
            if let Err(e) = v.check(question) {
                push(
                    out,
                    m.pos,
                    format!("migration of `{}` = `{from}`: {e}", m.from),
                    "map it to a value the new question accepts",
                );
            }
        }
    }
}

/// Candidate answers that exercise every test written against a question. Choices that no
/// test names all behave alike, so one of them stands for the rest.
fn domain<'a>(
    q: &'a Question,
    qi: usize,
    tests: &[&Test],
    choices: &mut HashMap<usize, HashSet<&'a str>>,
) -> Vec<Value> {
    let mut d = vec![Value::Unknown];
    match q.kind {
        Kind::YesNo | Kind::Single => {
            let set = choices.entry(qi).or_insert_with(|| {
                tick(q.choices.len());
                q.choices.iter().map(|c| c.id.as_str()).collect()
            });
            let mut named = named_choices(tests, Kind::Single);
            named.retain(|v| set.contains(*v));
            d.extend(named.iter().map(|v| Value::Text(v.to_string())));
            // At most `named.len()` choices are passed over before one that no test names.
            if let Some(other) = q.choices.iter().find(|c| !named.contains(c.id.as_str())) {
                d.push(Value::Text(other.id.clone()));
            }
        }
        Kind::Multi => {
            let used: Vec<&str> = named_choices(tests, Kind::Multi)
                .into_iter()
                .take(12)
                .collect();
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
                        Bound::Date(s) => match chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d") {
                            // The day itself and either side of it, as real dates: answers are
                            // compared as dates.
                            Ok(day) => dates.extend(
                                [day.pred_opt(), Some(day), day.succ_opt()]
                                    .into_iter()
                                    .flatten()
                                    .map(|d| d.format("%Y-%m-%d").to_string()),
                            ),
                            // Not a date: reported as an error of its own.
                            Err(_) => dates.push(s.clone()),
                        },
                    }
                }
            }
            if q.kind == Kind::Number {
                nums.sort_by(f64::total_cmp);
                nums.dedup();
                d.extend(nums.into_iter().map(Value::Number));
            } else {
                dates.sort();
                dates.dedup();
                d.extend(dates.into_iter().map(Value::Text));
            }
        }
    }
    d
}

/// The choice ids the tests name: `is`/`in` for single choices, `has`/`has_any` for multiple.
fn named_choices<'t>(tests: &[&'t Test], kind: Kind) -> BTreeSet<&'t str> {
    let mut named = BTreeSet::new();
    for t in tests {
        match (t, kind == Kind::Multi) {
            (Test::Is(v), false) | (Test::Has(v), true) => {
                named.insert(v.as_str());
            }
            (Test::In(vs), false) | (Test::HasAny(vs), true) => {
                named.extend(vs.iter().map(String::as_str))
            }
            _ => {}
        }
    }
    named
}

/// A partial answer: the first `assigned` involved questions (in file order) have the
/// candidate `val[p]` and visibility `vis[p]`; the others are not answered yet.
struct SatEnv<'a> {
    pos: &'a HashMap<usize, usize>,
    domains: &'a [Vec<Value>],
    val: &'a [usize],
    vis: &'a [Tri],
    assigned: usize,
    /// Atoms read, for the budget.
    reads: Cell<u64>,
}

impl SatEnv<'_> {
    fn answered(&self, a: &Atom) -> bool {
        self.pos.get(&a.qi).is_some_and(|&p| p < self.assigned)
    }
}

impl Env for SatEnv<'_> {
    fn owner(&self, _: usize) -> EntityKey {
        EntityKey::Engagement
    }
    fn lookup(&self, qi: usize) -> Lookup<'_> {
        self.reads.set(self.reads.get() + 1);
        match self.pos.get(&qi) {
            Some(&p) if p < self.assigned && self.vis[p] == Tri::False => Lookup::Hidden,
            Some(&p) if p < self.assigned => Lookup::Answer(&self.domains[p][self.val[p]]),
            _ => Lookup::Unanswered,
        }
    }
    fn any_system(&self, c: &Condition, _: &mut Trace) -> Tri {
        c.value(self)
    }
    fn any_system_in_scope(&self, _: &mut Trace) -> Tri {
        Tri::True
    }
    fn total(&self, _: crate::questionnaire::condition::Total) -> Tri {
        Tri::Open
    }
    fn boundary(&self, _: crate::questionnaire::condition::Boundary, _: &mut Trace) -> Tri {
        Tri::Open
    }
    /// Between the earliest and latest candidate dates, so `older_than` can go either way.
    fn today(&self) -> Option<chrono::NaiveDate> {
        chrono::NaiveDate::from_ymd_opt(2000, 1, 1)
    }
}

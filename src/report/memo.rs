//! The scoping memo as data (domain.md §10): what a client executive and an auditor read in five
//! minutes, and each decision's detail for whoever checks it. The Markdown export, the JSON
//! export, `recommend` and plain mode all render from [`Memo`] and [`DecisionView`], so a
//! phrase changes here (or in `wording`) and everywhere at once.
//!
//! Rule ids and questionnaire references stay out of the memo's text: they are kept in
//! [`Reason::rule`] for the appendix only. Every list is capped where it would otherwise grow
//! with the inventory (page one is one page at 10,000 identities too), and the caps say so.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use serde::Serialize;

use crate::engine::{
    Available, CategoryState, Decision, DecisionId, EntityRef, Firing, Outcome, PlanStep,
    Recommendation, Verdict,
};
use crate::questionnaire::{Category, Questionnaire, Report, Rule, Scope, SubserviceMethod, tsc};
use crate::report::{notes, wording};
use crate::session::Session;

/// How many names a reason lists before "and N more".
const NAMES: usize = 3;
/// How many in-scope systems page one lists by name.
const PAGE_ONE_SYSTEMS: usize = 12;
/// How many deciding open questions page one lists.
const DECIDING: usize = 5;
/// How many kind-and-gap groups page one names.
const TOP_GAPS: usize = 5;
/// How many entities a decision's "answers behind it" lists before pointing to the appendix.
const ANSWER_GROUPS: usize = 12;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Memo {
    pub organisation: String,
    /// "Workshop of 2026-11-20 facilitated by Dana Reyes with ..."
    pub workshop: String,
    pub verdict: Verdict,
    /// "SOC 1 and SOC 2", with "(provisional)" when open questions could change it.
    pub headline: String,
    pub provisional: bool,
    /// One sentence under the headline: what it rests on, or what it waits for.
    pub standing: String,
    pub reports: Vec<ReportLine>,
    pub categories: Vec<CategoryLine>,
    /// Each "no" that matters beside the categories: a report not recommended, with its reason.
    pub exclusions: Vec<String>,
    pub systems: SystemCounts,
    pub in_scope_systems: Vec<SystemLine>,
    pub subservices: Vec<SubserviceLine>,
    pub cuecs: Vec<String>,
    pub identities: IdentityCounts,
    pub conflicts: Vec<String>,
    pub findings: Vec<String>,
    pub frameworks: Vec<String>,
    /// The open questions that decide the most, as "Entity: question".
    pub deciding: Vec<String>,
    /// Open questions beyond those listed.
    pub more_open: usize,
    pub next_steps: Vec<NextStep>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReportLine {
    pub report: Report,
    /// "SOC 1"
    pub label: String,
    /// "Type 2", "Type not decided yet"
    pub report_type: String,
    /// Whether the report is called for (false: it may be; open questions decide).
    pub settled: bool,
    pub provisional: bool,
    /// The dated period in one phrase: "period 2027-01-01 to 2027-12-31".
    pub period: String,
    /// Why this report, in one line.
    pub why: String,
    /// Why this Type, in one line.
    pub why_type: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CategoryLine {
    pub category: Category,
    pub label: String,
    pub included: bool,
    /// "Included", "Not included", "Possible: open questions decide"
    pub state: String,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct SystemCounts {
    pub total: usize,
    pub in_scope: usize,
    pub carved_out: usize,
    pub out_of_scope: usize,
    pub undecided: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SystemLine {
    pub id: String,
    pub name: String,
    /// "SOC 1 and SOC 2"
    pub reports: String,
    pub why: String,
    pub provisional: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SubserviceLine {
    pub id: String,
    pub name: String,
    pub method: SubserviceMethod,
    /// The systems of ours it hosts.
    pub hosts: Vec<String>,
    /// The systems of ours that use its service.
    pub used_by: Vec<String>,
    /// "its SOC 2 report", or empty when nothing is owed.
    pub needs: String,
    pub needs_reports: Vec<Report>,
    /// The reports held, by kind (from the answer's choice ids).
    pub held_reports: Vec<Report>,
    /// What we hold from it, as recorded ("not recorded yet" when unanswered).
    pub holds: String,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct IdentityCounts {
    pub total: usize,
    pub in_scope: usize,
    /// In-scope identities by kind, most numerous first: ("Service account", 34).
    pub by_kind: Vec<(String, usize)>,
    pub confirmed_gaps: usize,
    pub unverified: usize,
    /// The most common gaps by identity kind, confirmed first: "3 service accounts: shared
    /// account or credential".
    pub top_gaps: Vec<String>,
    /// Kind-and-gap groups beyond those named.
    pub more_gaps: usize,
}

/// One next step, dated when a plan gives it a date.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NextStep {
    pub by: Option<NaiveDate>,
    pub text: String,
    /// The role that owns it (`[plan.owners]`), when the questionnaire names one.
    pub owner: Option<String>,
}

/// One decision as its detail section reads: reasons once each, the answers behind it grouped
/// by entity, every "no" with its reason, and what could still change it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DecisionView {
    pub id: DecisionId,
    pub title: String,
    /// The outcome with its state: "Included (provisional)".
    pub outcome: String,
    pub provisional: bool,
    pub reasons: Vec<Reason>,
    pub exclusions: Vec<ExclusionView>,
    pub answers: Vec<EntityAnswers>,
    /// Entities whose answers are not listed (beyond the cap).
    pub more_answers: usize,
    pub conflicted: bool,
    pub open_questions: Vec<OpenLine>,
}

/// An open question of a decision, "Entity: question", with the note written beside its
/// answer when it was answered "unknown" (who said what, or why nobody knew).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OpenLine {
    pub text: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reason {
    /// The rule's rationale: the argument an auditor reads.
    pub text: String,
    /// The rule's one-line reason (its `brief`, or the rationale's first sentence).
    pub brief: String,
    /// Trust Services Criteria it rests on.
    pub criteria: Vec<String>,
    /// For whom it holds: "Payroll engine, Bank file gateway and 2 more"; empty for the
    /// engagement.
    pub applies_to: String,
    /// Through which in-scope systems (identity rules).
    pub through: String,
    /// For the appendix only.
    pub rule: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExclusionView {
    /// "Not SOC 1", "Availability not included", "Out of scope".
    pub what: String,
    pub because: Vec<Reason>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EntityAnswers {
    pub entity: String,
    /// The entity itself, for a front-end that jumps to its answers (the app's drill-down).
    #[serde(skip)]
    pub entity_ref: EntityRef,
    /// (question, answer as read, where a pre-filled answer came from)
    pub answers: Vec<AnswerLine>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AnswerLine {
    pub question: String,
    /// The question's id, for a front-end that jumps to it.
    #[serde(skip)]
    pub question_id: String,
    pub answer: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// The note written beside the answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// Rules by id, built once per memo (a lookup per firing stays linear), and the categories
/// whose criteria a reason may cite.
struct Rules<'q> {
    by_id: HashMap<&'q str, &'q Rule>,
    /// Security and the categories included: a reason for the SOC 2 does not cite C1.1 when
    /// Confidentiality is out (domain.md §2: the report covers the categories in scope).
    cited: Vec<Category>,
}

impl<'q> Rules<'q> {
    fn new(q: &'q Questionnaire, r: &Recommendation) -> Self {
        let mut cited = vec![Category::Security];
        cited.extend(r.soc2_categories.iter().copied());
        Rules {
            by_id: q.rules.iter().map(|r| (r.id.as_str(), r)).collect(),
            cited,
        }
    }
    fn get(&self, id: &str) -> Option<&'q Rule> {
        self.by_id.get(id).copied()
    }
    /// Whether a criterion may be cited: it belongs to a category in scope, or to `own`, the
    /// category the decision is about (its "not included" may cite the criteria it leaves out).
    fn cites(&self, criterion: &str, own: Option<Category>) -> bool {
        tsc::category(criterion).is_some_and(|c| self.cited.contains(&c) || own == Some(c))
    }
}

/// The first sentence of a rationale: up to the first ". " (or all of it).
fn first_sentence(s: &str) -> String {
    let s = s.trim();
    match s.find(". ") {
        Some(i) => s[..=i].to_string(),
        None => s.to_string(),
    }
}

fn brief_of(rules: &Rules, f: &Firing) -> String {
    rules
        .get(&f.rule)
        .and_then(|r| r.brief.clone())
        .unwrap_or_else(|| first_sentence(&f.rationale))
}

/// "A, B, C and 2 more"
pub(crate) fn names(all: &[&str]) -> String {
    let shown: Vec<&str> = all.iter().take(NAMES).copied().collect();
    let more = all.len().saturating_sub(NAMES);
    match (shown.as_slice(), more) {
        ([], _) => String::new(),
        ([one], 0) => one.to_string(),
        (many, 0) => {
            let (last, rest) = many.split_last().unwrap_or((&"", &[]));
            format!("{} and {last}", rest.join(", "))
        }
        (many, n) => format!("{} and {n} more", many.join(", ")),
    }
}

/// The systems or identities a firing holds for: the one it ran for, then the others the same
/// rule also fired for.
fn subjects(f: &Firing) -> Vec<&str> {
    f.subject
        .iter()
        .chain(&f.also)
        .map(|e| e.name.as_str())
        .collect()
}

fn reason(rules: &Rules, f: &Firing) -> Reason {
    reason_about(rules, f, None)
}

/// A reason of a decision about `own` (a category), which may cite that category's criteria.
fn reason_about(rules: &Rules, f: &Firing, own: Option<Category>) -> Reason {
    let via: Vec<&str> = f.via_systems.iter().map(|e| e.name.as_str()).collect();
    Reason {
        text: f.rationale.to_string(),
        brief: brief_of(rules, f),
        criteria: f
            .references
            .iter()
            .filter(|r| rules.cites(r, own))
            .map(|r| r.to_string())
            .collect(),
        applies_to: names(&subjects(f)),
        through: names(&via),
        rule: f.rule.to_string(),
    }
}

/// A reason as one line of page one: "Performs payroll and can change it (Payroll engine)".
fn one_line(r: &Reason) -> String {
    if r.applies_to.is_empty() {
        r.brief.clone()
    } else {
        format!("{} ({})", r.brief.trim_end_matches('.'), r.applies_to)
    }
}

/// One decision's detail (the app's drill-down), with the notes of the answers it names.
pub(crate) fn decision_view(
    q: &Questionnaire,
    s: &Session,
    r: &Recommendation,
    d: &Decision,
) -> DecisionView {
    view(&Rules::new(q, r), s, d)
}

fn view(rules: &Rules, s: &Session, d: &Decision) -> DecisionView {
    let own = match d.id {
        DecisionId::Category(c) => Some(c),
        _ => None,
    };
    let mut seen_rules: HashSet<&str> = HashSet::new();
    let reasons = d
        .rationale
        .iter()
        .filter(|f| seen_rules.insert(f.rule.as_str()))
        .map(|f| reason_about(rules, f, own))
        .collect();
    let exclusions = d
        .exclusions
        .iter()
        .map(|x| ExclusionView {
            what: wording::excluded(&x.what),
            because: x
                .because
                .iter()
                .map(|f| reason_about(rules, f, own))
                .collect(),
        })
        .collect();
    // The answers behind it, once each, grouped by the entity that gave them.
    let mut groups: Vec<EntityAnswers> = Vec::new();
    let mut index: HashMap<(Scope, &str), usize> = HashMap::new();
    let mut more = 0;
    for t in d.rests_on() {
        let key = (t.entity.kind, t.entity.id.as_str());
        let i = match index.get(&key) {
            Some(&i) => i,
            None if groups.len() < ANSWER_GROUPS => {
                index.insert(key, groups.len());
                groups.push(EntityAnswers {
                    entity: t.entity.name.to_string(),
                    entity_ref: t.entity.clone(),
                    answers: Vec::new(),
                });
                groups.len() - 1
            }
            None => {
                index.insert(key, usize::MAX);
                more += 1;
                continue;
            }
        };
        if i == usize::MAX {
            continue;
        }
        groups[i].answers.push(AnswerLine {
            question: t.question_text.to_string(),
            question_id: t.question.to_string(),
            answer: t.answer.clone(),
            source: t.source.clone(),
            note: notes::of(s, &t.entity, &t.question).map(str::to_string),
        });
    }
    DecisionView {
        id: d.id.clone(),
        title: d.title(),
        outcome: wording::outcome_state(d),
        provisional: d.provisional,
        reasons,
        exclusions,
        answers: groups,
        more_answers: more,
        conflicted: !d.conflicts.is_empty(),
        open_questions: d
            .open_questions
            .iter()
            .map(|o| OpenLine {
                text: format!("{}: {}", o.entity.name, o.question_text),
                note: notes::of(s, &o.entity, &o.question).map(str::to_string),
            })
            .collect(),
    }
}

/// Every decision's detail, report-level first.
pub fn decision_views(q: &Questionnaire, s: &Session, r: &Recommendation) -> Vec<DecisionView> {
    each_decision_view(q, s, r).collect()
}

/// [`decision_views`] one at a time: a writer that streams keeps only the view it writes (at
/// 11,000 decisions, all of them were 40 MB).
pub(crate) fn each_decision_view<'a>(
    q: &'a Questionnaire,
    s: &'a Session,
    r: &'a Recommendation,
) -> impl Iterator<Item = DecisionView> + 'a {
    let rules = Rules::new(q, r);
    r.all_decisions().map(move |d| view(&rules, s, d))
}

fn supports(rules: &Rules, f: &Firing, report: Report) -> bool {
    rules.get(&f.rule).is_some_and(|r| match report {
        Report::Soc1 => r.findings.soc1 == Some(true),
        Report::Soc2 => r.findings.soc2 == Some(true),
    })
}

fn step_date(st: &PlanStep) -> NaiveDate {
    match st {
        PlanStep::Readiness { from, .. } => *from,
        PlanStep::Type1 { as_of } => *as_of,
        PlanStep::Type2 { from, .. } => *from,
        PlanStep::Report { about, .. } => *about,
        PlanStep::BridgeLetter { from, .. } => *from,
        PlanStep::Deadline { by, .. } | PlanStep::MeetDeadline { by, .. } => *by,
        PlanStep::DeadlineChoice { decide_by, .. } => *decide_by,
        PlanStep::AddedCategory { as_of, .. } => *as_of,
    }
}

/// Steps that change the period after them (the way to meet customers' date, a category's
/// own Type 1) come before the dated steps on page one.
fn step_first(st: &PlanStep) -> bool {
    matches!(
        st,
        PlanStep::DeadlineChoice { .. } | PlanStep::AddedCategory { .. }
    )
}

/// The dated period of a plan in one phrase; while its Type rests on open answers, the period
/// of each scenario, with the cases that lead to it.
fn period(p: &crate::engine::ReportPlan) -> String {
    if !p.scenarios.is_empty() {
        let cases: Vec<String> = p
            .scenarios
            .iter()
            .map(|sc| {
                let parts = period_parts(&sc.steps);
                format!(
                    "{}: {}",
                    wording::scenario_when(&sc.when),
                    if parts.is_empty() {
                        wording::report_type(Some(sc.report_type)).to_string()
                    } else {
                        parts.join("; ")
                    }
                )
            })
            .collect();
        return wording::memo_scenarios(&cases);
    }
    let parts = period_parts(&p.steps);
    if parts.is_empty() {
        if p.waiting_for.is_empty() {
            "dates not set yet".to_string()
        } else {
            "dates wait for open questions".to_string()
        }
    } else {
        parts.join("; ")
    }
}

fn period_parts(steps: &[PlanStep]) -> Vec<String> {
    let mut parts = Vec::new();
    let both = steps.iter().any(|s| matches!(s, PlanStep::Type1 { .. }))
        && steps.iter().any(|s| matches!(s, PlanStep::Type2 { .. }));
    for st in steps {
        match st {
            PlanStep::Type1 { as_of } => parts.push(format!("Type 1 as of {as_of}")),
            PlanStep::Type2 { from, to, .. } if both => {
                parts.push(format!("then a Type 2 period {from} to {to}"))
            }
            PlanStep::Type2 { from, to, .. } => parts.push(format!("period {from} to {to}")),
            PlanStep::AddedCategory {
                categories, known, ..
            } => parts.push(wording::memo_added(categories, *known)),
            PlanStep::Report { about, report_type } => {
                parts.push(format!("{} report about {about}", report_type.label()))
            }
            PlanStep::Deadline {
                by,
                available: Available::PlanMisses,
            } => {
                let options: Vec<&crate::engine::DeadlineOption> = steps
                    .iter()
                    .filter_map(|s| match s {
                        PlanStep::MeetDeadline { option, .. } => Some(option),
                        _ => None,
                    })
                    .collect();
                let choice = steps.iter().find_map(|s| match s {
                    PlanStep::DeadlineChoice {
                        option, decide_by, ..
                    } => Some((option, *decide_by)),
                    _ => None,
                });
                parts.push(wording::memo_misses(*by, &options, choice))
            }
            _ => {}
        }
    }
    if let Some(c) = soc1_coverage(steps) {
        parts.push(c);
    }
    parts
}

/// In-scope identities' gaps grouped by kind and gap, confirmed before unverified, most
/// identities first; the first [`TOP_GAPS`] as lines, and how many groups are left.
fn top_gaps(r: &Recommendation) -> (Vec<String>, usize) {
    // Per group: how many identities, and the first one's name (a group of one is named).
    let mut groups: HashMap<(bool, &str, &str), (usize, &str)> = HashMap::new();
    for x in r.identities.iter().filter(|x| x.soc1 || x.soc2) {
        let kind = x.kind.as_deref().unwrap_or(wording::memo_kind_unknown());
        for g in &x.gaps {
            let unverified = g.status == crate::engine::GapStatus::Unverified;
            let e = groups
                .entry((unverified, kind, g.text.as_str()))
                .or_insert((0, x.name.as_str()));
            e.0 += 1;
        }
    }
    let mut groups: Vec<_> = groups.into_iter().collect();
    groups.sort_by(|a, b| {
        (a.0.0, std::cmp::Reverse(a.1.0), a.0.1, a.0.2).cmp(&(
            b.0.0,
            std::cmp::Reverse(b.1.0),
            b.0.1,
            b.0.2,
        ))
    });
    let more = groups.len().saturating_sub(TOP_GAPS);
    let lines = groups
        .into_iter()
        .take(TOP_GAPS)
        .map(|((unverified, kind, gap), (n, name))| {
            wording::memo_gap_group(n, name, kind, gap, unverified)
        })
        .collect();
    (lines, more)
}

/// A SOC 1 period ends at customers' year end (domain.md §2): which customer year it covers,
/// and from when; a first one covers no earlier year, which their auditors must hear now.
fn soc1_coverage(steps: &[PlanStep]) -> Option<String> {
    use chrono::Datelike;
    steps
        .iter()
        .find(|s| matches!(s, PlanStep::BridgeLetter { .. }))?;
    let (from, to, follows_on) = steps.iter().rev().find_map(|s| match s {
        PlanStep::Type2 {
            from,
            to,
            follows_on,
        } => Some((*from, *to, *follows_on)),
        _ => None,
    })?;
    let year_start = to.with_year(to.year() - 1)?.succ_opt()?;
    let partly = (from > year_start).then_some(from);
    let earlier = (!follows_on).then(|| year_start.pred_opt()).flatten();
    let type1 = steps.iter().any(|s| matches!(s, PlanStep::Type1 { .. }));
    Some(wording::soc1_coverage(to, partly, earlier, type1))
}

fn is_in(v: Verdict) -> bool {
    matches!(v, Verdict::Soc1 | Verdict::Soc2 | Verdict::Both)
}

/// Builds the memo. Linear in the recommendation.
pub fn build(q: &Questionnaire, s: &Session, r: &Recommendation) -> Memo {
    let rules = Rules::new(q, r);
    let verdict_decision = r.decisions.iter().find(|d| d.id == DecisionId::Verdict);

    // The questions the rules that call for each report read: a report still possible names
    // the first open one that decides it (Relaymint audit: the SOC 1 row named none).
    let reads = |report: Report| -> HashSet<&str> {
        q.rules
            .iter()
            .filter(|x| match report {
                Report::Soc1 => x.findings.soc1 == Some(true),
                Report::Soc2 => x.findings.soc2_positive(),
            })
            .flat_map(|x| x.when.atoms())
            .filter_map(|a| q.questions.get(a.qi).map(|x| x.id.as_str()))
            .collect()
    };
    let reports = r
        .plans
        .iter()
        .map(|p| {
            let why = verdict_decision
                .and_then(|d| d.rationale.iter().find(|f| supports(&rules, f, p.report)))
                .map(|f| one_line(&reason(&rules, f)))
                .or_else(|| {
                    let read = reads(p.report);
                    verdict_decision
                        .and_then(|d| {
                            d.open_questions
                                .iter()
                                .find(|o| read.contains(o.question.as_ref()))
                        })
                        .map(|o| wording::memo_report_waits_on(&o.question_text))
                })
                .unwrap_or_else(|| wording::memo_report_waits().to_string());
            let type_decision = r
                .decisions
                .iter()
                .find(|d| d.id == DecisionId::Type(p.report));
            let why_type = match (p.report_type, type_decision) {
                (Some(_), Some(d)) => d.rationale.first().map(|f| reason(&rules, f).brief),
                (None, Some(d)) => d
                    .open_questions
                    .first()
                    .map(|o| wording::memo_decided_by(&o.question_text)),
                _ => None,
            }
            .unwrap_or_else(|| wording::memo_type_waits().to_string());
            ReportLine {
                report: p.report,
                label: p.report.label().to_string(),
                report_type: wording::report_type(p.report_type).to_string(),
                settled: p.settled,
                provisional: p.provisional,
                period: period(p),
                why,
                why_type,
            }
        })
        .collect();

    let categories = r
        .decisions
        .iter()
        .filter_map(|d| match (&d.id, &d.outcome) {
            (DecisionId::Category(c), Outcome::Category(state)) => Some((d, *c, *state)),
            _ => None,
        })
        .filter(|(_, _, state)| {
            !(r.verdict == Verdict::None && *state == CategoryState::NotIncluded)
        })
        .map(|(d, c, state)| {
            let reason_text = match state {
                CategoryState::Included | CategoryState::AlwaysIncluded
                    if c == Category::Security =>
                {
                    wording::memo_security_always().to_string()
                }
                CategoryState::Included | CategoryState::AlwaysIncluded => d
                    .rationale
                    .iter()
                    .find(|f| {
                        rules
                            .get(&f.rule)
                            .is_some_and(|x| x.findings.categories.contains(&c))
                    })
                    .or(d.rationale.first())
                    .map(|f| one_line(&reason(&rules, f)))
                    .unwrap_or_default(),
                CategoryState::NotIncluded => d
                    .exclusions
                    .iter()
                    .flat_map(|x| x.because.first())
                    .next()
                    .map(|f| one_line(&reason(&rules, f)))
                    .unwrap_or_else(|| wording::memo_no_commitment().to_string()),
                CategoryState::Possible => d
                    .open_questions
                    .first()
                    .map(|o| wording::memo_decided_by(&o.question_text))
                    .unwrap_or_default(),
            };
            CategoryLine {
                category: c,
                label: c.label().to_string(),
                included: matches!(
                    state,
                    CategoryState::Included | CategoryState::AlwaysIncluded
                ),
                state: wording::outcome_state(d),
                reason: reason_text,
            }
        })
        .collect();

    let exclusions = verdict_decision
        .into_iter()
        .flat_map(|d| &d.exclusions)
        .filter_map(|x| {
            x.because.first().map(|f| {
                format!(
                    "{}: {}",
                    wording::excluded(&x.what),
                    one_line(&reason(&rules, f))
                )
            })
        })
        .collect();

    let mut systems = SystemCounts {
        total: r.systems.len(),
        ..SystemCounts::default()
    };
    let mut in_scope_systems = Vec::new();
    for x in &r.systems {
        if x.subservice == Some(SubserviceMethod::CarveOut)
            || x.decision.outcome == Outcome::CarvedOut
        {
            systems.carved_out += 1;
        } else if is_in(x.verdict) {
            systems.in_scope += 1;
            if in_scope_systems.len() < PAGE_ONE_SYSTEMS {
                in_scope_systems.push(SystemLine {
                    id: x.id.clone(),
                    name: x.name.clone(),
                    reports: x.verdict.label().to_string(),
                    why: x
                        .decision
                        .rationale
                        .first()
                        .map(|f| reason(&rules, f).brief)
                        .unwrap_or_default(),
                    provisional: x.decision.provisional,
                });
            }
        } else if x.verdict == Verdict::None {
            systems.out_of_scope += 1;
        } else {
            systems.undecided += 1;
        }
    }

    let subservices = r
        .subservices
        .iter()
        .map(|x| SubserviceLine {
            id: x.system.id.to_string(),
            name: x.system.name.to_string(),
            method: x.method,
            hosts: x.supports.iter().map(|e| e.name.to_string()).collect(),
            used_by: x.used_by.iter().map(|e| e.name.to_string()).collect(),
            needs: wording::needs(&x.needs),
            needs_reports: x.needs.clone(),
            held_reports: x.held.clone(),
            holds: x
                .holds
                .clone()
                .unwrap_or_else(|| wording::memo_not_recorded().to_string()),
        })
        .collect::<Vec<_>>();

    let mut identities = IdentityCounts {
        total: r.identities.len(),
        ..IdentityCounts::default()
    };
    let mut kinds: HashMap<&str, usize> = HashMap::new();
    for x in &r.identities {
        if x.soc1 || x.soc2 {
            identities.in_scope += 1;
            *kinds
                .entry(x.kind.as_deref().unwrap_or(wording::memo_kind_unknown()))
                .or_default() += 1;
        }
    }
    let mut by_kind: Vec<(String, usize)> =
        kinds.into_iter().map(|(k, n)| (k.to_string(), n)).collect();
    by_kind.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    identities.by_kind = by_kind;
    let (confirmed, unverified) = r.gap_counts();
    identities.confirmed_gaps = confirmed;
    identities.unverified = unverified;
    (identities.top_gaps, identities.more_gaps) = top_gaps(r);

    // The deciding open questions: those of the report-level decisions first.
    let mut seen: HashSet<(&str, &str)> = HashSet::new();
    let mut deciding = Vec::new();
    let mut open_total = 0;
    for o in r
        .decisions
        .iter()
        .flat_map(|d| &d.open_questions)
        .chain(&r.open_questions)
    {
        if seen.insert((o.entity.id.as_str(), o.question.as_str())) {
            open_total += 1;
            if deciding.len() < DECIDING {
                deciding.push(wording::with_note(
                    &format!("{}: {}", o.entity.name, o.question_text),
                    notes::of(s, &o.entity, &o.question),
                ));
            }
        }
    }

    let conflicts: Vec<String> = r
        .conflicts
        .iter()
        .map(|c| format!("{} ({})", c.text, c.subject.name))
        .collect();

    let next_steps = next_steps(
        &q.plan.owners,
        r,
        &subservices,
        &identities,
        open_total,
        conflicts.len(),
    );

    // The headline is about which report: open questions that only decide a category or a date
    // do not make it provisional.
    let provisional = verdict_decision.map_or(r.provisional, |d| d.provisional);
    let ws = &s.workshop;
    Memo {
        organisation: ws.organisation.clone(),
        workshop: wording::memo_workshop(
            ws.date,
            &ws.facilitator,
            &ws.participants,
            r.progress.answered,
            r.progress.askable(),
            r.progress.unknown,
        ),
        verdict: r.verdict,
        headline: wording::verdict_state(r.verdict, provisional),
        provisional,
        standing: wording::memo_standing(r.verdict, provisional, open_total, r.conflicts.len()),
        reports,
        categories,
        exclusions,
        systems,
        in_scope_systems,
        subservices,
        cuecs: if r.verdict == Verdict::None {
            Vec::new()
        } else {
            r.cuecs.iter().map(|c| c.text.clone()).collect()
        },
        identities,
        conflicts,
        findings: r.findings.iter().map(wording::finding).collect(),
        frameworks: r
            .frameworks
            .iter()
            .map(|f| match &f.framework {
                Some(name) => format!("{name}: {}", f.text),
                None => f.text.clone(),
            })
            .collect(),
        more_open: open_total.saturating_sub(deciding.len()),
        deciding,
        next_steps,
    }
}

/// Dated steps from every plan (one line when both reports share it), then what to do before
/// the period starts.
fn next_steps(
    owners: &crate::questionnaire::StepOwners,
    r: &Recommendation,
    subservices: &[SubserviceLine],
    ids: &IdentityCounts,
    open: usize,
    conflicts: usize,
) -> Vec<NextStep> {
    let owner_of = |st: &PlanStep| match st {
        PlanStep::Readiness { .. } => &owners.readiness,
        PlanStep::Type1 { .. } => &owners.type1,
        PlanStep::Type2 { .. } => &owners.type2,
        PlanStep::Report { .. } => &owners.report,
        PlanStep::BridgeLetter { .. } => &owners.bridge_letter,
        PlanStep::Deadline { .. }
        | PlanStep::MeetDeadline { .. }
        | PlanStep::DeadlineChoice { .. } => &owners.deadline,
        PlanStep::AddedCategory { .. } => &owners.type1,
    };
    // (after the steps that change the period, date), text, reports, owner.
    type Dated<'a> = ((bool, NaiveDate), String, Vec<&'a str>, &'a Option<String>);
    let mut dated: Vec<Dated> = Vec::new();
    for p in r.plans.iter().filter(|p| p.settled) {
        let mut add = |d: (bool, NaiveDate), text: String, owner| match dated
            .iter_mut()
            .find(|(_, t, _, _)| *t == text)
        {
            Some((_, _, reports, _)) => reports.push(p.report.label()),
            None => dated.push((d, text, vec![p.report.label()], owner)),
        };
        for st in &p.steps {
            add(
                (!step_first(st), step_date(st)),
                wording::step(st),
                owner_of(st),
            );
        }
        // While the Type rests on open answers, what a deadline can be met with is said per
        // scenario; once when every scenario gives the same.
        let deadlines: Vec<(&[String], NaiveDate, Available)> = p
            .scenarios
            .iter()
            .filter_map(|sc| {
                sc.steps.iter().find_map(|st| match st {
                    PlanStep::Deadline { by, available } => {
                        Some((sc.when.as_slice(), *by, *available))
                    }
                    _ => None,
                })
            })
            .collect();
        if let Some(&(_, by, available)) = deadlines.first() {
            let text = if deadlines.iter().all(|(_, _, a)| *a == available) {
                wording::step(&PlanStep::Deadline { by, available })
            } else {
                let cases: Vec<(&[String], Available)> =
                    deadlines.iter().map(|(w, _, a)| (*w, *a)).collect();
                wording::deadline_scenarios(by, &cases)
            };
            add((true, by), text, &owners.deadline);
        }
    }
    dated.sort_by_key(|(d, _, _, _)| *d);
    let both = r.plans.iter().filter(|p| p.settled).count() > 1;
    let mut out: Vec<NextStep> = dated
        .into_iter()
        .map(|((_, d), text, reports, owner)| NextStep {
            by: Some(d),
            text: if both {
                format!("{} ({})", text, reports.join(" and "))
            } else {
                text
            },
            owner: owner.clone(),
        })
        .collect();
    let mut undated = |text: String, owner: &Option<String>| {
        out.push(NextStep {
            by: None,
            text,
            owner: owner.clone(),
        })
    };
    if conflicts > 0 {
        undated(wording::memo_step_conflicts(conflicts), &owners.conflicts);
    }
    if open > 0 {
        undated(wording::memo_step_open(open), &owners.open_questions);
    }
    // A renewal's period may already be running on the workshop date: then gaps are not fixed
    // "before the period" but found in it.
    let running = r.plans.iter().filter(|p| p.settled).any(|p| {
        p.steps.iter().any(|st| match st {
            PlanStep::Type2 { from, .. } => *from <= p.from_date,
            _ => false,
        })
    });
    if ids.unverified > 0 {
        undated(
            wording::memo_step_unverified(ids.unverified, running),
            &owners.unverified,
        );
    }
    if ids.confirmed_gaps > 0 {
        undated(
            wording::memo_step_gaps(ids.confirmed_gaps, running),
            &owners.gaps,
        );
    }
    for x in subservices.iter().filter(|x| !x.needs.is_empty()) {
        undated(
            wording::memo_step_vendor(&x.name, &x.needs_reports, &x.held_reports, &x.holds),
            &owners.vendor_reports,
        );
    }
    out
}

// ---- Rendering: plain text (plain mode, `recommend`) ----

/// Page one as plain text: no Markdown, no rule ids; every line passes through `clean`.
pub fn plain(m: &Memo) -> String {
    use std::fmt::Write;
    let c = |s: &str| crate::text::clean(s);
    let mut out = String::new();
    let w = &mut out;
    let org = if m.organisation.trim().is_empty() {
        wording::memo_unnamed().to_string()
    } else {
        c(&m.organisation)
    };
    let _ = writeln!(w, "Scoping memo: {org}");
    let _ = writeln!(w, "{}", c(&m.workshop));
    let _ = writeln!(w);
    let _ = writeln!(w, "Recommendation: {}", m.headline);
    let _ = writeln!(w, "{}", m.standing);
    for x in &m.reports {
        let _ = writeln!(
            w,
            "{}{}: {}, {}.",
            x.label,
            if x.settled {
                ""
            } else {
                wording::memo_if_called_for()
            },
            x.report_type,
            x.period
        );
        let _ = writeln!(w, "  Why: {}", c(&x.why));
        let _ = writeln!(w, "  Why this Type: {}", c(&x.why_type));
    }
    if !m.categories.is_empty() {
        let _ = writeln!(w, "SOC 2 categories:");
        for x in &m.categories {
            let _ = writeln!(w, "  {}: {}. {}", x.label, x.state, c(&x.reason));
        }
    }
    for x in &m.exclusions {
        let _ = writeln!(w, "{}", c(x));
    }
    let _ = writeln!(w, "{}", wording::memo_system_counts(&m.systems));
    for x in &m.in_scope_systems {
        let _ = writeln!(w, "  {} ({}): {}", c(&x.name), x.reports, c(&x.why));
    }
    if m.systems.in_scope > m.in_scope_systems.len() {
        let _ = writeln!(
            w,
            "  and {} more in scope",
            m.systems.in_scope - m.in_scope_systems.len()
        );
    }
    for x in &m.subservices {
        let _ = writeln!(w, "  {}", c(&wording::memo_subservice(x)));
    }
    let _ = writeln!(w, "{}", wording::memo_identity_counts(&m.identities));
    for x in &m.identities.top_gaps {
        let _ = writeln!(w, "  {}", c(x));
    }
    if m.identities.more_gaps > 0 {
        let _ = writeln!(w, "  {}", wording::memo_more_gaps(m.identities.more_gaps));
    }
    if !m.cuecs.is_empty() {
        let _ = writeln!(w, "{}", wording::memo_cuecs(m.cuecs.len()));
        for x in &m.cuecs {
            let _ = writeln!(w, "  {}", c(x));
        }
    }
    for x in &m.conflicts {
        let _ = writeln!(w, "Conflicting answers: {}", c(x));
    }
    for x in &m.findings {
        let _ = writeln!(w, "Finding: {}", c(x));
    }
    for x in &m.frameworks {
        let _ = writeln!(w, "Related framework: {}", c(x));
    }
    if !m.deciding.is_empty() {
        let _ = writeln!(w, "Open questions that decide the most:");
        for x in &m.deciding {
            let _ = writeln!(w, "  {}", c(x));
        }
        if m.more_open > 0 {
            let _ = writeln!(w, "  and {} more", m.more_open);
        }
    }
    if !m.next_steps.is_empty() {
        let _ = writeln!(w, "Next steps:");
        for (i, x) in m.next_steps.iter().enumerate() {
            let owner = x
                .owner
                .as_deref()
                .map(|o| format!(" {}", c(&wording::memo_owner(o))))
                .unwrap_or_default();
            let _ = writeln!(w, "  {}. {}{owner}", i + 1, c(&x.text));
        }
    }
    out
}

/// What `socscope recommend` prints: the headline lines scripts read (`Verdict:`, `SOC 2
/// categories:`, `Progress:`), page one, then every decision and each entity's evidence gaps;
/// plain text, no rule ids.
pub fn text(q: &Questionnaire, s: &Session, r: &Recommendation) -> String {
    let mut out = String::new();
    let _ = write_text(q, s, r, &mut out);
    out
}

/// [`text`], written to `w` as it is made: each decision's view is built, written and dropped
/// (twice: once to count the answers given for several decisions, once to write).
pub fn write_text(
    q: &Questionnaire,
    s: &Session,
    r: &Recommendation,
    w: &mut dyn std::fmt::Write,
) -> std::fmt::Result {
    let c = |t: &str| crate::text::clean(t);
    writeln!(w, "Organisation: {}", c(&s.workshop.organisation))?;
    writeln!(
        w,
        "Verdict: {}",
        wording::verdict_state(r.verdict, r.provisional)
    )?;
    if !r.soc2_categories.is_empty() {
        let cats: Vec<&str> = r.soc2_categories.iter().map(|c| c.label()).collect();
        writeln!(w, "SOC 2 categories: {}", cats.join(", "))?;
    }
    writeln!(w, "Progress: {}", wording::progress(r.progress))?;
    writeln!(w)?;
    w.write_str(&plain(&build(q, s, r)))?;
    writeln!(w)?;
    // Read aloud, an answer is said once across all decisions, with how many it decides.
    let mut counts: HashMap<(String, String), usize> = HashMap::new();
    let mut n = 0;
    for v in each_decision_view(q, s, r) {
        n += 1;
        for g in v.answers {
            for a in g.answers {
                *counts.entry((g.entity.clone(), a.question)).or_default() += 1;
            }
        }
    }
    writeln!(w, "Decisions ({n}):")?;
    let mut said: HashSet<(String, String)> = HashSet::new();
    for v in each_decision_view(q, s, r) {
        w.write_str(&decision_text(&v, &counts, &mut said))?;
    }
    for (name, gaps) in r
        .systems
        .iter()
        .map(|x| (&x.name, &x.gaps))
        .chain(r.identities.iter().map(|x| (&x.name, &x.gaps)))
        .filter(|(_, g)| !g.is_empty())
    {
        writeln!(w, "Evidence for {}:", c(name))?;
        for g in gaps {
            writeln!(w, "  {}", c(&wording::gap(g)))?;
        }
    }
    Ok(())
}

/// One decision as plain text, for plain mode and `recommend`: reasons once, answers grouped by
/// entity, no rule ids, no Markdown.
pub fn plain_decision(v: &DecisionView) -> String {
    decision_text(v, &HashMap::new(), &mut HashSet::new())
}

/// [`plain_decision`], skipping the answers already in `said` (counted instead) and saying how
/// many decisions an answer decides the first time it is given.
fn decision_text(
    v: &DecisionView,
    counts: &HashMap<(String, String), usize>,
    said: &mut HashSet<(String, String)>,
) -> String {
    use std::fmt::Write;
    let c = |s: &str| crate::text::clean(s);
    let mut out = String::new();
    let w = &mut out;
    let _ = writeln!(w, "{}: {}", c(&v.title), c(&v.outcome));
    for r in &v.reasons {
        let _ = writeln!(w, "  Because: {}", c(&plain_reason(r)));
    }
    for x in &v.exclusions {
        for r in &x.because {
            let _ = writeln!(w, "  {}, because: {}", x.what, c(&plain_reason(r)));
        }
    }
    let mut given_above = 0;
    let mut lines = Vec::new();
    for g in &v.answers {
        let fresh: Vec<&AnswerLine> = g
            .answers
            .iter()
            .filter(|a| {
                let key = (g.entity.clone(), a.question.clone());
                let new = said.insert(key);
                given_above += usize::from(!new);
                new
            })
            .collect();
        if fresh.is_empty() {
            continue;
        }
        lines.push(format!("    {}:", c(&g.entity)));
        for a in fresh {
            let n = counts
                .get(&(g.entity.clone(), a.question.clone()))
                .copied()
                .unwrap_or(1);
            let times = if n > 1 {
                format!(" (given for {n} decisions)")
            } else {
                String::new()
            };
            lines.push(format!("      {} {}{times}", c(&a.question), c(&a.answer)));
            if let Some(n) = &a.note {
                lines.push(format!("        Note: {}", c(n)));
            }
        }
    }
    if !lines.is_empty() || given_above > 0 || v.more_answers > 0 {
        let _ = writeln!(w, "  The answers behind it:");
        for l in lines {
            let _ = writeln!(w, "{l}");
        }
        if given_above > 0 {
            let _ = writeln!(
                w,
                "    and {given_above} answer{} given above",
                if given_above == 1 { "" } else { "s" }
            );
        }
        if v.more_answers > 0 {
            let _ = writeln!(w, "    and {} more", v.more_answers);
        }
    }
    if v.conflicted {
        let _ = writeln!(w, "  {}", wording::memo_kept_provisional());
    }
    if !v.open_questions.is_empty() {
        let _ = writeln!(w, "  Open questions that could change it:");
        for o in &v.open_questions {
            let _ = writeln!(
                w,
                "    {}",
                c(&wording::with_note(&o.text, o.note.as_deref()))
            );
        }
    }
    out
}

fn plain_reason(r: &Reason) -> String {
    let mut s = r.text.clone();
    if !r.applies_to.is_empty() {
        s.push_str(&format!(" (for {})", r.applies_to));
    }
    if !r.through.is_empty() {
        s.push_str(&format!(" (through {})", r.through));
    }
    if !r.criteria.is_empty() {
        s.push_str(&format!(" Criteria: {}.", r.criteria.join(", ")));
    }
    s
}

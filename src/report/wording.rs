//! Every phrase a front-end or an export uses for a decision, in one place: the TUI, plain
//! mode, the Markdown and text outputs, the JSON export and the session file's summary all word
//! a decision through here, so they cannot drift apart.
//!
//! The engine decides in types (`Verdict`, `Outcome`, `DecisionId`, `PlanStep`...); this module
//! gives them their words (and their JSON form, which is those words).

use std::fmt;

use serde::ser::SerializeStruct;
use serde::{Serialize, Serializer};

use crate::engine::{
    Available, CategoryState, Change, ChoiceReason, DeadlineOption, Decision, DecisionId, Finding,
    Flip, Gap, GapStatus, Outcome, PlanStep, Progress, Recommendation, ReportPlan, Verdict,
};
use crate::questionnaire::{Report, ReportType, SubserviceMethod};

impl Verdict {
    /// "SOC 1 and SOC 2".
    pub fn label(self) -> &'static str {
        match self {
            Verdict::Soc1 => "SOC 1",
            Verdict::Soc2 => "SOC 2",
            Verdict::Both => "SOC 1 and SOC 2",
            Verdict::None => "Out of scope (neither)",
            Verdict::Undetermined => "Not yet determinable",
        }
    }
}

/// A report's Type, or that it is not decided yet.
pub(crate) fn report_type(t: Option<ReportType>) -> &'static str {
    t.map_or("Type not decided yet", ReportType::label)
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Verdict(v) | Outcome::System(v) | Outcome::Identity(v) => {
                f.write_str(v.label())
            }
            Outcome::Category(c) => f.write_str(match c {
                CategoryState::Included => "Included",
                CategoryState::AlwaysIncluded => "Always included in a SOC 2",
                CategoryState::Possible => "Possible: open questions decide",
                CategoryState::NotIncluded => "Not included",
            }),
            Outcome::Type(t) => f.write_str(report_type(*t)),
            Outcome::CarvedOut => f.write_str(
                "Subservice organisation (carve-out): outside the system boundary, disclosed",
            ),
            Outcome::Subservice(Some(m)) => write!(f, "Subservice organisation ({})", m.label()),
            Outcome::Subservice(None) => f.write_str("Not a subservice organisation"),
        }
    }
}

impl Serialize for Outcome {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// What a decision is about, as a heading: "Which report", "SOC 2 category: Security",
/// "SOC 1 report type", "System: Billing".
pub(crate) fn title(d: &Decision) -> String {
    let name = d.subject.as_ref().map_or("", |e| e.name.as_str());
    match &d.id {
        DecisionId::Verdict => "Which report".to_string(),
        DecisionId::Category(c) => format!("SOC 2 category: {}", c.label()),
        DecisionId::Type(r) => format!("{} report type", r.label()),
        DecisionId::System(_) => format!("System: {name}"),
        DecisionId::Subservice(_) => format!("Subservice organisation: {name}"),
        DecisionId::Identity(_) => format!("Identity: {name}"),
    }
}

impl Decision {
    /// The decision's heading (see [`title`]).
    pub(crate) fn title(&self) -> String {
        title(self)
    }
}

impl Serialize for Decision {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("Decision", 9)?;
        st.serialize_field("id", &self.id)?;
        st.serialize_field("title", &self.title())?;
        st.serialize_field("outcome", &self.outcome)?;
        st.serialize_field("provisional", &self.provisional)?;
        st.serialize_field("rationale", &self.rationale)?;
        st.serialize_field("exclusions", &self.exclusions)?;
        st.serialize_field("open_questions", &self.open_questions)?;
        st.serialize_field("conflicts", &self.conflicts)?;
        st.end()
    }
}

/// A finding as one line, led by whom it is about: "Twilio: No SOC 2 report is held from this
/// subservice organisation: ..." (a list of findings without names reads as one vendor's).
pub(crate) fn finding(f: &Finding) -> String {
    // A dated answer behind it is part of what it says ("went live 2026-11-01"): page one
    // names it rather than leaving it to the detail.
    let dates: Vec<String> = f
        .triggers
        .iter()
        .filter(|t| crate::vocab::parse_date(&t.answer).is_some())
        .map(|t| format!("{} {}", t.question_text, t.answer))
        .collect();
    let dated = if dates.is_empty() {
        String::new()
    } else {
        format!(" ({})", dates.join("; "))
    };
    match &f.subject {
        Some(e) => format!("{}: {}{dated}", e.name, f.text),
        None => format!("{}{dated}", f.text),
    }
}

/// The numbers (from 1) of the candidate control objectives a task supports, as the
/// recommendation lists them: cited `CO-n` in the Markdown and JSON ([`objective_id`]),
/// "objective n" in plain text.
pub(crate) fn objective_numbers<'a>(
    r: &'a Recommendation,
    supports: &'a [crate::engine::Text],
) -> impl Iterator<Item = usize> + 'a {
    supports
        .iter()
        .filter_map(|o| r.control_objectives.iter().position(|x| x == o))
        .map(|n| n + 1)
}

/// How a candidate control objective is cited: `CO-3`.
pub(crate) fn objective_id(n: usize) -> String {
    format!("CO-{n}")
}

/// An evidence plan with nothing in it.
pub(crate) const NOTHING_TO_COLLECT: &str =
    "Nothing to collect: no system or identity is in scope yet.";

/// Why an evidence task comes first: nobody knew whether the control exists.
pub(crate) const ESTABLISH_FIRST: &str = "nobody could say whether it exists";

/// A line with the note written beside its answer: "Q (note: the IAM owner says ...)".
pub(crate) fn with_note(line: &str, note: Option<&str>) -> String {
    match note {
        Some(n) => format!("{line} (note: {n})"),
        None => line.to_string(),
    }
}

/// Why an evidence task comes first when its answer was left unknown with a note: the note
/// says more than "nobody could say" (two people may have said opposite things).
pub(crate) fn establish_first_noted(question: &str, note: &str) -> String {
    format!("left unknown on \u{201c}{question}\u{201d}; the note says: {note}")
}

/// An outcome with " (provisional)" after it when open questions could still change it.
pub(crate) fn with_state(outcome: &str, provisional: bool) -> String {
    if provisional {
        format!("{outcome} (provisional)")
    } else {
        outcome.to_string()
    }
}

/// The verdict as one phrase: "SOC 1 and SOC 2 (provisional)".
pub(crate) fn verdict_state(v: Verdict, provisional: bool) -> String {
    with_state(v.label(), provisional)
}

/// A decision's outcome with its state: "Included (provisional)".
pub(crate) fn outcome_state(d: &Decision) -> String {
    with_state(&d.outcome.to_string(), d.provisional)
}

/// What an exclusion rules out, as the start of a sentence: "Not SOC 1", "Not included".
pub(crate) fn excluded(what: &str) -> String {
    match Report::from_id(what) {
        Some(r) => format!("Not {}", r.label()),
        None => match crate::questionnaire::Category::from_id(what) {
            Some(c) => format!("{} not included", c.label()),
            None => "Out of scope".to_string(),
        },
    }
}

/// Flips in runs that read as one line: the same question, outcome and kind of change
/// ("**A**, **B** or **C** instead of None of these" rather than a line each).
pub(crate) fn flip_groups(flips: &[Flip]) -> Vec<Vec<&Flip>> {
    let mut groups: Vec<Vec<&Flip>> = Vec::new();
    for f in flips {
        match groups.last_mut() {
            Some(g)
                if g[0].entity == f.entity
                    && g[0].question == f.question
                    && g[0].outcome == f.outcome
                    && g[0].opens == f.opens
                    && std::mem::discriminant(&g[0].change)
                        == std::mem::discriminant(&f.change) =>
            {
                g.push(f)
            }
            _ => groups.push(vec![f]),
        }
    }
    groups
}

/// How a group of flips changes the answer: "adding X or Y", "A, B or C instead of D". `mark`
/// words a changed value (escaped and emphasised, or cleaned); `text` the current answer.
pub(crate) fn group_change(
    g: &[&Flip],
    mark: impl Fn(&str) -> String,
    text: impl Fn(&str) -> String,
) -> String {
    let either = |items: Vec<String>| match items.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        _ => items.join(""),
    };
    let Some(first) = g.first() else {
        return String::new();
    };
    let values = |pick: fn(&Flip) -> Option<&str>| {
        either(g.iter().filter_map(|x| pick(x)).map(&mark).collect())
    };
    match &first.change {
        Change::Add { .. } => format!(
            "adding {}",
            values(|x| match &x.change {
                Change::Add { choice } => Some(choice.as_str()),
                _ => None,
            })
        ),
        Change::Remove { .. } => format!(
            "removing {}",
            values(|x| match &x.change {
                Change::Remove { choice } => Some(choice.as_str()),
                _ => None,
            })
        ),
        Change::Replace => format!(
            "{} instead of {}",
            values(|x| Some(x.to.as_str())),
            text(&first.from)
        ),
    }
}

/// One flip as a sentence after the question: "adding X would make it **SOC 2** (it would
/// then ask “Q”)". `text` cleans or escapes the user text; `mark` emphasises.
pub(crate) fn flip_sentence(
    f: &Flip,
    text: impl Fn(&str) -> String,
    mark: impl Fn(&str) -> String,
) -> String {
    let changed = match &f.change {
        Change::Add { choice } => format!("adding {}", mark(&text(choice))),
        Change::Remove { choice } => format!("removing {}", mark(&text(choice))),
        Change::Replace => format!("{} instead of {}", mark(&text(&f.to)), text(&f.from)),
    };
    format!(
        "{changed} would make it {}{}",
        mark(&text(&f.outcome.to_string())),
        f.opens_words(&text)
    )
}

/// "rests on 3 answers".
pub(crate) fn rests_on(n: usize) -> String {
    match n {
        0 => "rests on no answer yet".to_string(),
        1 => "rests on 1 answer".to_string(),
        n => format!("rests on {n} answers"),
    }
}

/// How a gap reads in a list: "No named owner", or "Unverified: access reviews not confirmed".
pub(crate) fn gap(g: &Gap) -> String {
    match g.status {
        GapStatus::Confirmed => g.text.to_string(),
        GapStatus::Unverified => format!("Unverified: {}", g.text),
    }
}

/// "2 confirmed gaps, 3 unverified".
pub(crate) fn gap_counts(confirmed: usize, unverified: usize) -> String {
    let c = match confirmed {
        1 => "1 confirmed gap".to_string(),
        n => format!("{n} confirmed gaps"),
    };
    match unverified {
        0 => c,
        n => format!("{c}, {n} unverified"),
    }
}

fn date(d: chrono::NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// A year end written `MM-DD` as people read it: "31 December".
pub(crate) fn year_end(md: &str) -> String {
    let Some((m, d)) = md.split_once('-') else {
        return md.to_string();
    };
    let month = match m {
        "01" => "January",
        "02" => "February",
        "03" => "March",
        "04" => "April",
        "05" => "May",
        "06" => "June",
        "07" => "July",
        "08" => "August",
        "09" => "September",
        "10" => "October",
        "11" => "November",
        "12" => "December",
        _ => return md.to_string(),
    };
    format!("{} {month}", d.trim_start_matches('0'))
}

/// Which customer year a SOC 1 period covers: "covers customers' year ending 2027-12-31 from
/// 2027-01-12 (not its first 11 days); their year ending 2026-12-31 is covered by no SOC 1
/// Type 2: tell their auditors now".
pub(crate) fn soc1_coverage(
    year_end: chrono::NaiveDate,
    partly_from: Option<chrono::NaiveDate>,
    earlier_year_end: Option<chrono::NaiveDate>,
    type1: bool,
) -> String {
    let mut s = format!("covers customers' year ending {}", date(year_end));
    match partly_from {
        Some(from) => {
            let start = year_end
                .checked_sub_months(chrono::Months::new(12))
                .and_then(|d| d.succ_opt())
                .unwrap_or(from);
            let days = (from - start).num_days();
            s.push_str(&format!(
                " from {} (not its first {})",
                date(from),
                if days > 45 {
                    format!("{} months", (days + 15) / 30)
                } else {
                    format!("{days} day{}", plural(days as usize))
                }
            ));
        }
        None => s.push_str(" in full"),
    }
    if let Some(e) = earlier_year_end {
        s.push_str(&format!(
            "; their year ending {} is covered by no SOC 1 Type 2{}: tell their auditors now",
            date(e),
            if type1 {
                " (a Type 1 shows design only)"
            } else {
                ""
            }
        ));
    }
    s
}

/// One step of a plan as a line: "Readiness assessment: 2026-12-01 to 2027-01-12".
pub(crate) fn step(st: &PlanStep) -> String {
    match st {
        PlanStep::Readiness { from, to } => format!(
            "Readiness assessment (a first examination): {} to {}",
            date(*from),
            date(*to)
        ),
        PlanStep::Type1 { as_of } => format!("Type 1 as of {}", date(*as_of)),
        PlanStep::Type2 {
            from,
            to,
            follows_on,
        } => {
            let months = months_between(*from, *to);
            format!(
                "Type 2 period: {} to {} ({months} months{})",
                date(*from),
                date(*to),
                if *follows_on {
                    ", following on from the last period with no gap"
                } else {
                    ""
                }
            )
        }
        PlanStep::Report { about, report_type } => format!(
            "{} report in hand: about {}",
            report_type.label(),
            date(*about)
        ),
        PlanStep::BridgeLetter { from, year_end: ye } => format!(
            "Bridge letter (management's, not attested): from {} for customers whose year ends \
             after the period; the period ends at customers' year end ({})",
            date(*from),
            year_end(ye)
        ),
        PlanStep::Deadline { by, available } => {
            format!("Needed by {}: {}", date(*by), available_text(*available))
        }
        PlanStep::MeetDeadline { by, option } => {
            format!("To meet {}: {}", date(*by), deadline_option(option))
        }
        PlanStep::DeadlineChoice {
            by,
            option,
            reason,
            decide_by,
            bridge_from,
        } => {
            let mut s = format!(
                "Recommended to meet {}: {}. Why: {}. Decide by {}",
                date(*by),
                deadline_option(option),
                choice_reason(*reason),
                date(*decide_by)
            );
            if let Some(from) = bridge_from {
                s.push_str(&format!(
                    ". {} for customers from {} (since the last report's period ended) until the \
                     new report is in hand",
                    bridge_letter_name(),
                    date(*from)
                ));
            }
            s
        }
        PlanStep::AddedCategory {
            categories,
            known: true,
            as_of,
            report,
            next_from,
        } => format!(
            "New in this report, without a record since the period began: {}. Report on it with \
             a Type 1 (its design) as of {} (report about {}) first, or leave it out of this \
             period and add it from the next one, starting {}; a Type 2 over this period with it \
             would report each missing record as an exception",
            category_list(categories),
            date(*as_of),
            date(*report),
            date(*next_from)
        ),
        PlanStep::AddedCategory {
            categories,
            as_of,
            report,
            next_from,
            ..
        } => format!(
            "New in this report, or possibly: {}. Nobody knows yet whether their controls have \
             operated, with records, since the period began (open questions): one without that \
             record needs a Type 1 (its design) as of {} (report about {}) first, or stays out \
             of this period until the next one, from {}; the Type 2 and any short period cover \
             it only with that record",
            category_list(categories),
            date(*as_of),
            date(*report),
            date(*next_from)
        ),
    }
}

/// Page one's word on categories new in the report without the period's record (`known`) or
/// maybe without it.
pub(crate) fn memo_added(c: &[crate::questionnaire::Category], known: bool) -> String {
    if known {
        format!(
            "{}: a Type 1 on its design first, or out of this period (no record since the \
             period began)",
            category_list(c)
        )
    } else {
        format!(
            "{}: a Type 1 on its design first, or out of this period, if {} controls have no \
             record since the period began (open)",
            category_list(c),
            if c.len() == 1 { "its" } else { "their" }
        )
    }
}

/// "Processing Integrity", "Availability and Privacy".
fn category_list(c: &[crate::questionnaire::Category]) -> String {
    let names: Vec<&str> = c.iter().map(|c| c.label()).collect();
    match names.split_last() {
        Some((last, [])) => last.to_string(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
        None => String::new(),
    }
}

/// What a bridge letter is, where a plan names one.
fn bridge_letter_name() -> &'static str {
    "Bridge letter (management's, not attested)"
}

/// Why the recommended way to meet customers' date is the one.
fn choice_reason(r: ChoiceReason) -> &'static str {
    match r {
        ChoiceReason::ShortPeriodFits => {
            "a short Type 2 period can end and be reported by then, and it tests that the \
             controls operated, which customers' reviewers want (a Type 1 shows design only)"
        }
        ChoiceReason::OnlyType1 => {
            "a Type 1 is the only report that can be issued by then: no Type 2 period can end \
             early enough for fieldwork and the report"
        }
        ChoiceReason::PeriodNotShortened => {
            "a Type 1 is the only report that can be issued by then: this report's period is \
             not cut short (a SOC 1 period follows customers' year end)"
        }
        ChoiceReason::AddedNoRecord => {
            "a category new in this report has no record since the period began, so no Type 2 \
             over this period can cover it by then; a Type 1 reports on its design"
        }
        ChoiceReason::AddedOpen => {
            "it holds whatever the open answer on the new category's records; a short Type 2 \
             period works only if its controls have operated since the period began"
        }
    }
}

/// A way to meet a date the plan misses, as the end of a sentence.
fn deadline_option(o: &DeadlineOption) -> String {
    match *o {
        DeadlineOption::ShortPeriod {
            from,
            to,
            report,
            next_to,
            provisional,
        } => format!(
            "a short Type 2 period {} to {} ({} months), its report about {}; the next period \
             then follows on, {} to {}{}",
            date(from),
            date(to),
            months_between(from, to),
            date(report),
            date(to + chrono::Duration::days(1)),
            date(next_to),
            if provisional {
                " (provisional: only if the controls of each category new in this report have \
                 operated since the period began, an open question)"
            } else {
                ""
            }
        ),
        DeadlineOption::Type1First {
            as_of,
            report,
            renewal: true,
        } => format!(
            "a Type 1 report as of {} (about {}) on the design of what is new since the last \
             report (a category or system added), while the Type 2 period runs",
            date(as_of),
            date(report)
        ),
        DeadlineOption::Type1First { as_of, report, .. } => format!(
            "a Type 1 report first, as of {} (about {}), then the Type 2 period",
            date(as_of),
            date(report)
        ),
    }
}

/// What can exist by a deadline.
fn available_text(a: Available) -> &'static str {
    match a {
        Available::Type2Report => "the Type 2 report can be in hand",
        Available::Type1Report => "a Type 1 report can be in hand (the Type 2 follows)",
        Available::ReadinessLetter => {
            "only a readiness assessment letter; the first attested report comes after"
        }
        Available::ManagementLetter => {
            "no attested report yet: send a management letter on the programme and these dates"
        }
        Available::PlanMisses => {
            "this plan misses it: its report comes only after that date (ways to meet it follow)"
        }
    }
}

/// A way to meet customers' date in a few words: "a short Type 2 period to 2026-12-31".
fn option_short(o: &DeadlineOption) -> String {
    match *o {
        DeadlineOption::ShortPeriod {
            to, provisional, ..
        } => format!(
            "a short Type 2 period to {}{}",
            date(to),
            if provisional { " (provisional)" } else { "" }
        ),
        DeadlineOption::Type1First { as_of, .. } => format!("a Type 1 as of {}", date(as_of)),
    }
}

/// Page one's period column when the plan misses the date customers need a report by: "misses
/// 2027-03-31, when customers need it; recommended: a Type 1 as of 2026-12-29 (decide by
/// 2026-12-15); other way: a short Type 2 period to 2026-12-31".
pub(crate) fn memo_misses(
    by: chrono::NaiveDate,
    options: &[&DeadlineOption],
    choice: Option<(&DeadlineOption, chrono::NaiveDate)>,
) -> String {
    let short = option_short;
    let mut s = format!("misses {}, when customers need it", date(by));
    let others: Vec<String> = options
        .iter()
        .filter(|o| choice.is_none_or(|(c, _)| c != **o))
        .map(|o| short(o))
        .collect();
    match choice {
        Some((c, decide_by)) => {
            s.push_str(&format!(
                "; recommended: {} (decide by {})",
                short(c),
                date(decide_by)
            ));
            if !others.is_empty() {
                s.push_str(&format!("; other way: {}", others.join(", or ")));
            }
        }
        None => s.push_str(&format!("; to meet it: {}", others.join(", or "))),
    }
    s
}

/// A plan's period while its Type rests on open answers, one sentence per scenario.
pub(crate) fn memo_scenarios(cases: &[String]) -> String {
    format!("dates depend on open answers. {}", cases.join(". "))
}

/// The cases of a scenario: "If A, or B".
pub(crate) fn scenario_when(when: &[String]) -> String {
    format!("If {}", when.join(", or "))
}

/// A deadline whose answer depends on the open answers the Type rests on: "Needed by
/// 2027-09-30, depending on open answers: if A, the Type 2 report can be in hand; if B, ...".
pub(crate) fn deadline_scenarios(
    by: chrono::NaiveDate,
    cases: &[(&[String], Available)],
) -> String {
    let parts: Vec<String> = cases
        .iter()
        .map(|(when, a)| {
            format!(
                "{}, {}",
                lower_first(&scenario_when(when)),
                available_text(*a)
            )
        })
        .collect();
    format!(
        "Needed by {}, depending on open answers: {}",
        date(by),
        parts.join("; ")
    )
}

/// Whole months from `from` to `to` inclusive (2027-01-12 to 2027-07-11 is 6).
fn months_between(from: chrono::NaiveDate, to: chrono::NaiveDate) -> u32 {
    use chrono::Datelike;
    let end = to + chrono::Duration::days(1);
    let mut m = (end.year() - from.year()) * 12 + end.month() as i32 - from.month() as i32;
    if end.day() < from.day() {
        m -= 1;
    }
    m.max(1) as u32
}

/// A report's plan in one line, for the live panel: "SOC 2 Type 1 as of 2027-01-12, then a
/// Type 2 period 2027-01-12 to 2027-07-11".
pub(crate) fn plan_short(p: &ReportPlan) -> String {
    let head = if p.settled {
        format!("{} {}", p.report.label(), report_type(p.report_type))
    } else {
        format!(
            "{}, if one is called for: {}",
            p.report.label(),
            report_type(p.report_type)
        )
    };
    let t1 = p.steps.iter().find_map(|s| match s {
        PlanStep::Type1 { as_of } => Some(*as_of),
        _ => None,
    });
    let t2 = p.steps.iter().find_map(|s| match s {
        PlanStep::Type2 { from, to, .. } => Some((*from, *to)),
        _ => None,
    });
    let body = match (t1, t2) {
        (Some(a), Some((f, t))) => {
            format!(" as of {}, then Type 2 {} to {}", date(a), date(f), date(t))
        }
        (None, Some((f, t))) => format!(" period {} to {}", date(f), date(t)),
        (Some(a), None) => format!(" as of {}", date(a)),
        (None, None) => String::new(),
    };
    // A plan that misses customers' date says so on its line, with the way recommended.
    let misses = p.steps.iter().find_map(|s| match s {
        PlanStep::Deadline {
            by,
            available: Available::PlanMisses,
        } => Some(*by),
        _ => None,
    });
    let tail = match misses {
        Some(by) => {
            let chosen = p.steps.iter().find_map(|s| match s {
                PlanStep::DeadlineChoice { option, .. } => Some(option_short(option)),
                _ => None,
            });
            match chosen {
                Some(c) => format!("; misses {}, when customers need it: {c} instead", date(by)),
                None => format!("; misses {}, when customers need it", date(by)),
            }
        }
        None => String::new(),
    };
    with_state(&format!("{head}{body}{tail}"), p.provisional)
}

/// The subservice method as people read it.
pub(crate) fn method(m: SubserviceMethod) -> &'static str {
    m.label()
}

/// "its SOC 2 report", "its SOC 1 and SOC 2 reports": what a subservice organisation owes us.
pub(crate) fn needs(reports: &[Report]) -> String {
    let names: Vec<&str> = reports.iter().map(|r| r.label()).collect();
    match names.as_slice() {
        [] => String::new(),
        [one] => format!("its {one} report"),
        many => format!("its {} reports", many.join(" and ")),
    }
}

/// One line about a subservice organisation: its method, what runs on it, what it owes us and
/// what we hold. "Subservice organisation (carve-out); runs Scheduling app, Scheduling
/// database; must give us its SOC 2 report; we hold: SOC 2 Type 2".
pub(crate) fn subservice_line(x: &crate::engine::Subservice) -> String {
    let mut parts = vec![format!("Subservice organisation ({})", method(x.method))];
    if !x.supports.is_empty() {
        let names: Vec<&str> = x.supports.iter().map(|e| e.name.as_str()).collect();
        parts.push(format!("hosts {}", names.join(", ")));
    }
    if !x.used_by.is_empty() {
        let names: Vec<&str> = x.used_by.iter().map(|e| e.name.as_str()).collect();
        parts.push(format!("used by {}", names.join(", ")));
    }
    if !x.needs.is_empty() {
        parts.push(format!("must give us {}", needs(&x.needs)));
    }
    match &x.holds {
        Some(h) => parts.push(format!("we hold: {h}")),
        None if !x.needs.is_empty() => parts.push("reports held not recorded yet".into()),
        None => {}
    }
    parts.join("; ")
}

/// What a facilitator is told when a naming answer (the hosting provider) added systems.
pub(crate) fn created_systems(names: &[&str]) -> String {
    format!(
        "Added to the inventory: {} (a vendor system with pre-filled answers; its remaining \
         questions come with the other systems)",
        names.join(", ")
    )
}

/// Names in a naming answer taken for systems already listed under a fuller name.
pub(crate) fn known_systems(pairs: &[(String, String)]) -> String {
    let said: Vec<String> = pairs
        .iter()
        .map(|(typed, listed)| format!("\"{typed}\" is {listed}"))
        .collect();
    format!(
        "Already in the inventory: {}, so no new system was added (a name of its own, such as \
         \"{} (2)\", adds a separate one)",
        said.join(", "),
        pairs.first().map_or("", |(t, _)| t.as_str())
    )
}

// ---- The scoping memo's phrases (`report::memo`) ----

/// A report with no reason recorded yet (it is only possible).
pub(crate) fn memo_report_waits() -> &'static str {
    "Possible: open questions decide whether it is called for"
}

/// Where a note already given in the memo is, beside an answer: "note above, under “Which
/// report”".
pub(crate) fn note_given_at(place: &str) -> String {
    format!("note above, under “{place}”")
}

/// The same, as the text of a "(note: ...)": "see above, under “Which report”".
pub(crate) fn note_see_at(place: &str) -> String {
    format!("see above, under “{place}”")
}

/// What an open question could change when it could add a CUEC: " (could add what customers
/// must do: ...)".
pub(crate) fn could_add_cuec(cuec: &str) -> String {
    format!("(could add a control customers must operate: {cuec})")
}

/// A report still possible, with the first open question that decides it.
pub(crate) fn memo_report_waits_on(question: &str) -> String {
    format!("{}, first: {question}", memo_report_waits())
}

pub(crate) fn memo_type_waits() -> &'static str {
    "The Type waits for open questions"
}

pub(crate) fn memo_security_always() -> &'static str {
    "Always part of a SOC 2: the common criteria apply to every examination"
}

pub(crate) fn memo_no_commitment() -> &'static str {
    "No commitment to customers calls for it"
}

/// "Decided by: Do we commit to an uptime target?"
pub(crate) fn memo_decided_by(question: &str) -> String {
    format!("Open questions decide, first: {question}")
}

pub(crate) fn memo_not_recorded() -> &'static str {
    "not recorded yet"
}

pub(crate) fn memo_kind_unknown() -> &'static str {
    "Kind not recorded"
}

pub(crate) fn memo_unnamed() -> &'static str {
    "(organisation not named)"
}

pub(crate) fn memo_if_called_for() -> &'static str {
    ", if one is called for"
}

/// Progress as people read it, over everything that could still be asked (the questions shown
/// and those that may follow once unknown or open answers are settled), so the session list,
/// the screens, plain mode and the exports give the same count: "14 of 27 questions answered
/// (51%), 3 unknown; 2 of the 27 may follow once unknown or open answers are settled".
pub fn progress(p: Progress) -> String {
    let total = p.askable();
    let mut out = format!(
        "{} of {total} questions answered ({}%)",
        p.answered,
        p.percent()
    );
    if p.unknown > 0 {
        out.push_str(&format!(", {} unknown", p.unknown));
    }
    match p.may_follow {
        0 => {}
        n => out.push_str(&format!(
            "; {n} of the {total} may follow once unknown or open answers are settled"
        )),
    }
    out
}

/// The same, short enough for a status line at 80 columns: "14/27 answered (51%), 3 unknown".
pub(crate) fn progress_short(p: Progress) -> String {
    let mut out = format!("{}/{} answered ({}%)", p.answered, p.askable(), p.percent());
    if p.unknown > 0 {
        out.push_str(&format!(", {} unknown", p.unknown));
    }
    out
}

/// "Workshop of 2026-11-20, facilitated by Dana Reyes with Sam Okafor and Lee Tran; 76 of 76
/// questions answered, 12 of them "unknown"." An "unknown" counts as answered (someone was
/// asked), but a reader must see how many there are.
pub(crate) fn memo_workshop(
    date: Option<chrono::NaiveDate>,
    facilitator: &str,
    participants: &[String],
    answered: usize,
    total: usize,
    unknown: usize,
) -> String {
    let mut s = match date {
        Some(d) => format!("Workshop of {}", self::date(d)),
        None => "Workshop (date not recorded)".to_string(),
    };
    if !facilitator.trim().is_empty() {
        s.push_str(&format!(", facilitated by {}", facilitator.trim()));
    }
    let people: Vec<&str> = participants
        .iter()
        .map(|p| p.trim())
        .filter(|p| !p.is_empty())
        .collect();
    if !people.is_empty() {
        s.push_str(&format!(" with {}", people.join(", ")));
    }
    s.push_str(&format!("; {answered} of {total} questions answered"));
    match unknown {
        0 => s.push('.'),
        1 => s.push_str(", 1 of them \"unknown\"."),
        n => s.push_str(&format!(", {n} of them \"unknown\".")),
    }
    s
}

/// The sentence under the headline.
pub(crate) fn memo_standing(
    v: Verdict,
    provisional: bool,
    open: usize,
    conflicts: usize,
) -> String {
    let waits = match (open, conflicts) {
        (0, 0) => String::new(),
        (o, 0) => format!("{o} open question{}", plural(o)),
        (0, c) => format!("{c} conflicting answer{}", plural(c)),
        (o, c) => format!(
            "{o} open question{} and {c} conflicting answer{}",
            plural(o),
            plural(c)
        ),
    };
    match (v, provisional) {
        (Verdict::Undetermined, _) => {
            format!("Not enough is known to recommend a report yet; {waits} decide it.")
        }
        (_, true) => format!("Provisional: {waits} could still change it."),
        (Verdict::None, false) => {
            "Settled: nothing in scope calls for a SOC 1 or a SOC 2 report.".to_string()
        }
        (_, false) if open + conflicts > 0 => format!(
            "Settled: nothing still open can change which report; {waits} still decide \
             details below."
        ),
        (_, false) => "Settled: every question that could change it is answered.".to_string(),
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

pub(crate) fn memo_step_conflicts(n: usize) -> String {
    if n == 1 {
        return "Resolve the conflicting answer with the people who gave it; the decisions it \
                touches stay provisional until then"
            .to_string();
    }
    format!(
        "Resolve the {n} conflicting answer{} with their owners; the decisions they touch stay \
         provisional until then",
        plural(n)
    )
}

pub(crate) fn memo_step_open(n: usize) -> String {
    format!(
        "Answer the {n} open question{}, the deciding ones first",
        plural(n)
    )
}

/// When remediation happens: before the period, or now when a period is already running.
fn remediation_when(running: bool) -> &'static str {
    if running {
        "Now (a period is already running, so anything missing is an exception in it)"
    } else {
        "Before the period starts"
    }
}

pub(crate) fn memo_step_unverified(n: usize, running: bool) -> String {
    format!(
        "{}: establish the {n} piece{} of evidence nobody could vouch for",
        remediation_when(running),
        plural(n)
    )
}

pub(crate) fn memo_step_gaps(n: usize, running: bool) -> String {
    format!(
        "{}: close the {n} confirmed gap{}",
        remediation_when(running),
        plural(n)
    )
}

/// The reports a subservice organisation owes us that are not among those held (`held`, from
/// the `vendor_reports` answer's choice ids).
pub(crate) fn not_held(needs: &[Report], held: &[Report]) -> Vec<Report> {
    needs
        .iter()
        .copied()
        .filter(|r| !held.contains(r))
        .collect()
}

/// What to do about a subservice organisation's reports: review those we hold, obtain the
/// missing ones. A recorded Type 1 only, or an old report, is a finding of its own.
pub(crate) fn memo_step_vendor(
    name: &str,
    needs: &[Report],
    held: &[Report],
    holds: &str,
) -> String {
    let missing = not_held(needs, held);
    if missing.is_empty() {
        format!(
            "Each year, obtain {name}'s {} covering our period (or a bridge letter for the \
             months it does not) and review it for the controls we rely on (held now: {holds})",
            self::needs(needs).trim_start_matches("its ")
        )
    } else {
        format!(
            "Obtain {name}'s {} and review it each year (held: {holds})",
            self::needs(&missing).trim_start_matches("its ")
        )
    }
}

pub(crate) fn memo_system_counts(c: &crate::report::memo::SystemCounts) -> String {
    if c.total == 0 {
        return "Systems: none added yet.".to_string();
    }
    let mut parts = vec![format!("{} in scope", c.in_scope)];
    if c.carved_out > 0 {
        parts.push(format!("{} carved out", c.carved_out));
    }
    if c.out_of_scope > 0 {
        parts.push(format!("{} out of scope", c.out_of_scope));
    }
    if c.undecided > 0 {
        parts.push(format!("{} not decided yet", c.undecided));
    }
    format!("Systems: {} ({} in all).", parts.join(", "), c.total)
}

/// Which of our systems a subservice organisation serves: "hosts Scheduling app; used by
/// Notification service", or "none of our systems".
pub(crate) fn memo_serves(hosts: &[String], used_by: &[String]) -> String {
    let names = |v: &[String]| {
        let v: Vec<&str> = v.iter().map(String::as_str).collect();
        crate::report::memo::names(&v)
    };
    let mut parts = Vec::new();
    if !hosts.is_empty() {
        parts.push(format!("hosts {}", names(hosts)));
    }
    if !used_by.is_empty() {
        parts.push(format!("used by {}", names(used_by)));
    }
    if parts.is_empty() {
        "none of our systems".to_string()
    } else {
        parts.join("; ")
    }
}

pub(crate) fn memo_subservice(x: &crate::report::memo::SubserviceLine) -> String {
    let mut s = format!("{}: subservice organisation ({})", x.name, method(x.method));
    if !x.hosts.is_empty() || !x.used_by.is_empty() {
        s.push_str(&format!("; {}", memo_serves(&x.hosts, &x.used_by)));
    }
    if !x.needs.is_empty() {
        s.push_str(&format!("; must give us {}; held: {}", x.needs, x.holds));
    }
    s
}

/// "Service account" -> "service account", but "API key" stays.
fn lower_first(s: &str) -> String {
    let mut cs = s.chars();
    match (cs.next(), cs.next()) {
        (Some(a), Some(b)) if a.is_uppercase() && b.is_lowercase() => {
            a.to_lowercase().chain(s[a.len_utf8()..].chars()).collect()
        }
        _ => s.to_string(),
    }
}

pub(crate) fn memo_identity_counts(c: &crate::report::memo::IdentityCounts) -> String {
    if c.total == 0 {
        return "Identities: none added yet.".to_string();
    }
    let kinds: Vec<String> = c
        .by_kind
        .iter()
        .take(4)
        .map(|(k, n)| format!("{n} {}", lower_first(k)))
        .collect();
    let more = c.by_kind.len().saturating_sub(4);
    let kinds = match (kinds.is_empty(), more) {
        (true, _) => String::new(),
        (false, 0) => format!(": {}", kinds.join(", ")),
        (false, m) => format!(": {} and {m} other kind{}", kinds.join(", "), plural(m)),
    };
    format!(
        "Identities: {} of {} in scope{kinds}. {}.",
        c.in_scope,
        c.total,
        gap_counts(c.confirmed_gaps, c.unverified)
    )
}

/// "3 service accounts: shared account or credential", "svc-billing (service account): no
/// named owner"; an unverified gap says so.
pub(crate) fn memo_gap_group(
    n: usize,
    name: &str,
    kind: &str,
    gap: &str,
    unverified: bool,
) -> String {
    // The kind without its gloss: "group of people with the same access", not "(e.g. ...)".
    let kind = lower_first(kind.split(" (").next().unwrap_or(kind));
    let who = if n == 1 {
        format!("{name} ({kind})")
    } else {
        format!("{n} {}", plural_kind(&kind, n))
    };
    format!(
        "{who}: {}{}",
        lower_first(gap),
        if unverified { " (unverified)" } else { "" }
    )
}

pub(crate) fn memo_more_gaps(n: usize) -> String {
    format!(
        "and {n} more kind{} of gap: see the evidence gaps under Identities in the detail",
        plural(n)
    )
}

/// "service account" -> "service accounts", "administrator (human, privileged)" ->
/// "administrators (human, privileged)", "certificate or key pair" -> "certificates or key
/// pairs", "group of people with ..." -> "groups of people with ...": the head noun of each
/// alternative takes the plural.
fn plural_kind(kind: &str, n: usize) -> String {
    if n == 1 {
        return kind.to_string();
    }
    let cut = [" (", " of ", " with "]
        .iter()
        .filter_map(|p| kind.find(p))
        .min()
        .unwrap_or(kind.len());
    let (head, tail) = kind.split_at(cut);
    let noun = |w: &str| -> String {
        if w.ends_with('s') || w.ends_with('x') || w.ends_with("ch") || w.ends_with("sh") {
            format!("{w}es")
        } else if w.ends_with('y') && !w.ends_with("ey") && !w.ends_with("ay") {
            format!("{}ies", &w[..w.len() - 1])
        } else {
            format!("{w}s")
        }
    };
    let head: Vec<String> = head.split(" or ").map(noun).collect();
    format!("{}{tail}", head.join(" or "))
}

/// Who owns a next step: "(owner: Finance (controller))".
pub(crate) fn memo_owner(role: &str) -> String {
    format!("(owner: {role})")
}

pub(crate) fn memo_cuecs(n: usize) -> String {
    format!(
        "Complementary user entity controls: {n} control{} customers must operate for ours to work",
        plural(n)
    )
}

pub(crate) fn memo_kept_provisional() -> &'static str {
    "Kept provisional by conflicting answers."
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn d(s: &str) -> NaiveDate {
        crate::vocab::parse_date(s).unwrap_or_else(|| panic!("{s}"))
    }

    /// The Recommendation screen's plan line says when the plan misses customers' date, and
    /// the way recommended (Relaymint audit, round three: only the drill-down and memo did).
    #[test]
    fn the_plan_line_says_it_misses_the_date() {
        let option = DeadlineOption::Type1First {
            as_of: d("2026-12-29"),
            report: d("2027-02-09"),
            renewal: true,
        };
        let by = d("2027-03-31");
        let mut p = ReportPlan {
            report: Report::Soc2,
            report_type: Some(ReportType::Type2),
            settled: true,
            provisional: false,
            first: Some(false),
            from_date: d("2026-12-01"),
            steps: vec![
                PlanStep::DeadlineChoice {
                    by,
                    option,
                    reason: ChoiceReason::OnlyType1,
                    decide_by: d("2026-12-15"),
                    bridge_from: Some(d("2026-10-01")),
                },
                PlanStep::Type2 {
                    from: d("2026-10-01"),
                    to: d("2027-09-30"),
                    follows_on: true,
                },
                PlanStep::Deadline {
                    by,
                    available: Available::PlanMisses,
                },
                PlanStep::MeetDeadline { by, option },
            ],
            waiting_for: Vec::new(),
            scenarios: Vec::new(),
        };
        assert_eq!(
            plan_short(&p),
            "SOC 2 Type 2 period 2026-10-01 to 2027-09-30; misses 2027-03-31, when customers \
             need it: a Type 1 as of 2026-12-29 instead"
        );
        p.steps.retain(|s| matches!(s, PlanStep::Type2 { .. }));
        assert_eq!(
            plan_short(&p),
            "SOC 2 Type 2 period 2026-10-01 to 2027-09-30"
        );
    }
}

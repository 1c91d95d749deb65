//! Dated plans: for each report called for, from the workshop date, its readiness assessment,
//! Type 1 date, Type 2 period, report date, bridge letter and what can exist by the date
//! customers need something (domain.md §2).
//!
//! The inputs are data: which Type and whether it is a first examination come from rules
//! (`report_type`, `first_examination`), the lengths from the questionnaire's `[plan]`, and the
//! dates from questions with roles: `period_end` with `report = soc1|soc2` (when the last
//! report's period ended), `fiscal_year_end` (a `MM-DD` choice id or a date) and `needed_by`.

use chrono::{Datelike, Duration, Months, NaiveDate};

use super::model::{Available, ChoiceReason, DeadlineOption, PlanStep, ReportPlan, Scenario};
use super::visibility::Visibility;
use crate::questionnaire::condition::Tri;
use crate::questionnaire::{Questionnaire, Report, ReportType, Rule, Scope};
use crate::session::Session;
use crate::vocab::{Value, parse_date};

/// What the plan of one report is laid out from.
pub(crate) struct Inputs<'q> {
    pub report: Report,
    pub called_for: Tri,
    pub report_type: Option<ReportType>,
    pub type_open: bool,
    pub first: Tri,
    pub renewal: Tri,
    /// The Type rules behind the scenarios, from [`cases`]: empty when the Type is settled.
    pub cases: Vec<&'q Rule>,
    /// Categories new in the report whose controls may have no record since the period began
    /// (`type1_for` rules that hold or are open), from [`added`].
    pub added: Vec<(&'q Rule, Tri)>,
}

/// The `type1_for` rules of a report that hold or are open, from its Type rules' results: a
/// category the report adds whose controls have (or may have) no record since the period
/// began. They never make the whole report a Type 1 (the totals leave them out).
pub(crate) fn added<'q>(results: impl Iterator<Item = (&'q Rule, Tri)>) -> Vec<(&'q Rule, Tri)> {
    let mut out: Vec<(&'q Rule, Tri)> = Vec::new();
    for (rule, r) in results {
        if rule.findings.type1_for.is_some()
            && r != Tri::False
            && !out.iter().any(|(x, _)| std::ptr::eq(*x, rule))
        {
            out.push((rule, r));
        }
    }
    out
}

/// The Type rules the scenarios of a report are laid out from, once each in file order: while
/// an open one could give another Type, the open ones and those that fired for the Type now.
/// `results` are the report's Type rules' results for every counted entity. A Type 1 that
/// fired stays (any Type 1 wins), so it has no scenarios.
pub(crate) fn cases<'q>(
    q: &'q Questionnaire,
    current: Option<ReportType>,
    results: impl Iterator<Item = (&'q Rule, Tri)>,
) -> Vec<&'q Rule> {
    if current == Some(ReportType::Type1) {
        return Vec::new();
    }
    let mut rules: Vec<&'q Rule> = Vec::new();
    let mut other = false;
    for (rule, r) in results {
        // A category's own Type 1 is laid out beside the plan (`added`), not as a scenario.
        if rule.findings.type1_for.is_some() {
            continue;
        }
        let t = rule.findings.report_type;
        let open_other = r == Tri::Open && t != current;
        other |= open_other;
        let counts = open_other || (r == Tri::True && t == current);
        if counts && t.is_some() && !rules.iter().any(|x| std::ptr::eq(*x, rule)) {
            rules.push(rule);
        }
    }
    if !other {
        return Vec::new();
    }
    let at = |r: &Rule| q.rules.iter().position(|x| std::ptr::eq(x, r));
    rules.sort_by_key(|r| at(r));
    rules
}

/// How a scenario names a Type rule's case: its `scenario`, else its brief or rationale.
fn case_label(r: &Rule) -> String {
    r.findings
        .scenario
        .clone()
        .or_else(|| r.brief.clone())
        .unwrap_or_else(|| r.rationale.clone())
}

/// The workshop date the plan counts from: the one in the details, else the day it was started.
pub(crate) fn workshop_date(s: &Session) -> NaiveDate {
    s.workshop.date.unwrap_or_else(|| s.created.date_naive())
}

/// The answer to the engagement question with `role`, and its text when it is asked now (so a
/// plan only waits for questions the facilitator can answer).
fn role_answer<'s>(
    q: &Questionnaire,
    s: &'s Session,
    vis: &Visibility,
    role: &str,
) -> (Option<&'s Value>, Option<String>) {
    let Some(qi) = q
        .questions
        .iter()
        .position(|x| x.scope == Scope::Engagement && x.role.as_deref() == Some(role))
    else {
        return (None, None);
    };
    let question = &q.questions[qi];
    let shown = vis.engagement.get(qi) == Some(&Tri::True);
    (
        s.engagement.get(&question.id).map(|a| &a.value),
        shown.then(|| question.text.clone()),
    )
}

fn date_of(v: Option<&Value>) -> Option<NaiveDate> {
    match v {
        Some(Value::Text(t)) => parse_date(t),
        _ => None,
    }
}

/// A year end as month and day: a `MM-DD` choice id, or any date in the year wanted.
fn month_day(v: Option<&Value>) -> Option<(u32, u32)> {
    let text = match v {
        Some(Value::Text(t)) => t,
        _ => return None,
    };
    if let Some(d) = parse_date(text) {
        return Some((d.month(), d.day()));
    }
    let (m, d) = text.split_once('-')?;
    let (m, d) = (m.parse::<u32>().ok()?, d.parse::<u32>().ok()?);
    // Checked against a leap year so that 02-29 is accepted.
    NaiveDate::from_ymd_opt(2028, m, d).map(|_| (m, d))
}

/// The first `month`-`day` on or after `from` (28 February in years without a 29th).
fn next_on_or_after(from: NaiveDate, (month, day): (u32, u32)) -> NaiveDate {
    let in_year = |y: i32| {
        NaiveDate::from_ymd_opt(y, month, day)
            .or_else(|| NaiveDate::from_ymd_opt(y, month, day.saturating_sub(1)))
            .unwrap_or(from)
    };
    let this = in_year(from.year());
    if this >= from {
        this
    } else {
        in_year(from.year() + 1)
    }
}

fn plus_months(d: NaiveDate, n: u32) -> NaiveDate {
    d.checked_add_months(Months::new(n)).unwrap_or(d)
}

fn minus_months(d: NaiveDate, n: u32) -> NaiveDate {
    d.checked_sub_months(Months::new(n)).unwrap_or(d)
}

fn plus_weeks(d: NaiveDate, n: u32) -> NaiveDate {
    d + Duration::weeks(i64::from(n))
}

/// Lays out one report's plan. The dates are what the answers allow: a question still open
/// leaves its step out and is named in `waiting_for`. While the Type rests on open answers,
/// each Type they could give is laid out as a scenario, with the cases that lead to it, and
/// `steps` keeps only what every scenario shares (never the worst case as the plan).
pub fn plan(q: &Questionnaire, s: &Session, vis: &Visibility, x: &Inputs) -> ReportPlan {
    let mut waiting_for = Vec::new();
    let first = match (x.first, x.renewal) {
        (Tri::True, _) => Some(true),
        (_, Tri::True) => Some(false),
        _ => None,
    };
    if first.is_none()
        && let (_, Some(t)) = role_answer(q, s, vis, "prior_reports")
    {
        waiting_for.push(t);
    }
    let mut steps = lay_out(q, s, vis, x, first, x.report_type, &mut waiting_for);
    let mut scenarios: Vec<Scenario> = Vec::new();
    for rule in &x.cases {
        let Some(t) = rule.findings.report_type else {
            continue;
        };
        let label = case_label(rule);
        match scenarios.iter_mut().find(|c| c.report_type == t) {
            Some(c) if !c.when.contains(&label) => c.when.push(label),
            Some(_) => {}
            None => scenarios.push(Scenario {
                report_type: t,
                when: vec![label],
                steps: lay_out(q, s, vis, x, first, Some(t), &mut Vec::new()),
            }),
        }
    }
    if x.report_type.is_none() && !scenarios.is_empty() {
        // What can exist by a deadline depends on the Type: said per scenario only.
        steps.retain(|st| {
            !matches!(
                st,
                PlanStep::Deadline { .. }
                    | PlanStep::MeetDeadline { .. }
                    | PlanStep::DeadlineChoice { .. }
                    | PlanStep::AddedCategory { .. }
            )
        });
    }
    ReportPlan {
        report: x.report,
        report_type: x.report_type,
        settled: x.called_for == Tri::True,
        provisional: x.type_open
            || x.called_for != Tri::True
            || !waiting_for.is_empty()
            || x.added.iter().any(|(_, r)| *r == Tri::Open),
        first,
        from_date: workshop_date(s),
        steps,
        waiting_for,
        scenarios,
    }
}

/// The steps of one report's plan for a Type (`None`: undecided), from the workshop date.
fn lay_out(
    q: &Questionnaire,
    s: &Session,
    vis: &Visibility,
    x: &Inputs,
    first: Option<bool>,
    report_type: Option<ReportType>,
    waiting_for: &mut Vec<String>,
) -> Vec<PlanStep> {
    let p = &q.plan;
    let today = workshop_date(s);
    let mut steps = Vec::new();
    let (fye_value, fye_text) = role_answer(q, s, vis, "fiscal_year_end");
    let fye = month_day(fye_value);
    let (needed_value, _) = role_answer(q, s, vis, "needed_by");
    let needed = date_of(needed_value);
    let period_end_role = format!("{}_period_end", x.report.id());
    let (last_end_value, last_end_text) = role_answer(q, s, vis, &period_end_role);
    let last_end = date_of(last_end_value);

    // A first examination starts with a readiness assessment; otherwise some weeks to prepare.
    let start = if first == Some(true) {
        let to = plus_weeks(today, p.readiness_weeks);
        steps.push(PlanStep::Readiness { from: today, to });
        to
    } else {
        plus_weeks(today, p.prepare_weeks)
    };
    let mut type1_report = None;
    let mut type2_report = None;
    // The Type 2 period: following on from the last one, or starting once ready (after a
    // Type 1 when there is one). A SOC 1 period ends at customers' year end.
    let period = |from: NaiveDate, months: u32, follows_on: bool| -> (NaiveDate, NaiveDate) {
        let plain_end = plus_months(from, months) - Duration::days(1);
        match (x.report, fye) {
            (Report::Soc1, Some(md)) => {
                let earliest = plus_months(from, p.soc1_min_period_months) - Duration::days(1);
                let end = next_on_or_after(earliest, md);
                // A period is at most twelve months: a late year end moves the start, not the
                // length (a renewal keeps its start, following on with no gap).
                let start = if follows_on {
                    from
                } else {
                    from.max(minus_months(end, 12) + Duration::days(1))
                };
                (start, end)
            }
            _ => (from, plain_end),
        }
    };
    match report_type {
        Some(ReportType::Type1) => {
            steps.push(PlanStep::Type1 { as_of: start });
            let report = plus_weeks(start, p.report_weeks);
            type1_report = Some(report);
            steps.push(PlanStep::Report {
                about: report,
                report_type: ReportType::Type1,
            });
            let (from, to) = period(start, p.first_period_months, false);
            steps.push(PlanStep::Type2 {
                from,
                to,
                follows_on: false,
            });
            let report = plus_weeks(to, p.report_weeks);
            type2_report = Some(report);
            steps.push(PlanStep::Report {
                about: report,
                report_type: ReportType::Type2,
            });
        }
        Some(ReportType::Type2) => {
            let (from, to, follows_on) = match (first, last_end) {
                (Some(false), Some(end)) => {
                    let from = end + Duration::days(1);
                    let (from, to) = period(from, p.renewal_period_months, true);
                    (from, to, true)
                }
                (Some(false), None) => {
                    if let Some(t) = last_end_text.as_ref().filter(|_| last_end_value.is_none()) {
                        waiting_for.push(t.clone());
                    }
                    let (from, to) = period(start, p.renewal_period_months, false);
                    (from, to, false)
                }
                _ => {
                    let (from, to) = period(start, p.first_period_months, false);
                    (from, to, false)
                }
            };
            steps.push(PlanStep::Type2 {
                from,
                to,
                follows_on,
            });
            let report = plus_weeks(to, p.report_weeks);
            type2_report = Some(report);
            steps.push(PlanStep::Report {
                about: report,
                report_type: ReportType::Type2,
            });
        }
        None => {}
    }
    if x.report == Report::Soc1 && report_type.is_some() {
        match fye {
            Some(md) => {
                let end = steps.iter().rev().find_map(|st| match st {
                    PlanStep::Type2 { to, .. } => Some(*to),
                    _ => None,
                });
                if let Some(end) = end {
                    steps.push(PlanStep::BridgeLetter {
                        from: end + Duration::days(1),
                        year_end: format!("{:02}-{:02}", md.0, md.1),
                    });
                }
            }
            None => {
                if let Some(t) = fye_text.filter(|_| fye_value.is_none()) {
                    waiting_for.push(t);
                }
            }
        }
    }
    // A category the report adds without the period's record: a Type 1 on its design, or out
    // of this period (domain.md §2: each part's history counts on its own).
    let mut added_known = false;
    let mut added_open = false;
    if report_type == Some(ReportType::Type2)
        && let Some(to) = steps.iter().find_map(|st| match st {
            PlanStep::Type2 { to, .. } => Some(*to),
            _ => None,
        })
    {
        let mut at = 0;
        for known in [true, false] {
            let categories: Vec<_> = x
                .added
                .iter()
                .filter(|(_, r)| (*r == Tri::True) == known)
                .filter_map(|(rule, _)| rule.findings.type1_for)
                .collect();
            if categories.is_empty() {
                continue;
            }
            added_known |= known;
            added_open |= !known;
            // Said before the period it changes.
            steps.insert(
                at,
                PlanStep::AddedCategory {
                    categories,
                    known,
                    as_of: start,
                    report: plus_weeks(start, p.report_weeks),
                    next_from: to + Duration::days(1),
                },
            );
            at += 1;
        }
    }
    if let Some(by) = needed {
        let options = if type1_report.or(type2_report).is_some_and(|d| d > by) {
            meet_deadline(
                p,
                x.report,
                &steps,
                start,
                first,
                by,
                (added_known, added_open),
            )
        } else {
            Vec::new()
        };
        let available = if type2_report.is_some_and(|d| d <= by) {
            Available::Type2Report
        } else if type1_report.is_some_and(|d| d <= by) {
            Available::Type1Report
        } else if !options.is_empty() {
            Available::PlanMisses
        } else if steps
            .iter()
            .any(|st| matches!(st, PlanStep::Readiness { to, .. } if *to <= by))
        {
            Available::ReadinessLetter
        } else {
            Available::ManagementLetter
        };
        let choice = choose(
            p,
            x.report,
            &options,
            today,
            by,
            (added_known, added_open),
            last_end.filter(|_| first == Some(false)),
        );
        if let Some(c) = choice {
            // The choice comes first: it changes the period that follows.
            steps.insert(0, c);
        }
        steps.push(PlanStep::Deadline { by, available });
        steps.extend(
            options
                .into_iter()
                .map(|option| PlanStep::MeetDeadline { by, option }),
        );
    }
    steps
}

/// Ways to have an attested report by `by` when the plan's first report comes after it
/// (domain.md §2): for a report in `short_period_for`, a short Type 2 period from the planned
/// start, the next period following on from it; for any report, a Type 1 first, as soon as the
/// controls are ready. `added` says whether a category new in the report has no record since
/// the period began (known) or may have none (open): a short period over it would test
/// controls with no record, so it is not offered when known and rests on the answer when open.
fn meet_deadline(
    p: &crate::questionnaire::PlanSettings,
    report: Report,
    steps: &[PlanStep],
    ready: NaiveDate,
    first: Option<bool>,
    by: NaiveDate,
    (added_known, added_open): (bool, bool),
) -> Vec<DeadlineOption> {
    let mut out = Vec::new();
    let has_type1 = steps.iter().any(|st| matches!(st, PlanStep::Type1 { .. }));
    let period = steps.iter().find_map(|st| match st {
        PlanStep::Type2 { from, to, .. } => Some((*from, *to)),
        _ => None,
    });
    if p.short_period_for.contains(&report)
        && !has_type1
        && !added_known
        && let Some((from, planned_to)) = period
    {
        let to = plus_months(from, p.short_period_months) - Duration::days(1);
        let report = plus_weeks(to, p.report_weeks);
        if to < planned_to && report <= by {
            let next_to =
                plus_months(to + Duration::days(1), p.renewal_period_months) - Duration::days(1);
            out.push(DeadlineOption::ShortPeriod {
                from,
                to,
                report,
                next_to,
                provisional: added_open,
            });
        }
    }
    let report = plus_weeks(ready, p.report_weeks);
    if !has_type1 && report <= by {
        out.push(DeadlineOption::Type1First {
            as_of: ready,
            report,
            renewal: first == Some(false),
        });
    }
    out
}

/// The way to meet customers' date that the memo recommends, with its reason, the date by
/// which the client must choose (`decide_weeks` before the option's own date, not before the
/// workshop) and, after an earlier report, a bridge letter for the time since it. A short Type
/// 2 period is recommended where it can end and be reported by the date (it tests operation,
/// which customers' reviewers want); otherwise the Type 1, the only report that can exist by
/// then.
fn choose(
    p: &crate::questionnaire::PlanSettings,
    report: Report,
    options: &[DeadlineOption],
    today: NaiveDate,
    by: NaiveDate,
    (added_known, added_open): (bool, bool),
    last_end: Option<NaiveDate>,
) -> Option<PlanStep> {
    let short = options.iter().find(|o| {
        matches!(
            o,
            DeadlineOption::ShortPeriod {
                provisional: false,
                ..
            }
        )
    });
    let type1 = options
        .iter()
        .find(|o| matches!(o, DeadlineOption::Type1First { .. }));
    let (option, reason) = match (short, type1) {
        (Some(o), _) => (*o, ChoiceReason::ShortPeriodFits),
        (None, Some(o)) => {
            let reason = if added_known {
                ChoiceReason::AddedNoRecord
            } else if added_open {
                ChoiceReason::AddedOpen
            } else if !p.short_period_for.contains(&report) {
                ChoiceReason::PeriodNotShortened
            } else {
                ChoiceReason::OnlyType1
            };
            (*o, reason)
        }
        (None, None) => return None,
    };
    let (anchor, bridge_from) = match option {
        DeadlineOption::ShortPeriod { to, .. } => (to, last_end.map(|_| to + Duration::days(1))),
        DeadlineOption::Type1First { as_of, .. } => {
            (as_of, last_end.map(|e| e + Duration::days(1)))
        }
    };
    let decide_by = (anchor - Duration::weeks(i64::from(p.decide_weeks))).max(today);
    Some(PlanStep::DeadlineChoice {
        by,
        option,
        reason,
        decide_by,
        bridge_from,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        parse_date(s).unwrap_or_else(|| panic!("{s}"))
    }

    #[test]
    fn year_ends_fall_on_or_after() {
        assert_eq!(next_on_or_after(d("2027-06-01"), (12, 31)), d("2027-12-31"));
        assert_eq!(next_on_or_after(d("2027-12-31"), (12, 31)), d("2027-12-31"));
        assert_eq!(next_on_or_after(d("2028-01-01"), (12, 31)), d("2028-12-31"));
        assert_eq!(next_on_or_after(d("2027-03-01"), (2, 29)), d("2028-02-29"));
    }
}

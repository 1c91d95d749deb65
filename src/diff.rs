//! Year-over-year diff: what changed between two sessions' recommendations, and which answers
//! changed it.
//!
//! Pure: [`compare`] recommends both sessions and compares the results; [`render_text`] and
//! [`render_markdown`] print the [`Diff`].
//!
//! Systems and identities are paired by id when the name also matches, then by name; an id
//! whose name changed counts as a rename only when both sessions come from the same workshop
//! (same `created` time, as with a copied session file). Otherwise ids restart at `s1` in every
//! new session and say nothing.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;

use crate::engine::{self, Decision, EntityRef, Recommendation};
use crate::export::markdown::{escape, sanitize};
use crate::questionnaire::{Category, Questionnaire, Scope};
use crate::report::wording;
use crate::session::{Answers, EntityId, Session};

/// A value before and after.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub old: String,
    pub new: String,
}

/// A system or identity present in both sessions whose verdict changed, or that was renamed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntityChange {
    pub old_name: String,
    pub new_name: String,
    /// `None` when the verdict is the same.
    pub verdict: Option<Change>,
}

/// A system or identity in only one of the sessions, with its verdict there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub name: String,
    /// Its decision's outcome in the session it is in ("Not yet determinable", "SOC 1"...).
    pub verdict: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InventoryDiff {
    /// In the new session only, with the new verdict.
    pub added: Vec<Item>,
    /// In the old session only, with the old verdict.
    pub removed: Vec<Item>,
    pub changed: Vec<EntityChange>,
}

/// An answer that differs between the sessions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnswerChange {
    /// Entity name as in the new session (or the old one, when it was removed).
    pub entity: String,
    /// The entity's id in the new session; `None` when it is not there.
    pub entity_id: Option<EntityId>,
    pub question: String,
    pub question_text: String,
    /// As people read it; `None` when not answered.
    pub old: Option<String>,
    pub new: Option<String>,
}

/// A decision whose outcome is different, with the answers that flipped it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecisionChange {
    pub id: String,
    pub title: String,
    /// `None` when the decision did not exist on that side.
    pub old: Option<String>,
    pub new: Option<String>,
    pub answers: Vec<AnswerChange>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diff {
    /// "Organisation (workshop date)"; with the `updated` time too when the workshop dates are
    /// the same (a resumed copy of last year's file keeps its date), and the file names when
    /// even those read the same (see [`Diff::name_files`]).
    pub old_label: String,
    pub new_label: String,
    /// `Some` when the sessions are for different organisations (compared all the same).
    pub organisations: Option<Change>,
    /// `None` when unchanged.
    pub verdict: Option<Change>,
    /// The new session's verdict, SOC 2 categories and Type, changed or not.
    pub new_verdict: String,
    pub new_categories: Vec<Category>,
    pub new_report_type: String,
    pub categories_added: Vec<Category>,
    pub categories_removed: Vec<Category>,
    pub report_type: Option<Change>,
    pub systems: InventoryDiff,
    pub identities: InventoryDiff,
    pub decisions: Vec<DecisionChange>,
    /// Every answer that differs, for the engagement and the systems and identities in both
    /// sessions, whether or not it flipped a decision (questionnaire order, engagement first).
    pub answers: Vec<AnswerChange>,
    /// Every note that differs, in the same order; `old` and `new` are the notes (`None`: no
    /// note). Notes decide nothing, but they are what a merged-in breakout often brings.
    pub notes: Vec<AnswerChange>,
}

impl Diff {
    pub fn is_empty(&self) -> bool {
        self.verdict.is_none()
            && self.categories_added.is_empty()
            && self.categories_removed.is_empty()
            && self.report_type.is_none()
            && self.systems == InventoryDiff::default()
            && self.identities == InventoryDiff::default()
            && self.decisions.is_empty()
            && self.answers.is_empty()
            && self.notes.is_empty()
    }

    /// Whether `a` is named as the cause of a decision that flipped.
    pub(crate) fn flipped_something(&self, a: &AnswerChange) -> bool {
        a.entity_id.is_some()
            && self.decisions.iter().any(|d| {
                d.answers
                    .iter()
                    .any(|b| b.entity_id == a.entity_id && b.question == a.question)
            })
    }

    /// When the two labels read the same (same organisation, date and update time, as with a
    /// copied file), adds the file each session was read from, so the header tells them apart.
    pub(crate) fn name_files(&mut self, old: &std::path::Path, new: &std::path::Path) {
        if self.old_label != self.new_label {
            return;
        }
        let name = |p: &std::path::Path| {
            p.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| p.display().to_string())
        };
        let (mut a, mut b) = (name(old), name(new));
        if a == b {
            (a, b) = (old.display().to_string(), new.display().to_string());
        }
        self.old_label = format!("{} in {}", self.old_label, sanitize(&a));
        self.new_label = format!("{} in {}", self.new_label, sanitize(&b));
    }
}

fn key(name: &str) -> String {
    name.trim().to_lowercase()
}

/// Whether two `(id, name)` items are the same entity, in one pairing pass.
type Matcher<'a> = dyn Fn(&(String, String), &(String, String)) -> bool + 'a;

/// Pairs items (by index) across two lists: same id and name, then same name, then (when
/// `by_id` holds) same id.
fn pair<'a>(
    old: &'a [(String, String)],
    new: &'a [(String, String)],
    by_id: bool,
) -> Vec<(usize, usize)> {
    let mut pairs = Vec::new();
    let mut used_old = vec![false; old.len()];
    let mut used_new = vec![false; new.len()];
    let passes: [&Matcher; 3] = [
        &|a, b| a.0 == b.0 && key(&a.1) == key(&b.1),
        &|a, b| key(&a.1) == key(&b.1),
        &|a, b| by_id && a.0 == b.0,
    ];
    for pass in passes {
        for (i, o) in old.iter().enumerate() {
            if used_old[i] {
                continue;
            }
            if let Some(j) = (0..new.len()).find(|&j| !used_new[j] && pass(o, &new[j])) {
                used_old[i] = true;
                used_new[j] = true;
                pairs.push((i, j));
            }
        }
    }
    pairs.sort_by_key(|p| p.1);
    pairs
}

/// The verdict with its own state (not that of every other decision).
fn verdict_label(r: &Recommendation) -> String {
    let provisional = r.decisions.first().is_some_and(|d| d.provisional);
    wording::verdict_state(r.verdict, provisional)
}

/// Each report's Type, as the report words it: "SOC 2 Type 2; SOC 1 Type 1".
fn type_label(r: &Recommendation) -> String {
    if !r.plans.iter().any(|p| p.settled) {
        return "no report called for yet".to_string();
    }
    r.plans
        .iter()
        .filter(|p| p.settled)
        .map(|p| {
            format!(
                "{} {}",
                p.report.label(),
                wording::report_type(p.report_type)
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn changed(old: String, new: String) -> Option<Change> {
    (old != new).then_some(Change { old, new })
}

struct Side<'a> {
    s: &'a Session,
    r: Recommendation,
}

/// Entity pairing across the two sessions.
struct Pairs {
    systems: Vec<(String, String)>,
    identities: Vec<(String, String)>,
}

impl Pairs {
    fn to_new(&self, e: &EntityRef) -> Option<EntityId> {
        match e.kind {
            Scope::Engagement => Some(EntityId::Engagement),
            Scope::System => self
                .systems
                .iter()
                .find(|(o, _)| *o == e.id)
                .map(|(_, n)| EntityId::System(n.clone())),
            Scope::Identity => self
                .identities
                .iter()
                .find(|(o, _)| *o == e.id)
                .map(|(_, n)| EntityId::Identity(n.clone())),
        }
    }
    fn to_old(&self, e: &EntityRef) -> Option<EntityId> {
        match e.kind {
            Scope::Engagement => Some(EntityId::Engagement),
            Scope::System => self
                .systems
                .iter()
                .find(|(_, n)| *n == e.id)
                .map(|(o, _)| EntityId::System(o.clone())),
            Scope::Identity => self
                .identities
                .iter()
                .find(|(_, n)| *n == e.id)
                .map(|(o, _)| EntityId::Identity(o.clone())),
        }
    }
    /// The new session's id for an old decision id (`system.s1` -> `system.s4`).
    fn decision_id(&self, old_id: &str) -> Option<String> {
        let Some((prefix, id)) = old_id.split_once('.') else {
            return Some(old_id.to_string());
        };
        match prefix {
            "system" | "subservice" => self
                .systems
                .iter()
                .find(|(o, _)| o == id)
                .map(|(_, n)| format!("{prefix}.{n}")),
            "identity" => self
                .identities
                .iter()
                .find(|(o, _)| o == id)
                .map(|(_, n)| format!("{prefix}.{n}")),
            _ => Some(old_id.to_string()),
        }
    }
}

fn all_decisions(r: &Recommendation) -> Vec<&Decision> {
    r.all_decisions().collect()
}

/// Compares two sessions under one questionnaire.
pub fn compare(q: &Questionnaire, old: &Session, new: &Session) -> Diff {
    let o = Side {
        s: old,
        r: engine::recommend(q, old),
    };
    let n = Side {
        s: new,
        r: engine::recommend(q, new),
    };
    let same_workshop = old.created == new.created;
    let ids = |v: &mut dyn Iterator<Item = (String, String)>| v.collect::<Vec<_>>();
    let old_sys = ids(&mut old.systems.iter().map(|x| (x.id.clone(), x.name.clone())));
    let new_sys = ids(&mut new.systems.iter().map(|x| (x.id.clone(), x.name.clone())));
    let old_ids = ids(&mut old
        .identities
        .iter()
        .map(|x| (x.id.clone(), x.name.clone())));
    let new_ids = ids(&mut new
        .identities
        .iter()
        .map(|x| (x.id.clone(), x.name.clone())));
    let sys_pairs = pair(&old_sys, &new_sys, same_workshop);
    let id_pairs = pair(&old_ids, &new_ids, same_workshop);
    let pairs = Pairs {
        systems: sys_pairs
            .iter()
            .map(|&(i, j)| (old_sys[i].0.clone(), new_sys[j].0.clone()))
            .collect(),
        identities: id_pairs
            .iter()
            .map(|&(i, j)| (old_ids[i].0.clone(), new_ids[j].0.clone()))
            .collect(),
    };

    let inventory = |old_list: &[(String, String)],
                     new_list: &[(String, String)],
                     pairs: &[(usize, usize)],
                     verdict: &dyn Fn(&Recommendation, &str) -> Option<String>|
     -> InventoryDiff {
        let item = |r: &Recommendation, (id, name): &(String, String)| Item {
            name: name.clone(),
            verdict: verdict(r, id).unwrap_or_else(|| "not decided".to_string()),
        };
        let added = (0..new_list.len())
            .filter(|j| !pairs.iter().any(|p| p.1 == *j))
            .map(|j| item(&n.r, &new_list[j]))
            .collect();
        let removed = (0..old_list.len())
            .filter(|i| !pairs.iter().any(|p| p.0 == *i))
            .map(|i| item(&o.r, &old_list[i]))
            .collect();
        let changed = pairs
            .iter()
            .filter_map(|&(i, j)| {
                let v = match (verdict(&o.r, &old_list[i].0), verdict(&n.r, &new_list[j].0)) {
                    (Some(a), Some(b)) => changed(a, b),
                    _ => None,
                };
                let renamed = old_list[i].1 != new_list[j].1;
                (v.is_some() || renamed).then(|| EntityChange {
                    old_name: old_list[i].1.clone(),
                    new_name: new_list[j].1.clone(),
                    verdict: v,
                })
            })
            .collect();
        InventoryDiff {
            added,
            removed,
            changed,
        }
    };
    let systems = inventory(&old_sys, &new_sys, &sys_pairs, &|r, id| {
        r.systems
            .iter()
            .find(|x| x.id == id)
            .map(|x| x.decision.outcome.to_string())
    });
    let identities = inventory(&old_ids, &new_ids, &id_pairs, &|r, id| {
        r.identities
            .iter()
            .find(|x| x.id == id)
            .map(|x| x.decision.outcome.to_string())
    });

    // Decisions, matched by id (translated through the entity pairing).
    let old_decisions = all_decisions(&o.r);
    let new_decisions = all_decisions(&n.r);
    let mut decisions = Vec::new();
    let mut seen_new = vec![false; new_decisions.len()];
    let new_ids_text: Vec<String> = new_decisions.iter().map(|d| d.id.to_string()).collect();
    for od in &old_decisions {
        let nid = pairs.decision_id(&od.id.to_string());
        let nd = nid.as_ref().and_then(|nid| {
            new_ids_text
                .iter()
                .position(|d| d == nid)
                .map(|k| (k, new_decisions[k]))
        });
        // Decisions about a removed system or identity are covered by "removed".
        let Some((k, nd)) = nd else {
            if od.id.is_report_level() && od.outcome != engine::Outcome::Type(None) {
                decisions.push(DecisionChange {
                    id: od.id.to_string(),
                    title: od.title(),
                    old: Some(od.outcome.to_string()),
                    new: None,
                    answers: flipping_answers(q, &o, &n, &pairs, Some(od), None),
                });
            }
            continue;
        };
        seen_new[k] = true;
        if od.outcome != nd.outcome {
            decisions.push(DecisionChange {
                id: nd.id.to_string(),
                title: nd.title(),
                old: Some(od.outcome.to_string()),
                new: Some(nd.outcome.to_string()),
                answers: flipping_answers(q, &o, &n, &pairs, Some(od), Some(nd)),
            });
        }
    }
    for (k, nd) in new_decisions.iter().enumerate() {
        // An undecided Type of a report that is only possible now says nothing new.
        if seen_new[k] || !nd.id.is_report_level() || nd.outcome == engine::Outcome::Type(None) {
            continue;
        }
        decisions.push(DecisionChange {
            id: nd.id.to_string(),
            title: nd.title(),
            old: None,
            new: Some(nd.outcome.to_string()),
            answers: flipping_answers(q, &o, &n, &pairs, None, Some(nd)),
        });
    }

    // A resumed copy of last year's file keeps its workshop date: the update time tells the
    // two apart then (and when that is the same too, `name_files` adds the file names).
    let by_update = old.workshop.date == new.workshop.date && old.updated != new.updated;
    let label = |s: &Session| {
        let org = sanitize(&s.workshop.organisation);
        let updated = s.updated.format("%Y-%m-%d %H:%M UTC");
        match (s.workshop.date, by_update) {
            (Some(d), false) => format!("{org} ({d})"),
            (Some(d), true) => format!("{org} ({d}, updated {updated})"),
            (None, true) => format!("{org} (updated {updated})"),
            (None, false) => org,
        }
    };
    let org_key = |s: &Session| s.workshop.organisation.trim().to_lowercase();
    let (answers, notes) = answer_changes(q, old, new, &pairs);
    Diff {
        old_label: label(old),
        new_label: label(new),
        organisations: (org_key(old) != org_key(new)).then(|| Change {
            old: sanitize(old.workshop.organisation.trim()),
            new: sanitize(new.workshop.organisation.trim()),
        }),
        verdict: changed(verdict_label(&o.r), verdict_label(&n.r)),
        new_verdict: verdict_label(&n.r),
        new_categories: n.r.soc2_categories.clone(),
        new_report_type: type_label(&n.r),
        categories_added: n
            .r
            .soc2_categories
            .iter()
            .filter(|c| !o.r.soc2_categories.contains(c))
            .copied()
            .collect(),
        categories_removed: o
            .r
            .soc2_categories
            .iter()
            .filter(|c| !n.r.soc2_categories.contains(c))
            .copied()
            .collect(),
        report_type: changed(type_label(&o.r), type_label(&n.r)),
        systems,
        identities,
        decisions,
        answers,
        notes,
    }
}

/// Every answer that differs, for the engagement and each system and identity in both sessions
/// (those added or removed are listed as such): engagement, systems, identities, in the new
/// session's order, each in questionnaire order. Then every note that differs, the same way.
fn answer_changes<'a>(
    q: &Questionnaire,
    old: &'a Session,
    new: &'a Session,
    pairs: &Pairs,
) -> (Vec<AnswerChange>, Vec<AnswerChange>) {
    // Old answers by the new session's id (lookups by id in a session are linear).
    let old_answers = |pairs: &[(String, String)], old: Vec<(&'a String, &'a Answers)>| {
        let by_old: HashMap<&String, &Answers> = old.into_iter().collect();
        pairs
            .iter()
            .filter_map(|(o, n)| by_old.get(o).map(|a| (n.clone(), *a)))
            .collect::<HashMap<String, &Answers>>()
    };
    let old_sys = old_answers(
        &pairs.systems,
        old.systems.iter().map(|x| (&x.id, &x.answers)).collect(),
    );
    let old_ids = old_answers(
        &pairs.identities,
        old.identities.iter().map(|x| (&x.id, &x.answers)).collect(),
    );
    // (old answers, new answers, new id, name)
    let mut subjects: Vec<(&Answers, &Answers, EntityId, String)> = vec![(
        &old.engagement,
        &new.engagement,
        EntityId::Engagement,
        "Engagement".to_string(),
    )];
    for x in &new.systems {
        if let Some(a) = old_sys.get(&x.id) {
            subjects.push((
                a,
                &x.answers,
                EntityId::System(x.id.clone()),
                x.name.clone(),
            ));
        }
    }
    for x in &new.identities {
        if let Some(a) = old_ids.get(&x.id) {
            subjects.push((
                a,
                &x.answers,
                EntityId::Identity(x.id.clone()),
                x.name.clone(),
            ));
        }
    }
    let (mut out, mut notes) = (Vec::new(), Vec::new());
    for (a, b, ne, name) in subjects {
        for question in &q.questions {
            let (x, y) = (a.get(&question.id), b.get(&question.id));
            let change = |old: Option<String>, new: Option<String>| AnswerChange {
                entity: name.clone(),
                entity_id: Some(ne.clone()),
                question: question.id.clone(),
                question_text: question.text.clone(),
                old,
                new,
            };
            let (xv, yv) = (x.map(|v| &v.value), y.map(|v| &v.value));
            if xv != yv {
                out.push(change(
                    xv.map(|v| v.display(question)),
                    yv.map(|v| v.display(question)),
                ));
            }
            let (xn, yn) = (
                x.and_then(|v| v.note.clone()),
                y.and_then(|v| v.note.clone()),
            );
            if xn != yn {
                notes.push(change(xn, yn));
            }
        }
    }
    (out, notes)
}

fn answers_of<'a>(s: &'a Session, e: &Option<EntityId>) -> Option<&'a Answers> {
    e.as_ref().and_then(|e| s.answers(e))
}

/// The answers that flipped a decision: among the answers its rationale rests on, on either
/// side, those that differ. A rule that fired on both sides holds the decision where it was
/// whatever its answers became, so only the triggers of rules that fired on one side only count,
/// with the open questions of both sides. When that leaves no changed answer, every trigger of
/// the decision is looked at instead.
fn flipping_answers(
    q: &Questionnaire,
    o: &Side,
    n: &Side,
    pairs: &Pairs,
    od: Option<&Decision>,
    nd: Option<&Decision>,
) -> Vec<AnswerChange> {
    let narrow = changed_answers(q, o, n, pairs, (od, nd), true);
    if narrow.is_empty() {
        changed_answers(q, o, n, pairs, (od, nd), false)
    } else {
        narrow
    }
}

/// The changed answers among a decision's triggers and open questions (with `only_flipped`,
/// the triggers of rules that fired on one side only).
fn changed_answers(
    q: &Questionnaire,
    o: &Side,
    n: &Side,
    pairs: &Pairs,
    (od, nd): (Option<&Decision>, Option<&Decision>),
    only_flipped: bool,
) -> Vec<AnswerChange> {
    // (old entity, new entity, question id, name to show)
    let mut subjects: Vec<(Option<EntityId>, Option<EntityId>, String, String)> = Vec::new();
    let rules = |d: Option<&Decision>| -> HashSet<String> {
        d.map(|d| d.rationale.iter().map(|f| f.rule.to_string()).collect())
            .unwrap_or_default()
    };
    let (old_rules, new_rules) = (rules(od), rules(nd));
    let refs = |d: &Decision, other: &HashSet<String>| -> Vec<(EntityRef, String)> {
        d.rationale
            .iter()
            .filter(|f| !only_flipped || !other.contains(f.rule.as_str()))
            .flat_map(|f| &f.triggers)
            .map(|t| (t.entity.clone(), t.question.to_string()))
            .chain(
                d.open_questions
                    .iter()
                    .filter(|x| !x.question.is_empty())
                    .map(|x| (x.entity.clone(), x.question.to_string())),
            )
            .collect()
    };
    for (e, qid) in od.map(|d| refs(d, &new_rules)).unwrap_or_default() {
        let old_e = e.entity_id();
        let new_e = pairs.to_new(&e);
        let name = new_e
            .as_ref()
            .map_or_else(|| e.name.clone(), |x| n.s.entity_name(x).into());
        subjects.push((Some(old_e), new_e, qid, name.to_string()));
    }
    for (e, qid) in nd.map(|d| refs(d, &old_rules)).unwrap_or_default() {
        let new_e = e.entity_id();
        subjects.push((pairs.to_old(&e), Some(new_e), qid, e.name.to_string()));
    }
    let mut out: Vec<AnswerChange> = Vec::new();
    let mut seen: Vec<(Option<EntityId>, Option<EntityId>, String)> = Vec::new();
    for (oe, ne, qid, name) in subjects {
        let k = (oe.clone(), ne.clone(), qid.clone());
        if seen.contains(&k) {
            continue;
        }
        seen.push(k);
        let Some(question) = q.question(&qid) else {
            continue;
        };
        let a = answers_of(o.s, &oe).and_then(|a| a.get(&qid));
        let b = answers_of(n.s, &ne).and_then(|a| a.get(&qid));
        if a.map(|x| &x.value) == b.map(|x| &x.value) {
            continue;
        }
        out.push(AnswerChange {
            entity: name,
            entity_id: ne,
            question: qid,
            question_text: question.text.clone(),
            old: a.map(|x| x.value.display(question)),
            new: b.map(|x| x.value.display(question)),
        });
    }
    out
}

fn cats(c: &[Category]) -> String {
    c.iter().map(|c| c.label()).collect::<Vec<_>>().join(", ")
}

fn or_unanswered(v: &Option<String>) -> String {
    v.clone().unwrap_or_else(|| "not answered".to_string())
}

/// "SOC 2 (unchanged)", "SOC 2 (provisional, unchanged)".
pub fn unchanged(label: &str) -> String {
    match label.strip_suffix(" (provisional)") {
        Some(base) => format!("{base} (provisional, unchanged)"),
        None => format!("{label} (unchanged)"),
    }
}

/// The new SOC 2 categories, or "none".
fn cats_or_none(c: &[Category]) -> String {
    if c.is_empty() {
        "none".to_string()
    } else {
        cats(c)
    }
}

/// The warning printed first when the sessions are for different organisations.
pub(crate) fn organisations_warning(c: &Change) -> String {
    format!(
        "these sessions are for different organisations ({} and {}): compared all the same; \
         check these are the files you meant",
        if c.old.is_empty() { "unnamed" } else { &c.old },
        if c.new.is_empty() { "unnamed" } else { &c.new },
    )
}

/// Plain text, for the terminal (user text stripped of control characters).
pub fn render_text(d: &Diff) -> String {
    let mut out = String::new();
    let w = &mut out;
    let _ = writeln!(w, "Changes from {} to {}", d.old_label, d.new_label);
    if let Some(c) = &d.organisations {
        let _ = writeln!(w, "\nWarning: {}.", organisations_warning(c));
    }
    if d.is_empty() {
        let _ = writeln!(
            w,
            "\nNo changes to the recommendation, the inventory or the answers (verdict: {}).",
            d.new_verdict
        );
        return out;
    }
    let _ = writeln!(w);
    match &d.verdict {
        Some(c) => {
            let _ = writeln!(w, "Verdict: {} -> {}", c.old, c.new);
        }
        None => {
            let _ = writeln!(w, "Verdict: {}", unchanged(&d.new_verdict));
        }
    }
    if d.categories_added.is_empty() && d.categories_removed.is_empty() {
        let _ = writeln!(
            w,
            "SOC 2 categories: {}",
            unchanged(&cats_or_none(&d.new_categories))
        );
    } else {
        let _ = writeln!(
            w,
            "SOC 2 categories now: {}",
            cats_or_none(&d.new_categories)
        );
    }
    if !d.categories_added.is_empty() {
        let _ = writeln!(w, "SOC 2 categories added: {}", cats(&d.categories_added));
    }
    if !d.categories_removed.is_empty() {
        let _ = writeln!(
            w,
            "SOC 2 categories removed: {}",
            cats(&d.categories_removed)
        );
    }
    match &d.report_type {
        Some(c) => {
            let _ = writeln!(w, "Type: {} -> {}", c.old, c.new);
        }
        None => {
            let _ = writeln!(w, "Type: {}", unchanged(&d.new_report_type));
        }
    }
    for (title, inv) in [("Systems", &d.systems), ("Identities", &d.identities)] {
        if *inv == InventoryDiff::default() {
            continue;
        }
        let _ = writeln!(w, "\n{title}:");
        for a in &inv.added {
            let _ = writeln!(
                w,
                "  + {} (added): {}",
                sanitize(&a.name),
                sanitize(&a.verdict)
            );
        }
        for r in &inv.removed {
            let _ = writeln!(
                w,
                "  - {} (removed; was {})",
                sanitize(&r.name),
                sanitize(&r.verdict)
            );
        }
        for c in &inv.changed {
            let name = if c.old_name == c.new_name {
                sanitize(&c.new_name)
            } else {
                format!(
                    "{} (renamed from {})",
                    sanitize(&c.new_name),
                    sanitize(&c.old_name)
                )
            };
            match &c.verdict {
                Some(v) => {
                    let _ = writeln!(w, "  ~ {name}: {} -> {}", v.old, v.new);
                }
                None => {
                    let _ = writeln!(w, "  ~ {name}");
                }
            }
        }
    }
    if !d.decisions.is_empty() {
        let _ = writeln!(w, "\nDecisions that changed:");
        for c in &d.decisions {
            let _ = writeln!(
                w,
                "  {}: {} -> {}",
                sanitize(&c.title),
                c.old.as_deref().map_or("(none)".into(), sanitize),
                c.new.as_deref().map_or("(none)".into(), sanitize),
            );
            if c.answers.is_empty() {
                let _ = writeln!(
                    w,
                    "    (no answer its rules read changed: the inventory, or an answer that changed which questions are asked, did)"
                );
            }
            for a in &c.answers {
                let _ = writeln!(w, "    because {}", answer_text(a));
            }
        }
    }
    if !d.answers.is_empty() {
        let _ = writeln!(w, "\nAnswers that changed ({}):", d.answers.len());
        for a in &d.answers {
            let _ = writeln!(
                w,
                "  {}{}",
                answer_text(a),
                if d.flipped_something(a) {
                    ""
                } else {
                    " (flipped no decision)"
                }
            );
        }
    }
    if !d.notes.is_empty() {
        let _ = writeln!(w, "\nNotes that changed ({}):", d.notes.len());
        for n in &d.notes {
            let _ = writeln!(w, "  {}", note_text(n, sanitize));
        }
    }
    out
}

/// "Entity: question [id]: note added: “…”", with `text` making each piece safe.
fn note_text(n: &AnswerChange, text: fn(&str) -> String) -> String {
    let short = |t: &str| text(&crate::text::truncate(t, 80));
    let what = match (&n.old, &n.new) {
        (None, Some(new)) => format!("note added: \u{201c}{}\u{201d}", short(new)),
        (Some(old), None) => format!("note removed (was \u{201c}{}\u{201d})", short(old)),
        (old, new) => format!(
            "note changed: \u{201c}{}\u{201d} -> \u{201c}{}\u{201d}",
            short(old.as_deref().unwrap_or_default()),
            short(new.as_deref().unwrap_or_default())
        ),
    };
    format!(
        "{}: {} {}: {what}",
        text(&n.entity),
        text(&n.question_text),
        text(&format!("[{}]", n.question))
    )
}

/// "Entity: question [id]: old -> new", stripped of control characters.
fn answer_text(a: &AnswerChange) -> String {
    format!(
        "{}: {} [{}]: {} -> {}",
        sanitize(&a.entity),
        sanitize(&a.question_text),
        a.question,
        sanitize(&or_unanswered(&a.old)),
        sanitize(&or_unanswered(&a.new)),
    )
}

/// "Entity: question `id`: old → **new**", escaped.
fn answer_markdown(a: &AnswerChange) -> String {
    format!(
        "{}: {} `{}`: {} → **{}**",
        escape(&a.entity),
        escape(&a.question_text),
        a.question,
        escape(&or_unanswered(&a.old)),
        escape(&or_unanswered(&a.new)),
    )
}

/// CommonMark: headings and lists; every piece of user text escaped, no HTML.
pub fn render_markdown(d: &Diff) -> String {
    let mut out = String::new();
    let w = &mut out;
    let _ = writeln!(
        w,
        "# Scoping changes: {} to {}\n",
        escape(&d.old_label),
        escape(&d.new_label)
    );
    if let Some(c) = &d.organisations {
        let _ = writeln!(w, "> **Warning:** {}.\n", escape(&organisations_warning(c)));
    }
    if d.is_empty() {
        let _ = writeln!(
            w,
            "No changes to the recommendation, the inventory or the answers (verdict: {}).",
            escape(&d.new_verdict)
        );
        return out;
    }
    let _ = writeln!(w, "## Recommendation\n");
    match &d.verdict {
        Some(c) => {
            let _ = writeln!(w, "- Verdict: {} → **{}**", escape(&c.old), escape(&c.new));
        }
        None => {
            let _ = writeln!(w, "- Verdict: {}", escape(&unchanged(&d.new_verdict)));
        }
    }
    if d.categories_added.is_empty() && d.categories_removed.is_empty() {
        let _ = writeln!(
            w,
            "- SOC 2 categories: {}",
            unchanged(&cats_or_none(&d.new_categories))
        );
    } else {
        let _ = writeln!(
            w,
            "- SOC 2 categories now: **{}**",
            cats_or_none(&d.new_categories)
        );
    }
    if !d.categories_added.is_empty() {
        let _ = writeln!(w, "- SOC 2 categories added: {}", cats(&d.categories_added));
    }
    if !d.categories_removed.is_empty() {
        let _ = writeln!(
            w,
            "- SOC 2 categories removed: {}",
            cats(&d.categories_removed)
        );
    }
    match &d.report_type {
        Some(c) => {
            let _ = writeln!(w, "- Type: {} → **{}**", escape(&c.old), escape(&c.new));
        }
        None => {
            let _ = writeln!(w, "- Type: {}", escape(&unchanged(&d.new_report_type)));
        }
    }
    let _ = writeln!(w);
    for (title, inv) in [("Systems", &d.systems), ("Identities", &d.identities)] {
        if *inv == InventoryDiff::default() {
            continue;
        }
        let _ = writeln!(w, "## {title}\n");
        for a in &inv.added {
            let _ = writeln!(
                w,
                "- Added: {}: **{}**",
                escape(&a.name),
                escape(&a.verdict)
            );
        }
        for r in &inv.removed {
            let _ = writeln!(
                w,
                "- Removed: {} (was {})",
                escape(&r.name),
                escape(&r.verdict)
            );
        }
        for c in &inv.changed {
            let name = if c.old_name == c.new_name {
                escape(&c.new_name)
            } else {
                format!(
                    "{} (renamed from {})",
                    escape(&c.new_name),
                    escape(&c.old_name)
                )
            };
            match &c.verdict {
                Some(v) => {
                    let _ = writeln!(
                        w,
                        "- Changed: {name}: {} → **{}**",
                        escape(&v.old),
                        escape(&v.new)
                    );
                }
                None => {
                    let _ = writeln!(w, "- Renamed: {name}");
                }
            }
        }
        let _ = writeln!(w);
    }
    if !d.decisions.is_empty() {
        let _ = writeln!(w, "## Decisions that changed\n");
        for c in &d.decisions {
            let _ = writeln!(
                w,
                "- {}: {} → **{}**",
                escape(&c.title),
                c.old.as_deref().map_or("(none)".into(), escape),
                c.new.as_deref().map_or("(none)".into(), escape),
            );
            if c.answers.is_empty() {
                let _ = writeln!(
                    w,
                    "  - no answer its rules read changed: the inventory, or an answer that changed which questions are asked, did"
                );
            }
            for a in &c.answers {
                let _ = writeln!(w, "  - {}", answer_markdown(a));
            }
        }
        let _ = writeln!(w);
    }
    if !d.answers.is_empty() {
        let _ = writeln!(w, "## Answers that changed\n");
        for a in &d.answers {
            let _ = writeln!(
                w,
                "- {}{}",
                answer_markdown(a),
                if d.flipped_something(a) {
                    ""
                } else {
                    " (flipped no decision)"
                }
            );
        }
        let _ = writeln!(w);
    }
    if !d.notes.is_empty() {
        let _ = writeln!(w, "## Notes that changed\n");
        for n in &d.notes {
            let _ = writeln!(w, "- {}", note_text(n, escape));
        }
        let _ = writeln!(w);
    }
    out
}

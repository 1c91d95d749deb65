//! The recommendation engine: questionnaire + session -> recommendation, pure and deterministic.
//!
//! Rules are evaluated per entity in three-valued logic (see docs/questionnaire-format.md):
//! systems first, then identities (which may look at the systems they can access), then the
//! engagement (`stage`). Each decision keeps the rules that fired with the answers that
//! triggered them, and the open questions that could still change it; `sensitivity` finds the
//! single answer changes that would flip it.

mod conflicts;
mod model;
mod sensitivity;
mod stage;
mod visibility;

use std::collections::{BTreeSet, HashSet};

pub use model::*;
pub use sensitivity::{
    sensitivities, sensitivities_for, sensitivity, sensitivity_in, sensitivity_of,
};
pub use stage::Evaluation;
pub use visibility::{EntityEnv, Visibility, entity_key, visibility};

use crate::questionnaire::condition::{EntityKey, Subject, Tri};
use crate::questionnaire::{Category, Findings, Questionnaire, ReportType, Scope, tsc};
use crate::session::Session;
use stage::{Eval, Stage, Summary, Totals, fold};

struct Ctx<'a> {
    q: &'a Questionnaire,
    s: &'a Session,
}

impl Ctx<'_> {
    fn entity_ref(&self, key: EntityKey) -> EntityRef {
        let (kind, id, name) = match key {
            EntityKey::Engagement => (Scope::Engagement, String::new(), "Engagement".to_string()),
            EntityKey::System(i) => (
                Scope::System,
                self.s.systems[i].id.clone(),
                self.s.systems[i].name.clone(),
            ),
            EntityKey::Identity(i) => (
                Scope::Identity,
                self.s.identities[i].id.clone(),
                self.s.identities[i].name.clone(),
            ),
        };
        EntityRef { kind, id, name }
    }

    /// An entity's answers by index (not by id: a lookup by id is linear in the inventory).
    fn answers(&self, key: EntityKey) -> &crate::session::Answers {
        match key {
            EntityKey::Engagement => &self.s.engagement,
            EntityKey::System(i) => &self.s.systems[i].answers,
            EntityKey::Identity(i) => &self.s.identities[i].answers,
        }
    }

    fn trigger(&self, (key, qi): Subject) -> Trigger {
        let question = &self.q.questions[qi];
        let answer = self.answers(key).get(&question.id);
        Trigger {
            entity: self.entity_ref(key),
            question: question.id.clone(),
            question_text: question.text.clone(),
            answer: answer.map_or_else(String::new, |a| a.value.display(question)),
            source: answer.and_then(|a| a.source.clone()),
        }
    }

    fn open_question(&self, (key, qi): Subject) -> OpenQuestion {
        let question = &self.q.questions[qi];
        OpenQuestion {
            entity: self.entity_ref(key),
            question: question.id.clone(),
            question_text: question.text.clone(),
        }
    }

    fn firing(&self, e: &Eval) -> Firing {
        let mut seen = BTreeSet::new();
        let triggers = e
            .trace
            .triggers
            .iter()
            .filter(|s| seen.insert(**s))
            .map(|s| self.trigger(*s))
            .collect();
        let mut via = e.trace.via_systems.clone();
        via.sort_unstable();
        via.dedup();
        Firing {
            rule: e.rule.id.clone(),
            rationale: e.rule.rationale.clone(),
            references: e.rule.references.clone(),
            triggers,
            via_systems: via
                .iter()
                .map(|&i| self.entity_ref(EntityKey::System(i)))
                .collect(),
            also: Vec::new(),
        }
    }

    fn opens<'e, 'a: 'e>(
        &self,
        evals: impl IntoIterator<Item = &'e Eval<'a>>,
    ) -> Vec<OpenQuestion> {
        let mut seen = BTreeSet::new();
        let mut subjects: Vec<Subject> = evals
            .into_iter()
            .filter(|e| e.result == Tri::Open)
            .flat_map(|e| e.trace.open.iter().copied())
            .filter(|s| seen.insert(*s))
            .collect();
        subjects.sort();
        subjects
            .into_iter()
            .map(|s| self.open_question(s))
            .collect()
    }

    /// A decision from the rules that fired for it (`fired`) and those that could still change
    /// it (`open`).
    fn decision<'e, 'a: 'e>(
        &self,
        id: String,
        title: String,
        outcome: String,
        fired: impl IntoIterator<Item = &'e Eval<'a>>,
        open: impl IntoIterator<Item = &'e Eval<'a>>,
        extra_open: Vec<OpenQuestion>,
    ) -> Decision {
        // The same rule firing for several entities is one reason: shown once, with the
        // triggering answers of the first entity and the others named in `also`.
        let mut rationale: Vec<Firing> = Vec::new();
        let mut firing_keys: Vec<EntityKey> = Vec::new();
        // The entities already named for each reason: a set, as a report-level reason can be
        // shared by every entity of the inventory.
        let mut named: Vec<HashSet<EntityKey>> = Vec::new();
        for e in fired.into_iter().filter(|e| e.result == Tri::True) {
            match rationale.iter().position(|f| f.rule == e.rule.id) {
                None => {
                    rationale.push(self.firing(e));
                    firing_keys.push(e.key);
                    named.push(HashSet::from([e.key]));
                }
                Some(i) if firing_keys[i] != e.key => {
                    if named[i].insert(e.key) {
                        rationale[i].also.push(self.entity_ref(e.key));
                    }
                }
                Some(_) => {}
            }
        }
        let mut open_questions = extra_open;
        open_questions.extend(self.opens(open));
        let provisional = !open_questions.is_empty();
        Decision {
            id,
            title,
            outcome,
            provisional,
            rationale,
            open_questions,
        }
    }
}

fn negatives<'e, 'a: 'e>(evals: impl IntoIterator<Item = &'e Eval<'a>>) -> Vec<&'e Eval<'a>> {
    evals
        .into_iter()
        .filter(|e| e.result == Tri::True)
        .filter(|e| e.rule.findings.soc1 == Some(false) || e.rule.findings.soc2 == Some(false))
        .collect()
}

/// The open rules that could still change a scope decision given its settled parts.
fn open_for_scope<'e, 'a: 'e>(
    evals: impl IntoIterator<Item = &'e Eval<'a>>,
    soc1: Tri,
    soc2: Tri,
) -> Vec<&'e Eval<'a>> {
    evals
        .into_iter()
        .filter(|e| e.result == Tri::Open)
        .filter(|e| {
            (soc1 != Tri::True && e.rule.findings.soc1 == Some(true))
                || (soc2 != Tri::True && e.rule.findings.soc2_positive())
        })
        .collect()
}

fn dedup(items: impl Iterator<Item = String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for i in items {
        if !out.contains(&i) {
            out.push(i);
        }
    }
    out
}

/// The outcome text of a system's decision.
pub(crate) fn system_outcome(sum: &Summary) -> String {
    if sum.carved_out() {
        "Subservice organisation (carve-out): outside the system boundary, disclosed".to_string()
    } else {
        sum.verdict().label().to_string()
    }
}

pub(crate) fn type_outcome(t: &Totals, window: Option<&str>) -> String {
    match (t.report_type(), window) {
        (Some(rt), Some(w)) => format!("{} ({w})", rt.label()),
        (Some(rt), None) => rt.label().to_string(),
        (None, _) => "Undetermined".to_string(),
    }
}

/// Computes the recommendation for a session.
pub fn recommend(q: &Questionnaire, s: &Session) -> Recommendation {
    let st = Stage::new(q, s);
    let mut r = build(q, s, &st);
    conflicts::mark(q, s, &mut r);
    r
}

/// The recommendation and the evaluation it was computed from, for callers that keep both
/// (the app, after every change: visibility, and "what would change this?" without evaluating
/// the session again).
pub fn recommend_with_evaluation(q: &Questionnaire, s: &Session) -> (Recommendation, Evaluation) {
    let st = Stage::new(q, s);
    let mut r = build(q, s, &st);
    conflicts::mark(q, s, &mut r);
    (r, st.ev)
}

fn build(q: &Questionnaire, s: &Session, st: &Stage) -> Recommendation {
    let cx = Ctx { q, s };
    let mut decisions = Vec::new();

    // Systems.
    let mut systems = Vec::with_capacity(s.systems.len());
    let mut subservices = Vec::new();
    for (i, (evals, sum)) in st.systems.iter().zip(&st.sys_sum).enumerate() {
        let entity = cx.entity_ref(EntityKey::System(i));
        let (_, soc1_evals) = fold(evals, |f| f.soc1 == Some(true));
        let (_, soc2_evals) = fold(evals, Findings::soc2_positive);
        let (_, sub_evals) = fold(evals, |f| f.subservice.is_some());
        let verdict = sum.verdict();
        let decision = if sum.carved_out() {
            cx.decision(
                format!("system.{}", entity.id),
                format!("System: {}", entity.name),
                system_outcome(sum),
                sub_evals.iter().copied(),
                [],
                vec![],
            )
        } else {
            let fired: Vec<&Eval> = match verdict {
                Verdict::None => negatives(evals),
                _ => soc1_evals.iter().chain(&soc2_evals).copied().collect(),
            };
            cx.decision(
                format!("system.{}", entity.id),
                format!("System: {}", entity.name),
                system_outcome(sum),
                fired,
                open_for_scope(evals, sum.soc1, sum.soc2),
                vec![],
            )
        };
        let mut categories: Vec<Category> = Category::ALL
            .into_iter()
            .filter(|c| sum.cats[cat_pos(*c)] == Tri::True)
            .collect();
        if sum.soc2 == Tri::True && !categories.contains(&Category::Security) {
            categories.insert(0, Category::Security);
        }
        if let Some(method) = sum.subservice {
            let true_evals = || evals.iter().filter(|e| e.result == Tri::True);
            subservices.push(Subservice {
                system: entity.clone(),
                method,
                csocs: dedup(true_evals().flat_map(|e| e.rule.findings.csocs.iter().cloned())),
                evidence: dedup(
                    true_evals()
                        .flat_map(|e| e.rule.findings.evidence.iter())
                        .filter_map(|id| q.evidence_kind(id).map(|k| k.title.clone())),
                ),
            });
            if !sum.carved_out() {
                decisions.push(cx.decision(
                    format!("subservice.{}", entity.id),
                    format!("Subservice organisation: {}", entity.name),
                    format!("Subservice organisation ({})", method.label()),
                    sub_evals.iter().copied(),
                    [],
                    vec![],
                ));
            }
        }
        systems.push(SystemResult {
            id: entity.id.clone(),
            name: entity.name.clone(),
            verdict,
            soc2_categories: categories,
            subservice: sum.subservice,
            decision,
        });
    }

    // Identities.
    let mut identities = Vec::with_capacity(s.identities.len());
    for (i, (evals, sum)) in st.identities.iter().zip(&st.id_sum).enumerate() {
        let entity = cx.entity_ref(EntityKey::Identity(i));
        let (_, soc1_evals) = fold(evals, |f| f.soc1 == Some(true));
        let (_, soc2_evals) = fold(evals, Findings::soc2_positive);
        let gaps: Vec<Gap> = evals
            .iter()
            .filter(|e| e.result == Tri::True)
            .filter_map(|e| {
                let f = &e.rule.findings;
                f.gap.as_ref().map(|text| Gap {
                    id: f.gap_id.clone().unwrap_or_else(|| e.rule.id.clone()),
                    text: text.clone(),
                    rule: e.rule.id.clone(),
                    evidence: f
                        .evidence
                        .iter()
                        .filter_map(|id| q.evidence_kind(id).map(|k| k.title.clone()))
                        .collect(),
                })
            })
            .collect();
        let verdict = sum.verdict();
        let fired: Vec<&Eval> = match verdict {
            Verdict::None => negatives(evals),
            _ => soc1_evals.iter().chain(&soc2_evals).copied().collect(),
        };
        let mut open = open_for_scope(evals, sum.soc1, sum.soc2);
        open.extend(
            evals
                .iter()
                .filter(|e| e.result == Tri::Open && e.rule.findings.gap.is_some()),
        );
        let kind = q.identity_kind_question().and_then(|kq| {
            s.identities[i]
                .answers
                .get(&kq.id)
                .map(|a| a.value.display(kq))
        });
        identities.push(IdentityResult {
            id: entity.id.clone(),
            name: entity.name.clone(),
            kind,
            // The linked systems that exist, in link order, resolved once by `visibility`.
            systems: st.vis.links[i]
                .iter()
                .map(|&j| s.systems[j].name.clone())
                .collect(),
            soc1: sum.soc1 == Tri::True,
            soc2: sum.soc2 == Tri::True,
            verdict,
            gaps,
            decision: cx.decision(
                format!("identity.{}", entity.id),
                format!("Identity: {}", entity.name),
                verdict.label().to_string(),
                fired,
                open,
                vec![],
            ),
        });
    }

    // The report as a whole: the engagement and every entity that is not carved out.
    let no_systems = s.systems.is_empty();
    let totals = st.totals(no_systems);
    let counted: Vec<&Eval> = st
        .engagement
        .iter()
        .chain(
            st.systems
                .iter()
                .zip(&st.sys_sum)
                .filter(|(_, sum)| !sum.carved_out())
                .flat_map(|(e, _)| e.iter()),
        )
        .chain(st.identities.iter().flatten())
        .collect();
    let (soc1, soc2) = (totals.soc1, totals.soc2);
    let verdict = totals.verdict();
    let (_, soc1_evals) = fold(counted.iter().copied(), |f| f.soc1 == Some(true));
    let (_, soc2_evals) = fold(counted.iter().copied(), Findings::soc2_positive);
    let mut inventory_open = Vec::new();
    if no_systems {
        inventory_open.push(OpenQuestion {
            entity: EntityRef {
                kind: Scope::System,
                id: String::new(),
                name: "Inventory".into(),
            },
            question: String::new(),
            question_text: "No systems have been added yet: which systems support the service?"
                .into(),
        });
    }
    let fired: Vec<&Eval> = match verdict {
        Verdict::None => negatives(counted.iter().copied()),
        _ => soc1_evals
            .iter()
            .chain(&soc2_evals)
            .copied()
            .filter(|e| e.result == Tri::True)
            .collect(),
    };
    decisions.insert(
        0,
        cx.decision(
            "verdict".into(),
            "Which report".into(),
            verdict.label().into(),
            fired,
            open_for_scope(counted.iter().copied(), soc1, soc2),
            inventory_open,
        ),
    );

    // SOC 2 categories.
    let mut soc2_categories = Vec::new();
    if soc2 != Tri::False {
        for cat in Category::ALL {
            let state = totals.category(cat);
            let evals = if cat == Category::Security {
                // Security comes with any SOC 2: its reasons are those for the SOC 2 itself.
                let explicit: Vec<&Eval> = soc2_evals
                    .iter()
                    .copied()
                    .filter(|e| e.rule.findings.soc2 == Some(true))
                    .collect();
                if explicit.is_empty() {
                    soc2_evals.clone()
                } else {
                    explicit
                }
            } else {
                fold(counted.iter().copied(), |f| f.categories.contains(&cat)).1
            };
            let excluded: Vec<&Eval> = counted
                .iter()
                .copied()
                .filter(|e| {
                    e.result == Tri::True && e.rule.findings.excluded_categories.contains(&cat)
                })
                .collect();
            if state == Tri::True && soc2 == Tri::True {
                soc2_categories.push(cat);
            }
            if state == Tri::False && excluded.is_empty() {
                continue;
            }
            let (fired, open): (Vec<&Eval>, Vec<&Eval>) = match state {
                Tri::True => (evals, vec![]),
                Tri::Open => (excluded, evals),
                Tri::False => (excluded, vec![]),
            };
            decisions.push(cx.decision(
                format!("soc2.{}", cat.id()),
                format!("SOC 2 category: {}", cat.label()),
                totals.category_outcome(cat).into(),
                fired,
                open,
                vec![],
            ));
        }
    }

    // Type 1 or Type 2.
    let (t1, t1_evals) = fold(&st.engagement, |f| f.report_type == Some(ReportType::Type1));
    let (_, t2_evals) = fold(&st.engagement, |f| f.report_type == Some(ReportType::Type2));
    let report_type = totals.report_type();
    let (type_fired, type_open) = match report_type {
        Some(ReportType::Type1) => (t1_evals, vec![]),
        Some(ReportType::Type2) => (t2_evals, if t1 == Tri::Open { t1_evals } else { vec![] }),
        None => (vec![], t1_evals.into_iter().chain(t2_evals).collect()),
    };
    let observation_window = report_type.and_then(|_| {
        type_fired
            .iter()
            .find_map(|e| e.rule.findings.observation_window.clone())
    });
    if verdict != Verdict::None {
        let mut d = cx.decision(
            "type".into(),
            "Report type".into(),
            type_outcome(&totals, observation_window.as_deref()),
            type_fired,
            type_open,
            vec![],
        );
        // A report is called for but no rule settles its Type: never shown as settled.
        d.provisional |= totals.report_type().is_none();
        decisions.push(d);
    }

    let sox_note = counted
        .iter()
        .filter(|e| e.result == Tri::True)
        .find_map(|e| e.rule.findings.sox_note.clone());
    let control_objectives = dedup(
        counted
            .iter()
            .filter(|e| e.result == Tri::True)
            .flat_map(|e| e.rule.findings.control_objectives.iter().cloned()),
    );
    let evidence_plan = evidence_plan(&cx, st, verdict, &soc2_categories);

    // Every open question behind any decision, once.
    let mut open_questions: Vec<OpenQuestion> = Vec::new();
    let mut seen: HashSet<&OpenQuestion> = HashSet::new();
    for d in decisions
        .iter()
        .chain(systems.iter().map(|s| &s.decision))
        .chain(identities.iter().map(|i| &i.decision))
    {
        for o in &d.open_questions {
            if seen.insert(o) {
                open_questions.push(o.clone());
            }
        }
    }
    let provisional = decisions.iter().any(|d| d.provisional);

    Recommendation {
        verdict,
        provisional,
        soc2_categories,
        report_type,
        observation_window,
        sox_note,
        systems,
        identities,
        subservices,
        control_objectives,
        evidence_plan,
        decisions,
        open_questions,
        progress: st.vis.progress(q, s),
    }
}

fn cat_pos(c: Category) -> usize {
    Category::ALL.iter().position(|x| *x == c).unwrap_or(0)
}

/// Evidence to collect over the observation window, per in-scope entity (and the engagement),
/// from the evidence kinds cited by the rules that fired for it.
fn evidence_plan(
    cx: &Ctx,
    st: &Stage,
    verdict: Verdict,
    categories: &[Category],
) -> Vec<EvidencePlanEntry> {
    if verdict == Verdict::None {
        return Vec::new();
    }
    let q = cx.q;
    let s = cx.s;
    let owner = |scope: Scope, answers: &crate::session::Answers| -> Option<String> {
        let oq = q.owner_question(scope)?;
        match &answers.get(&oq.id)?.value {
            crate::session::Value::Text(t) if !t.trim().is_empty() => Some(t.clone()),
            _ => None,
        }
    };
    // A task supports the control objectives of the rule that asked for it; a rule listing as
    // many evidence kinds as objectives pairs them in order (the i-th kind, the i-th objective).
    let tasks = |evals: &[Eval]| -> Vec<EvidenceTask> {
        let mut out: Vec<EvidenceTask> = Vec::new();
        for e in evals.iter().filter(|e| e.result == Tri::True) {
            let f = &e.rule.findings;
            let paired = f.evidence.len() > 1 && f.evidence.len() == f.control_objectives.len();
            for (n, id) in f.evidence.iter().enumerate() {
                let Some(kind) = q.evidence_kind(id) else {
                    continue;
                };
                if out.iter().any(|t| &t.id == id) {
                    continue;
                }
                // Criteria of a category the report does not include are not tested; a task
                // that serves only such criteria is not part of the plan.
                let references: Vec<String> = kind
                    .references
                    .iter()
                    .filter(|r| {
                        tsc::category(r)
                            .is_none_or(|c| c == Category::Security || categories.contains(&c))
                    })
                    .cloned()
                    .collect();
                if references.is_empty() && !kind.references.is_empty() {
                    continue;
                }
                out.push(EvidenceTask {
                    id: kind.id.clone(),
                    title: kind.title.clone(),
                    cadence: kind.cadence.clone(),
                    references,
                    control_objectives: if paired {
                        vec![f.control_objectives[n].clone()]
                    } else {
                        f.control_objectives.clone()
                    },
                    rule: e.rule.id.clone(),
                });
            }
        }
        out
    };
    let mut plan = Vec::new();
    let eng_tasks = tasks(&st.engagement);
    if !eng_tasks.is_empty() {
        plan.push(EvidencePlanEntry {
            subject: cx.entity_ref(EntityKey::Engagement),
            owner: None,
            tasks: eng_tasks,
        });
    }
    for (i, (evals, sum)) in st.systems.iter().zip(&st.sys_sum).enumerate() {
        if sum.in_scope() == Tri::True || sum.subservice.is_some() {
            let t = tasks(evals);
            if !t.is_empty() {
                plan.push(EvidencePlanEntry {
                    subject: cx.entity_ref(EntityKey::System(i)),
                    owner: owner(Scope::System, &s.systems[i].answers),
                    tasks: t,
                });
            }
        }
    }
    for (i, (evals, sum)) in st.identities.iter().zip(&st.id_sum).enumerate() {
        if sum.in_scope() != Tri::True {
            continue;
        }
        let t = tasks(evals);
        if !t.is_empty() {
            plan.push(EvidencePlanEntry {
                subject: cx.entity_ref(EntityKey::Identity(i)),
                owner: owner(Scope::Identity, &s.identities[i].answers),
                tasks: t,
            });
        }
    }
    plan
}

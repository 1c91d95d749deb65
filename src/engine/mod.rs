//! The recommendation engine: questionnaire + session -> recommendation, pure and deterministic.
//!
//! Rules are evaluated per entity in three-valued logic (see docs/questionnaire-format.md):
//! systems first, then identities (which may look at the systems they can access), then the
//! engagement. Each decision keeps the rules that fired with the answers that triggered them,
//! and the open questions that could still change it.

mod model;
mod visibility;

use std::collections::BTreeSet;

pub use model::*;
pub use visibility::{EntityEnv, Visibility, entity_key, visibility};

use crate::questionnaire::condition::{EntityKey, Subject, Trace, Tri};
use crate::questionnaire::{
    Category, Findings, Questionnaire, ReportType, Rule, Scope, SubserviceMethod,
};
use crate::session::{EntityId, Session};

/// One rule's result for one entity; only true and open results are kept.
struct Eval<'a> {
    rule: &'a Rule,
    result: Tri,
    trace: Trace,
}

/// Kleene "or" over the evaluations whose findings match `pred`.
fn fold<'e, 'a>(
    evals: impl IntoIterator<Item = &'e Eval<'a>>,
    pred: impl Fn(&Findings) -> bool,
) -> (Tri, Vec<&'e Eval<'a>>)
where
    'a: 'e,
{
    let mut fired = Vec::new();
    let mut open = Vec::new();
    for e in evals.into_iter().filter(|e| pred(&e.rule.findings)) {
        match e.result {
            Tri::True => fired.push(e),
            Tri::Open => open.push(e),
            Tri::False => {}
        }
    }
    if !fired.is_empty() {
        (Tri::True, fired)
    } else if !open.is_empty() {
        (Tri::Open, open)
    } else {
        (Tri::False, Vec::new())
    }
}

fn tri_or(a: Tri, b: Tri) -> Tri {
    match (a, b) {
        (Tri::True, _) | (_, Tri::True) => Tri::True,
        (Tri::Open, _) | (_, Tri::Open) => Tri::Open,
        _ => Tri::False,
    }
}

fn verdict_of(soc1: Tri, soc2: Tri) -> Verdict {
    match (soc1, soc2) {
        (Tri::True, Tri::True) => Verdict::Both,
        (Tri::True, _) => Verdict::Soc1,
        (_, Tri::True) => Verdict::Soc2,
        (Tri::False, Tri::False) => Verdict::None,
        _ => Verdict::Undetermined,
    }
}

struct Ctx<'a> {
    q: &'a Questionnaire,
    s: &'a Session,
    vis: Visibility,
}

impl Ctx<'_> {
    fn entity_id(&self, key: EntityKey) -> EntityId {
        match key {
            EntityKey::Engagement => EntityId::Engagement,
            EntityKey::System(i) => EntityId::System(self.s.systems[i].id.clone()),
            EntityKey::Identity(i) => EntityId::Identity(self.s.identities[i].id.clone()),
        }
    }

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

    fn trigger(&self, (key, qi): Subject) -> Trigger {
        let question = &self.q.questions[qi];
        let answer = self
            .s
            .answers(&self.entity_id(key))
            .and_then(|a| a.get(&question.id));
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
        let mut seen = BTreeSet::new();
        let rationale: Vec<Firing> = fired
            .into_iter()
            .filter(|e| e.result == Tri::True)
            .filter(|e| seen.insert(std::ptr::from_ref::<Eval>(e) as usize))
            .map(|e| self.firing(e))
            .collect();
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

fn eval_rules<'a>(q: &'a Questionnaire, scope: Scope, env: &EntityEnv) -> Vec<Eval<'a>> {
    q.rules_in(scope)
        .filter_map(|rule| {
            let mut trace = Trace::default();
            let result = rule.when.eval(env, &mut trace);
            (result != Tri::False).then_some(Eval {
                rule,
                result,
                trace,
            })
        })
        .collect()
}

/// Computes the recommendation for a session.
pub fn recommend(q: &Questionnaire, s: &Session) -> Recommendation {
    let cx = Ctx {
        q,
        s,
        vis: visibility(q, s),
    };

    // Systems.
    let system_evals: Vec<Vec<Eval>> = (0..s.systems.len())
        .map(|i| {
            eval_rules(
                q,
                Scope::System,
                &cx.vis.env(q, s, EntityKey::System(i), &[]),
            )
        })
        .collect();
    let mut system_in_scope = Vec::with_capacity(s.systems.len());
    let mut systems = Vec::with_capacity(s.systems.len());
    let mut decisions = Vec::new();
    let mut subservices = Vec::new();
    for (i, evals) in system_evals.iter().enumerate() {
        let (soc1, soc1_evals) = fold(evals, |f| f.soc1 == Some(true));
        let (soc2, soc2_evals) = fold(evals, Findings::soc2_positive);
        let (sub, sub_evals) = fold(evals, |f| f.subservice.is_some());
        let method = if sub == Tri::True {
            let methods: Vec<SubserviceMethod> = sub_evals
                .iter()
                .filter_map(|e| e.rule.findings.subservice)
                .collect();
            Some(if methods.contains(&SubserviceMethod::Inclusive) {
                SubserviceMethod::Inclusive
            } else {
                SubserviceMethod::CarveOut
            })
        } else {
            None
        };
        let carved_out = method == Some(SubserviceMethod::CarveOut);
        let (soc1, soc2) = if carved_out {
            (Tri::False, Tri::False)
        } else {
            (soc1, soc2)
        };
        let verdict = verdict_of(soc1, soc2);
        system_in_scope.push(tri_or(soc1, soc2));
        let entity = cx.entity_ref(EntityKey::System(i));
        let negatives = evals
            .iter()
            .filter(|e| e.rule.findings.soc1 == Some(false) || e.rule.findings.soc2 == Some(false));
        let decision = if carved_out {
            cx.decision(
                format!("system.{}", entity.id),
                format!("System: {}", entity.name),
                "Subservice organisation (carve-out): outside the system boundary, disclosed"
                    .to_string(),
                sub_evals.iter().copied(),
                [],
                vec![],
            )
        } else {
            let fired: Vec<&Eval> = match verdict {
                Verdict::None => negatives.collect(),
                _ => soc1_evals.iter().chain(&soc2_evals).copied().collect(),
            };
            let open: Vec<&Eval> = evals
                .iter()
                .filter(|e| e.result == Tri::Open)
                .filter(|e| {
                    (soc1 != Tri::True && e.rule.findings.soc1 == Some(true))
                        || (soc2 != Tri::True && e.rule.findings.soc2_positive())
                })
                .collect();
            cx.decision(
                format!("system.{}", entity.id),
                format!("System: {}", entity.name),
                verdict.label().to_string(),
                fired,
                open,
                vec![],
            )
        };
        let mut categories: Vec<Category> = evals
            .iter()
            .filter(|e| e.result == Tri::True && !carved_out)
            .flat_map(|e| e.rule.findings.categories.iter().copied())
            .collect();
        if soc2 == Tri::True && !categories.contains(&Category::Security) {
            categories.push(Category::Security);
        }
        categories.sort();
        categories.dedup();
        if let Some(method) = method {
            let true_evals = || evals.iter().filter(|e| e.result == Tri::True);
            subservices.push(Subservice {
                system: entity.clone(),
                method,
                csocs: dedup(true_evals().flat_map(|e| e.rule.findings.csocs.iter().cloned())),
                evidence: dedup(
                    true_evals().flat_map(|e| e.rule.findings.evidence.iter().cloned()),
                ),
            });
            if !carved_out {
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
            subservice: method,
            decision,
        });
    }

    // Identities, which may look at the systems they can access.
    let identity_evals: Vec<Vec<Eval>> = (0..s.identities.len())
        .map(|i| {
            eval_rules(
                q,
                Scope::Identity,
                &cx.vis.env(q, s, EntityKey::Identity(i), &system_in_scope),
            )
        })
        .collect();
    let mut identities = Vec::with_capacity(s.identities.len());
    for (i, evals) in identity_evals.iter().enumerate() {
        let (soc1, soc1_evals) = fold(evals, |f| f.soc1 == Some(true));
        let (soc2, soc2_evals) = fold(evals, Findings::soc2_positive);
        let entity = cx.entity_ref(EntityKey::Identity(i));
        let gaps: Vec<Gap> = evals
            .iter()
            .filter(|e| e.result == Tri::True)
            .filter_map(|e| {
                let f = &e.rule.findings;
                f.gap.as_ref().map(|text| Gap {
                    id: f.gap_id.clone().unwrap_or_else(|| e.rule.id.clone()),
                    text: text.clone(),
                    rule: e.rule.id.clone(),
                    evidence: f.evidence.clone(),
                })
            })
            .collect();
        let verdict = verdict_of(soc1, soc2);
        let negatives: Vec<&Eval> = evals
            .iter()
            .filter(|e| e.rule.findings.soc1 == Some(false) || e.rule.findings.soc2 == Some(false))
            .collect();
        let fired: Vec<&Eval> = if verdict == Verdict::None {
            negatives
        } else {
            soc1_evals.iter().chain(&soc2_evals).copied().collect()
        };
        let open: Vec<&Eval> = evals
            .iter()
            .filter(|e| e.result == Tri::Open)
            .filter(|e| {
                (soc1 != Tri::True && e.rule.findings.soc1 == Some(true))
                    || (soc2 != Tri::True && e.rule.findings.soc2_positive())
                    || e.rule.findings.gap.is_some()
            })
            .collect();
        let systems_linked = s.identities[i]
            .systems
            .iter()
            .filter_map(|id| s.system(id).map(|x| x.name.clone()))
            .collect();
        identities.push(IdentityResult {
            id: entity.id.clone(),
            name: entity.name.clone(),
            kind: q.identity_kind_question().and_then(|kq| {
                s.identities[i]
                    .answers
                    .get(&kq.id)
                    .map(|a| a.value.display(kq))
            }),
            systems: systems_linked,
            soc1: soc1 == Tri::True,
            soc2: soc2 == Tri::True,
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

    // The engagement and the report as a whole.
    let eng_evals = eval_rules(
        q,
        Scope::Engagement,
        &cx.vis.env(q, s, EntityKey::Engagement, &[]),
    );
    // Everything that counts towards the report: the engagement and in-scope entities.
    let counted: Vec<&Eval> = eng_evals
        .iter()
        .chain(
            system_evals
                .iter()
                .zip(&systems)
                .filter(|(_, r)| r.subservice != Some(SubserviceMethod::CarveOut))
                .flat_map(|(e, _)| e.iter()),
        )
        .chain(identity_evals.iter().flatten())
        .collect();
    let (mut soc1, soc1_evals) = fold(counted.iter().copied(), |f| f.soc1 == Some(true));
    let (mut soc2, soc2_evals) = fold(counted.iter().copied(), Findings::soc2_positive);
    let mut inventory_open = Vec::new();
    if s.systems.is_empty() {
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
        // With no systems nothing is settled negatively: a false becomes open.
        soc1 = tri_or(soc1, Tri::Open);
        soc2 = tri_or(soc2, Tri::Open);
    }
    let verdict = verdict_of(soc1, soc2);
    let fired: Vec<&Eval> = match verdict {
        Verdict::None => counted
            .iter()
            .copied()
            .filter(|e| e.rule.findings.soc1 == Some(false) || e.rule.findings.soc2 == Some(false))
            .collect(),
        _ => soc1_evals
            .iter()
            .chain(&soc2_evals)
            .copied()
            .filter(|e| e.result == Tri::True)
            .collect(),
    };
    let open_for_verdict: Vec<&Eval> = counted
        .iter()
        .copied()
        .filter(|e| e.result == Tri::Open)
        .filter(|e| {
            (soc1 != Tri::True && e.rule.findings.soc1 == Some(true))
                || (soc2 != Tri::True && e.rule.findings.soc2_positive())
        })
        .collect();
    let sox_notes: Vec<&Eval> = counted
        .iter()
        .copied()
        .filter(|e| e.result == Tri::True && e.rule.findings.sox_note.is_some())
        .collect();
    decisions.insert(
        0,
        cx.decision(
            "verdict".into(),
            "Which report".into(),
            verdict.label().into(),
            fired,
            open_for_verdict,
            inventory_open,
        ),
    );

    // SOC 2 categories.
    let mut soc2_categories = Vec::new();
    let mut category_decisions = Vec::new();
    if soc2 != Tri::False {
        for cat in Category::ALL {
            let (state, evals) = if cat == Category::Security {
                (soc2, soc2_evals.clone())
            } else {
                fold(counted.iter().copied(), |f| f.categories.contains(&cat))
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
            let outcome = match state {
                Tri::True if soc2 == Tri::True => "Included",
                Tri::True | Tri::Open => "Possible: open questions decide",
                Tri::False => "Not included",
            };
            if state == Tri::False && excluded.is_empty() {
                continue;
            }
            let (fired, open): (Vec<&Eval>, Vec<&Eval>) = match state {
                Tri::True => (evals, vec![]),
                Tri::Open => (excluded, evals),
                Tri::False => (excluded, vec![]),
            };
            category_decisions.push(cx.decision(
                format!("soc2.{}", cat.id()),
                format!("SOC 2 category: {}", cat.label()),
                outcome.into(),
                fired,
                open,
                vec![],
            ));
        }
    }
    decisions.extend(category_decisions);

    // Type 1 or Type 2: any settled Type 1 signal wins (controls too new to observe a period).
    let (t1, t1_evals) = fold(&eng_evals, |f| f.report_type == Some(ReportType::Type1));
    let (t2, t2_evals) = fold(&eng_evals, |f| f.report_type == Some(ReportType::Type2));
    let (report_type, type_fired, type_open) = match (t1, t2) {
        (Tri::True, _) => (Some(ReportType::Type1), t1_evals, vec![]),
        (_, Tri::True) => (
            Some(ReportType::Type2),
            t2_evals,
            if t1 == Tri::Open { t1_evals } else { vec![] },
        ),
        _ => (None, vec![], t1_evals.into_iter().chain(t2_evals).collect()),
    };
    let observation_window = type_fired
        .iter()
        .find_map(|e| e.rule.findings.observation_window.clone());
    let (report_type, observation_window) = if verdict == Verdict::None {
        (None, None)
    } else {
        (report_type, observation_window)
    };
    if verdict != Verdict::None {
        decisions.push(cx.decision(
            "type".into(),
            "Type 1 or Type 2".into(),
            match (report_type, &observation_window) {
                (Some(t), Some(w)) => format!("{}: {w}", t.label()),
                (Some(t), None) => t.label().to_string(),
                (None, _) => "Undetermined".to_string(),
            },
            type_fired,
            type_open,
            vec![],
        ));
    }

    let sox_note = dedup(
        sox_notes
            .iter()
            .filter_map(|e| e.rule.findings.sox_note.clone()),
    )
    .into_iter()
    .next();

    // Candidate SOC 1 control objectives and evidence, from every rule that fired in scope.
    let fired_in_scope = || counted.iter().copied().filter(|e| e.result == Tri::True);
    let control_objectives =
        dedup(fired_in_scope().flat_map(|e| e.rule.findings.control_objectives.iter().cloned()));
    let evidence = dedup(fired_in_scope().flat_map(|e| e.rule.findings.evidence.iter().cloned()));

    // Every open question behind any decision, once.
    let mut open_questions: Vec<OpenQuestion> = Vec::new();
    for d in decisions
        .iter()
        .chain(systems.iter().map(|s| &s.decision))
        .chain(identities.iter().map(|i| &i.decision))
    {
        for o in &d.open_questions {
            if !open_questions.contains(o) {
                open_questions.push(o.clone());
            }
        }
    }
    let provisional = decisions.iter().any(|d| d.provisional);
    let progress = cx.vis.progress(q, s);

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
        evidence,
        decisions,
        open_questions,
        progress,
    }
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

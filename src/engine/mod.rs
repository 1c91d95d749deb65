//! The recommendation engine: questionnaire + session -> recommendation, pure and deterministic.
//!
//! The pipeline (docs/architecture.md): visibility (which questions each entity is asked) ->
//! every rule's result for every entity in three-valued logic (`stage::Evaluation`: systems,
//! then identities, which may look at the systems they reach, then the engagement) -> one
//! summary per entity -> report totals -> decisions. `Stage` adds the traced pass (which answers
//! decided each rule) for the rationale; the report rules then run once over the totals for
//! findings and notes, conflicts keep the decisions they touch provisional, and each report
//! called for gets its Type and dated plan. `sensitivity` tries single answer changes against
//! the kept evaluation (the what-if overlay) to say what would flip a decision.

mod conflicts;
mod level;
mod model;
mod plan;
mod sensitivity;
mod stage;
mod visibility;

use std::collections::{BTreeSet, HashMap, HashSet};

pub use model::*;
pub use sensitivity::{
    sensitivities, sensitivities_for, sensitivities_in, sensitivity, sensitivity_in, sensitivity_of,
};
pub use stage::Evaluation;
pub(crate) use visibility::identities_asked_by_their_own_answers;
pub use visibility::{EntityEnv, Visibility, entity_key, visibility};

use crate::questionnaire::condition::{
    Condition, EntityKey, Env, Lookup, Subject, Total, Trace, Tri,
};
use crate::questionnaire::{Category, Findings, Questionnaire, Report, ReportType, Scope, tsc};
use crate::session::{EntityId, Session};
use stage::{Eval, Rules, Stage, Summary, Tally, Totals, Traces, fold};

/// Work counted, not timed: the engine's inner loops add what they go through (rules
/// evaluated, questions' visibility worked out, summaries folded, rule results read, question
/// sequence entries made), so a test can assert that an answer's work does not grow with the
/// inventory (tests/incremental.rs). Per thread, so parallel tests do not mix.
#[doc(hidden)]
pub mod steps {
    use std::cell::Cell;

    thread_local! {
        static STEPS: Cell<u64> = const { Cell::new(0) };
        static REPORT: Cell<u64> = const { Cell::new(0) };
    }

    pub(crate) fn add(n: usize) {
        STEPS.with(|c| c.set(c.get().saturating_add(n as u64)));
    }

    /// The steps counted on this thread since the last call.
    pub fn take() -> u64 {
        STEPS.with(|c| c.replace(0))
    }

    /// Report-level work (counted in `take` too): per-rule list entries read or edited,
    /// reasons and open questions made or patched.
    pub(crate) fn add_report(n: usize) {
        add(n);
        REPORT.with(|c| c.set(c.get().saturating_add(n as u64)));
    }

    /// The report-level steps counted on this thread since the last call.
    pub fn take_report() -> u64 {
        REPORT.with(|c| c.replace(0))
    }
}

struct Ctx<'a> {
    q: &'a Questionnaire,
    s: &'a Session,
    t: &'a Shared,
}

/// The texts decisions repeat, made once per recommendation (kept with it by the app) and
/// shared (see [`Text`]).
pub(crate) struct Shared {
    /// Per question: its id and text.
    questions: Vec<(Text, Text)>,
    /// Per system and identity: its id and name.
    systems: Vec<(Text, Text)>,
    identities: Vec<(Text, Text)>,
    engagement: Text,
    /// By rule index.
    rules: Vec<RuleTexts>,
    kinds: HashMap<String, KindTexts>,
}

/// An evidence kind's id, title, cadence and criteria.
struct KindTexts {
    id: Text,
    title: Text,
    cadence: Text,
    references: Vec<Text>,
}

#[derive(Clone)]
struct RuleTexts {
    id: Text,
    rationale: Text,
    references: Vec<Text>,
    objectives: Vec<Text>,
    /// Its gap: id, confirmed text and unverified text.
    gap: Option<(Text, Text, Text)>,
}

impl Shared {
    fn new(q: &Questionnaire, s: &Session) -> Shared {
        let pair = |a: &String, b: &String| (Text::from(a), Text::from(b));
        Shared {
            questions: q.questions.iter().map(|x| pair(&x.id, &x.text)).collect(),
            systems: s.systems.iter().map(|x| pair(&x.id, &x.name)).collect(),
            identities: s.identities.iter().map(|x| pair(&x.id, &x.name)).collect(),
            engagement: Text::from("Engagement"),
            rules: q.rules.iter().map(RuleTexts::new).collect(),
            kinds: q
                .evidence_kinds
                .iter()
                .map(|k| {
                    let texts = KindTexts {
                        id: (&k.id).into(),
                        title: (&k.title).into(),
                        cadence: (&k.cadence).into(),
                        references: k.references.iter().map(Text::from).collect(),
                    };
                    (k.id.clone(), texts)
                })
                .collect(),
        }
    }
}

impl RuleTexts {
    fn new(r: &crate::questionnaire::Rule) -> RuleTexts {
        let f = &r.findings;
        RuleTexts {
            id: (&r.id).into(),
            rationale: (&r.rationale).into(),
            references: r.references.iter().map(Text::from).collect(),
            objectives: f.control_objectives.iter().map(Text::from).collect(),
            gap: f.gap.as_ref().map(|text| {
                let unverified = f
                    .unverified
                    .clone()
                    .unwrap_or_else(|| format!("Not confirmed: {}", lower_first(text)));
                let id = f.gap_id.as_ref().unwrap_or(&r.id);
                (id.into(), text.into(), unverified.into())
            }),
        }
    }
}

impl Ctx<'_> {
    fn entity_ref(&self, key: EntityKey) -> EntityRef {
        let ((id, name), kind) = match key {
            EntityKey::Engagement => (
                &(Text::default(), self.t.engagement.clone()),
                Scope::Engagement,
            ),
            EntityKey::System(i) => (&self.t.systems[i], Scope::System),
            EntityKey::Identity(i) => (&self.t.identities[i], Scope::Identity),
        };
        EntityRef {
            kind,
            id: id.clone(),
            name: name.clone(),
        }
    }

    /// A rule's shared texts, by its index.
    fn rule(&self, n: u32) -> &RuleTexts {
        &self.t.rules[n as usize]
    }

    fn kind(&self, id: &str) -> Option<&KindTexts> {
        self.t.kinds.get(id)
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
        let (id, text) = &self.t.questions[qi];
        Trigger {
            entity: self.entity_ref(key),
            question: id.clone(),
            question_text: text.clone(),
            answer: answer.map_or_else(String::new, |a| a.value.display(question)),
            source: answer.and_then(|a| a.source.clone()),
        }
    }

    fn open_question(&self, (key, qi): Subject) -> OpenQuestion {
        let (id, text) = &self.t.questions[qi];
        OpenQuestion {
            entity: self.entity_ref(key),
            question: id.clone(),
            question_text: text.clone(),
        }
    }

    fn triggers(&self, trace: &Trace) -> Vec<Trigger> {
        let mut seen = BTreeSet::new();
        trace
            .triggers
            .iter()
            .filter(|s| seen.insert(**s))
            .map(|s| self.trigger(*s))
            .collect()
    }

    fn firing(&self, e: &Eval) -> Firing {
        let mut via = e.trace.via_systems.clone();
        via.sort_unstable();
        via.dedup();
        let texts = self.rule(e.rule);
        Firing {
            rule: texts.id.clone(),
            rationale: texts.rationale.clone(),
            references: texts.references.clone(),
            triggers: self.triggers(&e.trace),
            subject: (e.key != EntityKey::Engagement).then(|| self.entity_ref(e.key)),
            via_systems: via
                .iter()
                .map(|&i| self.entity_ref(EntityKey::System(i)))
                .collect(),
            also: Vec::new(),
        }
    }

    /// The open questions behind the open rules, the most deciding first: a question that more
    /// open rules wait for comes before one fewer do; then the engagement before systems and
    /// identities, in inventory and questionnaire order.
    fn opens<'e>(&self, evals: impl IntoIterator<Item = &'e Eval>) -> Vec<OpenQuestion> {
        let mut weight: HashMap<Subject, usize> = HashMap::new();
        for e in evals.into_iter().filter(|e| e.result == Tri::Open) {
            let own: BTreeSet<Subject> = e.trace.open.iter().copied().collect();
            for s in own {
                *weight.entry(s).or_default() += 1;
            }
        }
        let mut subjects: Vec<(Subject, usize)> = weight.into_iter().collect();
        subjects.sort_by(|(a, wa), (b, wb)| wb.cmp(wa).then(a.cmp(b)));
        subjects
            .into_iter()
            .map(|(s, _)| self.open_question(s))
            .collect()
    }

    /// The same rule firing for several entities is one reason: shown once, with the
    /// triggering answers of the first entity and the others named in `also`.
    fn reasons<'e>(&self, fired: impl IntoIterator<Item = &'e Eval>) -> Vec<Firing> {
        let mut rationale: Vec<Firing> = Vec::new();
        let mut firing_keys: Vec<EntityKey> = Vec::new();
        // The entities already named for each reason: a set, as a report-level reason can be
        // shared by every entity of the inventory.
        let mut named: Vec<HashSet<EntityKey>> = Vec::new();
        let mut index: HashMap<u32, usize> = HashMap::new();
        for e in fired.into_iter().filter(|e| e.result == Tri::True) {
            match index.get(&e.rule) {
                None => {
                    index.insert(e.rule, rationale.len());
                    rationale.push(self.firing(e));
                    firing_keys.push(e.key);
                    named.push(HashSet::from([e.key]));
                }
                Some(&i) if firing_keys[i] != e.key => {
                    if named[i].insert(e.key) {
                        rationale[i].also.push(self.entity_ref(e.key));
                    }
                }
                Some(_) => {}
            }
        }
        rationale
    }

    /// A decision from the rules that fired for it (`fired`), the "no"s it rests on
    /// (`excluded`: what, and the rules that ruled it out) and the rules that could still
    /// change it (`open`).
    #[allow(clippy::too_many_arguments)]
    fn decision<'e>(
        &self,
        id: DecisionId,
        subject: Option<EntityRef>,
        outcome: Outcome,
        fired: impl IntoIterator<Item = &'e Eval>,
        excluded: Vec<(String, Vec<&'e Eval>)>,
        open: impl IntoIterator<Item = &'e Eval>,
        extra_open: Vec<OpenQuestion>,
    ) -> Decision {
        // `opens` gives each question once (one per entity and question); only the extra ones
        // can repeat them. A set, not `contains`: the verdict's open questions are every
        // entity's. Without extra ones no question is hashed (at 10,000 identities the
        // report-level decisions have thousands).
        let mut open_questions = extra_open;
        if open_questions.is_empty() {
            open_questions = self.opens(open);
        } else {
            let mut seen: HashSet<OpenQuestion> = open_questions.iter().cloned().collect();
            for o in self.opens(open) {
                if seen.insert(o.clone()) {
                    open_questions.push(o);
                }
            }
        }
        let exclusions = excluded
            .into_iter()
            .filter(|(_, evals)| !evals.is_empty())
            .map(|(what, evals)| Exclusion {
                what,
                because: self.reasons(evals),
            })
            .filter(|x| !x.because.is_empty())
            .collect();
        Decision {
            id,
            subject,
            outcome,
            provisional: !open_questions.is_empty(),
            rationale: self.reasons(fired),
            exclusions,
            open_questions,
            conflicts: Vec::new(),
        }
    }
}

/// The rules that settled "no" for SOC 1 (`soc1 = false`) or SOC 2 (`soc2 = false`).
fn negatives<'e>(
    q: &Questionnaire,
    evals: impl IntoIterator<Item = &'e Eval>,
    report: Report,
) -> Vec<&'e Eval> {
    evals
        .into_iter()
        .filter(|e| e.result == Tri::True)
        .filter(|e| match report {
            Report::Soc1 => e.rule(q).findings.soc1 == Some(false),
            Report::Soc2 => e.rule(q).findings.soc2 == Some(false),
        })
        .collect()
}

/// The "no"s of a scope decision: SOC 1 when it is settled not relevant, SOC 2 when it is
/// settled not called for.
fn exclusions_for<'e>(
    q: &Questionnaire,
    evals: &[&'e Eval],
    soc1: Tri,
    soc2: Tri,
) -> Vec<(String, Vec<&'e Eval>)> {
    let mut out = Vec::new();
    if soc1 == Tri::False {
        out.push((
            Report::Soc1.id().to_string(),
            negatives(q, evals.iter().copied(), Report::Soc1),
        ));
    }
    if soc2 == Tri::False {
        out.push((
            Report::Soc2.id().to_string(),
            negatives(q, evals.iter().copied(), Report::Soc2),
        ));
    }
    out
}

/// The open rules that could still change a scope decision given its settled parts.
fn open_for_scope<'e>(
    q: &Questionnaire,
    evals: impl IntoIterator<Item = &'e Eval>,
    soc1: Tri,
    soc2: Tri,
) -> Vec<&'e Eval> {
    evals
        .into_iter()
        .filter(|e| e.result == Tri::Open)
        .filter(|e| {
            (soc1 != Tri::True && e.rule(q).findings.soc1 == Some(true))
                || (soc2 != Tri::True && e.rule(q).findings.soc2_positive())
        })
        .collect()
}

fn dedup(items: impl Iterator<Item = String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    for i in items {
        if seen.insert(i.clone()) {
            out.push(i);
        }
    }
    out
}

/// The outcome of a system's decision.
pub(crate) fn system_outcome(sum: &Summary) -> Outcome {
    if sum.carved_out() {
        Outcome::CarvedOut
    } else {
        Outcome::System(sum.verdict())
    }
}

/// Where a category stands, from the totals.
pub(crate) fn category_state(t: &Totals, c: Category) -> CategoryState {
    match (c, t.category(c), t.soc2) {
        (Category::Security, Tri::True, _) => CategoryState::Included,
        (Category::Security, Tri::Open, _) => CategoryState::AlwaysIncluded,
        (_, Tri::True, Tri::True) => CategoryState::Included,
        (_, Tri::True | Tri::Open, _) => CategoryState::Possible,
        (_, Tri::False, _) => CategoryState::NotIncluded,
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

/// The recommendation after answers of one entity changed, updating `kept` (the evaluation
/// of the session before the change): only what those answers reach is evaluated again
/// (`Evaluation::apply`). An evaluation of another inventory (a system added, a link
/// toggled) is made again in full.
pub fn recommend_after_answer(
    q: &Questionnaire,
    s: &Session,
    kept: &mut Evaluation,
    changed: &EntityId,
) -> Recommendation {
    let mut ev = Evaluation::take(kept);
    match entity_key(s, changed) {
        Some(key) if ev.fits(s) => {
            ev.apply(q, s, key);
        }
        _ => ev = Evaluation::new(q, s),
    }
    let st = Stage::trace(q, s, ev);
    let mut r = build(q, s, &st);
    conflicts::mark(q, s, &mut r);
    *kept = st.ev;
    r
}

/// The kept evaluation brought up to date after answers of one entity changed in `s`: only
/// what those answers reach is evaluated again (`Evaluation::apply`); an evaluation of another
/// inventory (a system added, a link toggled) is made again in full. Nothing is traced: the
/// questions screen needs only the [`Panel`], and the full recommendation is built from the
/// evaluation when a screen asks for it ([`recommend_from`]).
///
/// Returns whether which questions are asked may have changed (the evaluated entities'
/// visibility, or everything when evaluated in full).
pub fn apply_answer(
    q: &Questionnaire,
    s: &Session,
    kept: &mut Evaluation,
    changed: &EntityId,
) -> bool {
    apply_answer_keys(q, s, kept, changed).0
}

/// [`apply_answer`], also saying which entities were evaluated again (`None`: all of them).
pub(crate) fn apply_answer_keys(
    q: &Questionnaire,
    s: &Session,
    kept: &mut Evaluation,
    changed: &EntityId,
) -> (bool, Option<Vec<EntityKey>>) {
    match entity_key(s, changed) {
        Some(key) if kept.fits(s) && key != EntityKey::Engagement => {
            let asked = kept.apply(q, s, key);
            let rerun = match key {
                EntityKey::System(j) => std::iter::once(key)
                    .chain(
                        kept.linked_identities[j]
                            .iter()
                            .map(|&i| EntityKey::Identity(i)),
                    )
                    .collect(),
                _ => vec![key],
            };
            (asked, Some(rerun))
        }
        _ => {
            *kept = Evaluation::new(q, s);
            (true, None)
        }
    }
}

/// One entity's part of the progress (`Recommendation::progress` is the sum over entities).
pub(crate) fn progress_of(
    q: &Questionnaire,
    s: &Session,
    ev: &Evaluation,
    key: EntityKey,
) -> Progress {
    ev.vis.progress_of(q, s, key)
}

/// [`panel`] from the kept per-entity parts, with the progress already counted.
pub(crate) fn panel_counted(
    q: &Questionnaire,
    s: &Session,
    ev: &Evaluation,
    kept: &PanelState,
    progress: Progress,
) -> Panel {
    Panel {
        progress,
        ..panel_parts(q, s, ev, kept)
    }
}

/// The recommendation for `s` from its evaluation `ev` (kept by the caller): what
/// [`recommend`] gives, without evaluating the rules again.
pub fn recommend_from(q: &Questionnaire, s: &Session, ev: &Evaluation) -> Recommendation {
    let st = Stage::trace(q, s, ev.clone());
    let mut r = build(q, s, &st);
    conflicts::mark(q, s, &mut r);
    r
}

/// What the app keeps beside its last full recommendation to patch it after answers: every
/// entity's traces, the shared texts, the subservice parts, which entity decisions a conflict
/// marked, and the entities re-run since (`touch`).
pub(crate) struct Kept {
    tr: Traces,
    texts: Shared,
    subs: Vec<Option<SubPart>>,
    marked: Vec<EntityKey>,
    /// The entity of each entry of the recommendation's evidence plan.
    plan_keys: Vec<EntityKey>,
    /// Per rule, the counted entities it fired or is open for, and the report-level
    /// decisions' kept parts: patched, not made again from every entity's traces.
    level: Level,
    touched: Vec<EntityKey>,
}

/// The report level kept between patches (`level`).
struct Level {
    ix: level::Index,
    /// Beside each report-level decision of the recommendation, in order.
    made: Vec<level::Made>,
}

impl Kept {
    /// Notes entities an answer re-ran (`apply_answer_keys`): made again at the next patch.
    pub(crate) fn touch(&mut self, keys: &[EntityKey]) {
        self.touched.extend_from_slice(keys);
    }
}

/// What [`recommend_from`] gives, patched when it can be: `old` is the recommendation last
/// made with `kept`, for the same inventory, and since then only the entities `kept` was told
/// of (`Kept::touch`) were evaluated again. They are traced and made again; the rest of the
/// systems' and identities' parts are reused, the report-level decisions are patched from the
/// per-rule lists (`level`), and the rest of the report level (conflicts, findings, notes, the
/// open questions of all decisions) is made again from every entity's kept traces (without
/// tracing them). Otherwise everything is made, and
/// `kept` set for the next patch. Merge conflicts are always made in full (`conflicts::mark`
/// evaluates the session a second time).
pub(crate) fn recommend_kept(
    q: &Questionnaire,
    s: &Session,
    ev: &Evaluation,
    kept: &mut Option<Kept>,
    old: Option<Recommendation>,
    panel: &PanelState,
    progress: Progress,
) -> Recommendation {
    // The report totals are kept as counts with the panel: no pass over every summary.
    let totals = panel.tally.totals(s.systems.is_empty());
    if !s.conflicts.is_empty() {
        *kept = None;
        drop(old);
        return recommend_from(q, s, ev);
    }
    if let (Some(k), Some(mut old)) = (kept.as_mut(), old)
        && k.tr.fits(s)
        && ev.fits(s)
        && old.systems.len() == s.systems.len()
    {
        k.touched.sort_unstable();
        k.touched.dedup();
        let olds = k.tr.retrace(q, s, ev, &k.touched);
        k.touched.clear();
        let retraced: Vec<EntityKey> = olds.iter().map(|(key, _)| *key).collect();
        let deltas = k.level.ix.update(ev, &k.tr, &olds, &retraced);
        drop(olds);
        let cx = Ctx { q, s, t: &k.texts };
        let mut systems = std::mem::take(&mut old.systems);
        let mut identities = std::mem::take(&mut old.identities);
        let old_plan = Some((
            old.verdict,
            std::mem::take(&mut old.soc2_categories),
            OldPlan {
                entries: std::mem::take(&mut old.evidence_plan),
                keys: std::mem::take(&mut k.plan_keys),
                again: &retraced,
            },
        ));
        // The report-level decisions are patched; the rest of the report level is made again
        // (the old one freed first).
        let old_decisions: Vec<Decision> = std::mem::take(&mut old.decisions)
            .into_iter()
            .filter(|d| d.id.is_report_level())
            .collect();
        drop(old);
        for key in std::mem::take(&mut k.marked) {
            match key {
                EntityKey::System(j) => unmark(&mut systems[j].decision),
                EntityKey::Identity(i) => unmark(&mut identities[i].decision),
                EntityKey::Engagement => {}
            }
        }
        for &key in &retraced {
            match key {
                EntityKey::System(j) => {
                    let (result, sub) = system_part(&cx, ev, &k.tr, j);
                    systems[j] = result;
                    k.subs[j] = sub;
                }
                EntityKey::Identity(i) => identities[i] = identity_part(&cx, ev, &k.tr, i),
                EntityKey::Engagement => {}
            }
        }
        let a = assemble(
            &cx,
            ev,
            &k.tr,
            systems,
            &k.subs,
            identities,
            totals,
            progress,
            old_plan,
            (&mut k.level, &deltas, old_decisions),
        );
        k.marked = a.marked;
        k.plan_keys = a.plan_keys;
        return a.rec;
    }
    let texts = Shared::new(q, s);
    let tr = Traces::of(q, s, ev);
    let cx = Ctx { q, s, t: &texts };
    let (systems, subs, identities) = parts(&cx, ev, &tr);
    let (a, level) = assemble_new(&cx, ev, &tr, systems, &subs, identities, totals, progress);
    *kept = Some(Kept {
        tr,
        texts,
        subs,
        marked: a.marked,
        plan_keys: a.plan_keys,
        level,
        touched: Vec::new(),
    });
    a.rec
}

/// An entity's decision as `Ctx::decision` made it, before a conflict marked it.
fn unmark(d: &mut Decision) {
    d.conflicts.clear();
    d.provisional = !d.open_questions.is_empty();
}

/// What the questions screen shows of the recommendation while the facilitator answers: the
/// parts that follow from the report totals and the rule results, without the rationale of
/// every decision (which costs the size of the inventory to build).
#[derive(Debug, Clone, PartialEq)]
pub struct Panel {
    pub verdict: Verdict,
    pub soc2_categories: Vec<Category>,
    pub plans: Vec<ReportPlan>,
    /// The text of each conflict (answers that cannot all be true), in the recommendation's
    /// order.
    pub conflicts: Vec<String>,
    pub progress: Progress,
}

impl Panel {
    /// The panel of a recommendation built in full.
    pub fn of(r: &Recommendation) -> Panel {
        Panel {
            verdict: r.verdict,
            soc2_categories: r.soc2_categories.clone(),
            plans: r.plans.clone(),
            conflicts: r.conflicts.iter().map(|c| c.text.clone()).collect(),
            progress: r.progress,
        }
    }
}

/// The panel of `s` from its evaluation: equal to `Panel::of(&recommend(q, s))`
/// (tests/incremental.rs), at the cost of folding the summaries and reading the rule results;
/// only the open Type and examination rules are traced, to know whether a Type waits for an
/// answer.
pub fn panel(q: &Questionnaire, s: &Session, ev: &Evaluation) -> Panel {
    let kept = PanelState::new(q, s, ev);
    Panel {
        progress: ev.vis.progress(q, s),
        ..panel_parts(q, s, ev, &kept)
    }
}

/// The Type rules whose result could still change a report's Type, for each Type the totals
/// may give (`type_slot`): an open rule asking for another Type (or for one while none is
/// settled), or an open first-examination rule.
fn could_change(f: &Findings, report: Report, report_type: Option<ReportType>) -> bool {
    f.about(report)
        && ((f.report_type.is_some() && (report_type.is_none() || f.report_type != report_type))
            || f.first_examination.is_some())
}

/// The Types `PanelState::waits` is kept for: none settled, Type 1, Type 2.
const TYPE_SLOTS: [Option<ReportType>; 3] =
    [None, Some(ReportType::Type1), Some(ReportType::Type2)];

fn type_slot(t: Option<ReportType>) -> usize {
    TYPE_SLOTS.iter().position(|x| *x == t).unwrap_or(0)
}

/// What one entity adds to the panel.
#[derive(Debug, Clone, PartialEq)]
struct SlotPart {
    sum: Summary,
    /// Per report, per `TYPE_SLOTS`: an open rule of this entity, counted in the report, could
    /// change the Type and waits for an answer (its trace names one).
    waits: [[bool; 3]; 2],
    /// The positions (in its scope's rules) of the rules that hold and state a conflict.
    conflicts: Vec<usize>,
}

/// What the panel needs from every entity, kept per entity with running counts, so that an
/// answer patches only the entities `Evaluation::apply` re-ran instead of reading every
/// entity's rule results again. Entities are numbered as `Workshop` numbers them: the
/// engagement, each system, each identity.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PanelState {
    slots: Vec<SlotPart>,
    tally: Tally,
    /// Per report, per `TYPE_SLOTS`: how many entities wait (`SlotPart::waits`).
    waits: [[u32; 3]; 2],
    /// The entities with a conflict, in order.
    conflicted: BTreeSet<usize>,
}

/// An entity's number in `PanelState` (and the app's progress parts).
pub(crate) fn slot_of(s: &Session, key: EntityKey) -> usize {
    match key {
        EntityKey::Engagement => 0,
        EntityKey::System(j) => 1 + j,
        EntityKey::Identity(i) => 1 + s.systems.len() + i,
    }
}

impl PanelState {
    pub(crate) fn new(q: &Questionnaire, s: &Session, ev: &Evaluation) -> PanelState {
        let rules = Rules::of(q);
        let mut st = PanelState {
            slots: Vec::with_capacity(1 + s.systems.len() + s.identities.len()),
            tally: Tally::default(),
            waits: [[0; 3]; 2],
            conflicted: BTreeSet::new(),
        };
        let keys = std::iter::once(EntityKey::Engagement)
            .chain((0..s.systems.len()).map(EntityKey::System))
            .chain((0..s.identities.len()).map(EntityKey::Identity));
        for key in keys {
            let part = slot_part(q, s, ev, &rules, key);
            let n = st.slots.len();
            st.count(n, &part, true);
            st.slots.push(part);
        }
        st
    }

    /// After `ev` re-ran the entities `keys` (`Evaluation::apply`).
    pub(crate) fn patch(
        &mut self,
        q: &Questionnaire,
        s: &Session,
        ev: &Evaluation,
        keys: &[EntityKey],
    ) {
        let rules = Rules::of(q);
        for &key in keys {
            let n = slot_of(s, key);
            if n >= self.slots.len() {
                continue;
            }
            let part = slot_part(q, s, ev, &rules, key);
            let old = std::mem::replace(&mut self.slots[n], part.clone());
            self.count(n, &old, false);
            self.count(n, &part, true);
        }
    }

    fn count(&mut self, n: usize, part: &SlotPart, add: bool) {
        if add {
            self.tally.add(&part.sum);
        } else {
            self.tally.remove(&part.sum);
        }
        for (w, flags) in self.waits.iter_mut().zip(part.waits) {
            for (c, f) in w.iter_mut().zip(flags) {
                if f {
                    *c = if add { *c + 1 } else { c.saturating_sub(1) };
                }
            }
        }
        if !part.conflicts.is_empty() {
            if add {
                self.conflicted.insert(n);
            } else {
                self.conflicted.remove(&n);
            }
        }
    }
}

/// One entity's part of the panel: its summary, its conflicts and whether it keeps a Type open.
fn slot_part(
    q: &Questionnaire,
    s: &Session,
    ev: &Evaluation,
    rules: &Rules,
    key: EntityKey,
) -> SlotPart {
    let scope_rules: &[&crate::questionnaire::Rule] = match key {
        EntityKey::Engagement => &rules.engagement,
        EntityKey::System(_) => &rules.system,
        EntityKey::Identity(_) => &rules.identity,
    };
    let results = ev.results(key);
    steps::add(results.len());
    // Carved-out systems are not part of the report.
    let counted = match key {
        EntityKey::System(j) => !ev.sys_sum[j].carved_out(),
        _ => true,
    };
    let in_scope: &[Tri] = match key {
        EntityKey::Identity(_) => &ev.in_scope,
        _ => &[],
    };
    let mut part = SlotPart {
        sum: *ev.summary(key),
        waits: [[false; 3]; 2],
        conflicts: Vec::new(),
    };
    for (p, (rule, r)) in scope_rules.iter().zip(results).enumerate() {
        let f = &rule.findings;
        if *r == Tri::True && f.conflict.is_some() {
            part.conflicts.push(p);
        }
        if *r != Tri::Open || !counted {
            continue;
        }
        // As `build`: a Type waits while an open rule that could change it names an answer.
        let mut waits_for_answer: Option<bool> = None;
        for report in Report::ALL {
            for (k, rt) in TYPE_SLOTS.into_iter().enumerate() {
                if part.waits[report.index()][k] || !could_change(f, report, rt) {
                    continue;
                }
                let names = *waits_for_answer.get_or_insert_with(|| {
                    let mut trace = Trace::default();
                    rule.when.eval(&ev.vis.env(q, s, key, in_scope), &mut trace);
                    !trace.open.is_empty()
                });
                part.waits[report.index()][k] = names;
            }
        }
    }
    part
}

/// Every counted entity's result of each Type rule about `report` (carved-out systems do not
/// count, as in the totals): what `plan::cases` lays the scenarios out from.
fn type_results<'q>(
    s: &Session,
    ev: &Evaluation,
    rules: &Rules<'q>,
    report: Report,
) -> impl Iterator<Item = (&'q crate::questionnaire::Rule, Tri)> {
    let about =
        |scope: &[&'q crate::questionnaire::Rule]| -> Vec<(usize, &'q crate::questionnaire::Rule)> {
            scope
                .iter()
                .enumerate()
                .filter(|(_, r)| r.findings.report_type.is_some() && r.findings.about(report))
                .map(|(i, r)| (i, *r))
                .collect()
        };
    let (eng, sys, ids) = (
        about(&rules.engagement),
        about(&rules.system),
        about(&rules.identity),
    );
    let mut out = Vec::new();
    let mut take = |key: EntityKey, which: &[(usize, &'q crate::questionnaire::Rule)]| {
        let results = ev.results(key);
        for &(i, rule) in which {
            if let Some(r) = results.get(i) {
                out.push((rule, *r));
            }
        }
    };
    take(EntityKey::Engagement, &eng);
    if !sys.is_empty() {
        for j in 0..s.systems.len().min(ev.sys_sum.len()) {
            if !ev.sys_sum[j].carved_out() {
                take(EntityKey::System(j), &sys);
            }
        }
    }
    if !ids.is_empty() {
        for i in 0..s.identities.len() {
            take(EntityKey::Identity(i), &ids);
        }
    }
    out.into_iter()
}

/// Everything of the panel but the progress (left at zero), from the kept per-entity parts.
fn panel_parts(q: &Questionnaire, s: &Session, ev: &Evaluation, kept: &PanelState) -> Panel {
    let totals = kept.tally.totals(s.systems.is_empty());
    let mut soc2_categories = Vec::new();
    if totals.soc2 != Tri::False {
        soc2_categories.extend(
            Category::ALL
                .into_iter()
                .filter(|c| category_state(&totals, *c) == CategoryState::Included),
        );
    }
    let rules = Rules::of(q);
    let mut conflicts = Vec::new();
    for &n in &kept.conflicted {
        let scope_rules = if n == 0 {
            &rules.engagement
        } else if n <= s.systems.len() {
            &rules.system
        } else {
            &rules.identity
        };
        for &p in &kept.slots[n].conflicts {
            if let Some(text) = scope_rules
                .get(p)
                .and_then(|r| r.findings.conflict.as_ref())
            {
                conflicts.push(text.clone());
            }
        }
    }
    let mut plans = Vec::new();
    for report in Report::ALL {
        let called_for = totals.report(report);
        if called_for == Tri::False {
            continue;
        }
        let report_type = totals.report_type(report);
        let waits = kept.waits[report.index()][type_slot(report_type)] > 0;
        let type_open = report_type.is_none() || called_for != Tri::True || waits;
        let idx = report.index();
        // The scenarios of an open Type: a pass over the entities, but only while the Type is
        // open and only over the few Type rules of this report.
        let cases = if type_open {
            plan::cases(q, report_type, type_results(s, ev, &rules, report))
        } else {
            Vec::new()
        };
        plans.push(plan::plan(
            q,
            s,
            &ev.vis,
            &plan::Inputs {
                report,
                called_for,
                report_type,
                type_open,
                first: totals.first[idx],
                renewal: totals.renewal[idx],
                cases,
                added: plan::added(
                    rules
                        .engagement
                        .iter()
                        .copied()
                        .zip(ev.results(EntityKey::Engagement).iter().copied())
                        .filter(|(r, _)| r.findings.about(report)),
                ),
            },
        ));
    }
    Panel {
        verdict: totals.verdict(),
        soc2_categories,
        plans,
        conflicts,
        progress: Progress::default(),
    }
}

/// The gaps of one in-scope entity: confirmed when a gap rule holds, unverified when it is open
/// because nobody could say (domain.md §4: unknown evidence is not "no gap").
fn gaps(cx: &Ctx, evals: &[Eval], in_scope: Tri) -> Vec<Gap> {
    evals
        .iter()
        .filter(|e| e.result == Tri::True || (e.result == Tri::Open && in_scope == Tri::True))
        .filter_map(|e| {
            let f = &e.rule(cx.q).findings;
            let texts = cx.rule(e.rule);
            let (id, confirmed, unverified) = texts.gap.as_ref()?;
            let status = if e.result == Tri::True {
                GapStatus::Confirmed
            } else {
                GapStatus::Unverified
            };
            let unknown: Vec<OpenQuestion> = match status {
                GapStatus::Confirmed => Vec::new(),
                GapStatus::Unverified => {
                    let mut seen = BTreeSet::new();
                    e.trace
                        .open
                        .iter()
                        .filter(|s| seen.insert(**s))
                        .map(|s| cx.open_question(*s))
                        .collect()
                }
            };
            Some(Gap {
                id: id.clone(),
                text: match status {
                    GapStatus::Confirmed => confirmed.clone(),
                    GapStatus::Unverified => unverified.clone(),
                },
                rule: texts.id.clone(),
                status,
                evidence: f
                    .evidence
                    .iter()
                    .filter_map(|id| cx.kind(id).map(|k| k.title.clone()))
                    .collect(),
                unknown,
            })
        })
        .collect()
}

fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().chain(c).collect(),
        None => String::new(),
    }
}

/// What a report rule sees: the engagement's answers and the report totals.
struct ReportEnv<'a> {
    engagement: EntityEnv<'a>,
    totals: Totals,
}

impl Env for ReportEnv<'_> {
    fn owner(&self, qi: usize) -> EntityKey {
        self.engagement.owner(qi)
    }
    fn lookup(&self, qi: usize) -> Lookup<'_> {
        self.engagement.lookup(qi)
    }
    fn any_system(&self, _: &Condition, _: &mut Trace) -> Tri {
        Tri::False
    }
    fn any_system_in_scope(&self, _: &mut Trace) -> Tri {
        Tri::False
    }
    fn total(&self, t: Total) -> Tri {
        match t {
            Total::Soc1 => self.totals.soc1,
            Total::Soc1Demand => self.totals.soc1_demand,
            Total::Soc2 => self.totals.soc2,
            Total::Category(c) => self.totals.category(c),
        }
    }
}

/// A subservice organisation's part of the recommendation: its subservice, and (unless it is
/// carved out) its subservice decision.
pub(crate) type SubPart = (Subservice, Option<Decision>);

/// One system's result and, as a subservice organisation, its subservice part: from its own
/// traces and summary only, so that the app makes it again only for the systems an answer
/// re-ran.
fn system_part(
    cx: &Ctx,
    ev: &Evaluation,
    tr: &Traces,
    i: usize,
) -> (SystemResult, Option<SubPart>) {
    let (q, s) = (cx.q, cx.s);
    let evals = &tr.systems[i];
    let sum = &ev.sys_sum[i];
    steps::add(evals.len());
    let entity = cx.entity_ref(EntityKey::System(i));
    let all: Vec<&Eval> = evals.iter().collect();
    let (_, soc1_evals) = fold(q, evals, |f| f.soc1 == Some(true));
    let (_, soc2_evals) = fold(q, evals, Findings::soc2_positive);
    let (_, sub_evals) = fold(q, evals, |f| f.subservice.is_some());
    let verdict = sum.verdict();
    let id = DecisionId::System(entity.id.to_string());
    let decision =
        if sum.carved_out() {
            cx.decision(
                id,
                Some(entity.clone()),
                system_outcome(sum),
                sub_evals.iter().copied(),
                Vec::new(),
                [],
                vec![],
            )
        } else {
            cx.decision(
                id,
                Some(entity.clone()),
                system_outcome(sum),
                soc1_evals.iter().chain(&soc2_evals).copied(),
                exclusions_for(q, &all, sum.soc1, sum.soc2),
                // Not carved out (yet): what could still make it a subservice organisation too.
                open_for_scope(q, evals, sum.soc1, sum.soc2)
                    .into_iter()
                    .chain(evals.iter().filter(|e| {
                        e.result == Tri::Open && e.rule(q).findings.subservice.is_some()
                    })),
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
    let mut sub = None;
    if let Some(method) = sum.subservice {
        let true_evals = || evals.iter().filter(|e| e.result == Tri::True);
        let needs: Vec<Report> = Report::ALL
            .into_iter()
            .filter(|r| true_evals().any(|e| e.rule(q).findings.needs_report == Some(*r)))
            .collect();
        let recorded = q
            .with_role(Scope::System, "vendor_reports")
            .and_then(|vq| Some((vq, &s.systems[i].answers.get(&vq.id)?.value)));
        let holds = recorded.map(|(vq, v)| v.display(vq));
        let held = recorded.map_or_else(Vec::new, |(vq, v)| held_reports(vq, v));
        let subservice = Subservice {
            system: entity.clone(),
            method,
            supports: tr.hosted_by[i]
                .iter()
                .map(|&k| cx.entity_ref(EntityKey::System(k)))
                .collect(),
            used_by: tr.used_by[i]
                .iter()
                .map(|&k| cx.entity_ref(EntityKey::System(k)))
                .collect(),
            needs,
            holds,
            held,
            csocs: dedup(true_evals().flat_map(|e| e.rule(q).findings.csocs.iter().cloned())),
            evidence: dedup(
                true_evals()
                    .flat_map(|e| e.rule(q).findings.evidence.iter())
                    .filter_map(|id| q.evidence_kind(id).map(|k| k.title.clone())),
            ),
            open_questions: cx.opens(evals.iter().filter(|e| {
                let f = &e.rule(q).findings;
                f.needs_report.is_some() || f.finding.is_some()
            })),
        };
        let decision = (!sum.carved_out()).then(|| {
            cx.decision(
                DecisionId::Subservice(entity.id.to_string()),
                Some(entity.clone()),
                Outcome::Subservice(Some(method)),
                sub_evals.iter().copied(),
                Vec::new(),
                [],
                vec![],
            )
        });
        sub = Some((subservice, decision));
    }
    let result = SystemResult {
        id: entity.id.to_string(),
        name: entity.name.to_string(),
        verdict,
        soc2_categories: categories,
        subservice: sum.subservice,
        gaps: gaps(cx, evals, sum.in_scope()),
        decision,
    };
    (result, sub)
}

/// One identity's result, from its own traces and summary only.
fn identity_part(cx: &Ctx, ev: &Evaluation, tr: &Traces, i: usize) -> IdentityResult {
    let (q, s) = (cx.q, cx.s);
    let evals = &tr.identities[i];
    let sum = &ev.id_sum[i];
    steps::add(evals.len());
    let entity = cx.entity_ref(EntityKey::Identity(i));
    let all: Vec<&Eval> = evals.iter().collect();
    let (_, soc1_evals) = fold(q, evals, |f| f.soc1 == Some(true));
    let (_, soc2_evals) = fold(q, evals, Findings::soc2_positive);
    // Out of both reports, nothing it lacks is evidence anyone will ask for.
    let gaps = if sum.in_scope() == Tri::False {
        Vec::new()
    } else {
        gaps(cx, evals, sum.in_scope())
    };
    let verdict = sum.verdict();
    let mut open = open_for_scope(q, evals, sum.soc1, sum.soc2);
    // While it may be in scope, what it lacks is still being found out.
    if sum.in_scope() == Tri::Open {
        open.extend(
            evals
                .iter()
                .filter(|e| e.result == Tri::Open && e.rule(q).findings.gap.is_some()),
        );
    }
    let kind = q.identity_kind_question().and_then(|kq| {
        s.identities[i]
            .answers
            .get(&kq.id)
            .map(|a| a.value.display(kq))
    });
    IdentityResult {
        id: entity.id.to_string(),
        name: entity.name.to_string(),
        kind,
        // The linked systems that exist, in link order, resolved once by `visibility`.
        systems: ev.vis.links[i]
            .iter()
            .map(|&j| s.systems[j].name.clone())
            .collect(),
        soc1: sum.soc1 == Tri::True,
        soc2: sum.soc2 == Tri::True,
        verdict,
        gaps,
        decision: cx.decision(
            DecisionId::Identity(entity.id.to_string()),
            Some(entity.clone()),
            Outcome::Identity(verdict),
            soc1_evals.iter().chain(&soc2_evals).copied(),
            exclusions_for(q, &all, sum.soc1, sum.soc2),
            open,
            vec![],
        ),
    }
}

/// Every system's and identity's part.
#[allow(clippy::type_complexity)]
fn parts(
    cx: &Ctx,
    ev: &Evaluation,
    tr: &Traces,
) -> (Vec<SystemResult>, Vec<Option<SubPart>>, Vec<IdentityResult>) {
    let (systems, subs) = (0..cx.s.systems.len())
        .map(|j| system_part(cx, ev, tr, j))
        .unzip();
    let identities = (0..cx.s.identities.len())
        .map(|i| identity_part(cx, ev, tr, i))
        .collect();
    (systems, subs, identities)
}

/// The recommendation from scratch for an evaluation and its traces.
fn build(q: &Questionnaire, s: &Session, st: &Stage) -> Recommendation {
    let t = Shared::new(q, s);
    let cx = Ctx { q, s, t: &t };
    let (ev, tr) = (&st.ev, &st.tr);
    let (systems, subs, identities) = parts(&cx, ev, tr);
    let totals = ev.totals(s.systems.is_empty());
    let progress = ev.vis.progress(q, s);
    assemble_new(&cx, ev, tr, systems, &subs, identities, totals, progress)
        .0
        .rec
}

/// [`assemble`] with nothing kept: the per-rule lists made from every entity's traces.
#[allow(clippy::too_many_arguments)]
fn assemble_new(
    cx: &Ctx,
    ev: &Evaluation,
    tr: &Traces,
    systems: Vec<SystemResult>,
    subs: &[Option<SubPart>],
    identities: Vec<IdentityResult>,
    totals: Totals,
    progress: Progress,
) -> (Assembled, Level) {
    let mut level = Level {
        ix: level::Index::of(cx.q, ev, tr),
        made: Vec::new(),
    };
    let a = assemble(
        cx,
        ev,
        tr,
        systems,
        subs,
        identities,
        totals,
        progress,
        None,
        (&mut level, &level::Deltas::none(), Vec::new()),
    );
    (a, level)
}

/// The report-level part of the recommendation around the entities' parts (`systems`,
/// `identities`, `subs`, made by `system_part` and `identity_part`, without conflict marks):
/// the verdict, categories, Types and plans, conflicts (marking the decisions they touch),
/// findings, notes, CUECs, frameworks, the evidence plan and the open questions. Also returns
/// the entities whose decisions a conflict marked, for the app to unmark before a patch.
#[allow(clippy::too_many_arguments)]
fn assemble(
    cx: &Ctx,
    st: &Evaluation,
    tr: &Traces,
    mut systems: Vec<SystemResult>,
    subs: &[Option<SubPart>],
    mut identities: Vec<IdentityResult>,
    totals: Totals,
    progress: Progress,
    old_plan: Option<(Verdict, Vec<Category>, OldPlan)>,
    (level, deltas, old_decisions): (&mut Level, &level::Deltas, Vec<Decision>),
) -> Assembled {
    let (q, s) = (cx.q, cx.s);
    let ix = &level.ix;
    let mut decisions = Vec::new();
    let mut subservices = Vec::new();
    for (sub, d) in subs.iter().flatten() {
        subservices.push(sub.clone());
        if let Some(d) = d {
            decisions.push(d.clone());
        }
    }
    // The report as a whole: the engagement and every entity that is not carved out, read
    // from the lists of the counted entities each rule fired or is open for (`level::Index`).
    let rules_where = |p: &dyn Fn(&Findings) -> bool| -> Vec<u32> {
        q.rules
            .iter()
            .enumerate()
            .filter(|(_, r)| !r.report_level && p(&r.findings))
            .map(|(n, _)| n as u32)
            .collect()
    };
    let no_systems = s.systems.is_empty();
    let (soc1, soc2) = (totals.soc1, totals.soc2);
    let verdict = totals.verdict();
    let soc1_pos = rules_where(&|f| f.soc1 == Some(true));
    let soc2_pos = rules_where(&Findings::soc2_positive);
    let mut specs = Vec::new();
    let mut inventory_open = Vec::new();
    if no_systems {
        inventory_open.push(OpenQuestion {
            entity: EntityRef {
                kind: Scope::System,
                id: Text::default(),
                name: "Inventory".into(),
            },
            question: Text::default(),
            question_text: "No systems have been added yet: which systems support the service?"
                .into(),
        });
    }
    let mut excluded = Vec::new();
    if soc1 == Tri::False {
        excluded.push((
            Report::Soc1.id().to_string(),
            rules_where(&|f| f.soc1 == Some(false)),
        ));
    }
    if soc2 == Tri::False {
        excluded.push((
            Report::Soc2.id().to_string(),
            rules_where(&|f| f.soc2 == Some(false)),
        ));
    }
    specs.push(level::Spec {
        id: DecisionId::Verdict,
        outcome: Outcome::Verdict(verdict),
        fired: vec![soc1_pos, soc2_pos.clone()],
        excluded,
        open: rules_where(&|f| {
            (soc1 != Tri::True && f.soc1 == Some(true)) || (soc2 != Tri::True && f.soc2_positive())
        }),
        prefix: inventory_open,
        provisional: false,
    });

    // SOC 2 categories: shown while a SOC 2 is possible.
    let mut soc2_categories = Vec::new();
    if soc2 != Tri::False {
        for cat in Category::ALL {
            let state = category_state(&totals, cat);
            let rules = if cat == Category::Security {
                // Security comes with any SOC 2: its reasons are those for the SOC 2 itself.
                soc2_pos.clone()
            } else {
                rules_where(&|f| f.categories.contains(&cat))
            };
            let excluded = rules_where(&|f| f.excluded_categories.contains(&cat));
            if state == CategoryState::Included {
                soc2_categories.push(cat);
            }
            if state == CategoryState::NotIncluded
                && excluded.iter().all(|&r| ix.trues(r).is_empty())
            {
                continue;
            }
            let (fired, open) = match (totals.category(cat), ix.fold(&rules)) {
                (Tri::True, Tri::True) => (vec![rules], vec![]),
                (Tri::Open, Tri::Open) => (vec![], rules),
                _ => (vec![], vec![]),
            };
            specs.push(level::Spec {
                id: DecisionId::Category(cat),
                outcome: Outcome::Category(state),
                fired,
                excluded: vec![(cat.id().to_string(), excluded)],
                open,
                prefix: Vec::new(),
                // "Possible" waits for the SOC 2 itself too.
                provisional: state == CategoryState::Possible,
            });
        }
    }

    // Each report's Type, from the history of the controls it covers.
    let mut types = Vec::new();
    for report in Report::ALL {
        let called_for = totals.report(report);
        if called_for == Tri::False {
            continue;
        }
        let type_rules = rules_where(&|f| f.report_type.is_some() && f.about(report));
        let first_rules = rules_where(&|f| f.first_examination.is_some() && f.about(report));
        let report_type = totals.report_type(report);
        let rule_type = |r: &u32| q.rules[*r as usize].findings.report_type == report_type;
        // A category's own Type 1 beside the report's Type says why.
        let of_type = |r: &u32| rule_type(r) || q.rules[*r as usize].findings.type1_for.is_some();
        // What could still change it: an undecided Type, or a Type 2 that a settled Type 1
        // would overturn; and whether it is a first examination.
        let open: Vec<u32> = type_rules
            .iter()
            .copied()
            .filter(|r| report_type.is_none() || !rule_type(r))
            .chain(first_rules.iter().copied())
            .collect();
        specs.push(level::Spec {
            id: DecisionId::Type(report),
            outcome: Outcome::Type(report_type),
            fired: vec![
                type_rules.iter().copied().filter(of_type).collect(),
                first_rules,
            ],
            excluded: Vec::new(),
            open,
            prefix: Vec::new(),
            // A report is called for but no rule settles its Type: never shown as settled.
            provisional: report_type.is_none() || called_for != Tri::True,
        });
        types.push((report, called_for, report_type, type_rules));
    }

    // The report-level decisions: patched while made from the same spec.
    let mut old: HashMap<DecisionId, (Decision, level::Made)> = old_decisions
        .into_iter()
        .zip(std::mem::take(&mut level.made))
        .filter(|(d, m)| d.id == *m.id())
        .map(|(d, m)| (d.id.clone(), (d, m)))
        .collect();
    let mut report_level = Vec::new();
    for spec in specs {
        let kept = old.remove(&spec.id);
        let (d, m) = level::patch(cx, ix, tr, deltas, spec, kept);
        report_level.push(d);
        level.made.push(m);
    }
    let mut plans = Vec::new();
    for (report, called_for, report_type, type_rules) in types {
        let Some(d) = report_level
            .iter()
            .find(|d| d.id == DecisionId::Type(report))
        else {
            continue;
        };
        let idx = report.index();
        // Each Type rule's results over the counted entities, once per result.
        let results = type_rules.iter().flat_map(|&r| {
            let rule = &q.rules[r as usize];
            [
                (!ix.trues(r).is_empty()).then_some((rule, Tri::True)),
                (!ix.opens(r).is_empty()).then_some((rule, Tri::Open)),
            ]
            .into_iter()
            .flatten()
        });
        let results: Vec<_> = results.collect();
        plans.push(plan::plan(
            q,
            s,
            &st.vis,
            &plan::Inputs {
                report,
                called_for,
                report_type,
                type_open: d.provisional,
                first: totals.first[idx],
                renewal: totals.renewal[idx],
                cases: plan::cases(q, report_type, results.iter().copied()),
                added: plan::added(results.iter().copied()),
            },
        ));
    }
    let mut report_level = report_level.into_iter();
    decisions.splice(0..0, report_level.next());
    decisions.extend(report_level);

    // Answers that cannot all be true: shown at once, and the decisions they touch stay
    // provisional until one of them changes.
    let mut conflicts: Vec<Conflict> = Vec::new();
    let mut conflict_keys: Vec<EntityKey> = Vec::new();
    let entity_evals = tr
        .engagement
        .iter()
        .chain(tr.systems.iter().flatten())
        .chain(tr.identities.iter().flatten());
    for e in entity_evals.filter(|e| e.result == Tri::True) {
        let Some(text) = &e.rule(q).findings.conflict else {
            continue;
        };
        let subject = cx.entity_ref(e.key);
        let mut touches = vec![DecisionId::Verdict];
        match e.key {
            EntityKey::System(_) => touches.push(DecisionId::System(subject.id.to_string())),
            EntityKey::Identity(_) => touches.push(DecisionId::Identity(subject.id.to_string())),
            EntityKey::Engagement => {}
        }
        if e.key != EntityKey::Engagement {
            conflict_keys.push(e.key);
        }
        for t in e
            .rule(q)
            .findings
            .touches
            .iter()
            .filter_map(|t| DecisionId::parse(t))
        {
            // The questionnaire names report-level decisions; an entity's is found by its id.
            let found = match &t {
                DecisionId::System(id) => s
                    .systems
                    .iter()
                    .position(|x| &x.id == id)
                    .map(EntityKey::System),
                DecisionId::Identity(id) => s
                    .identities
                    .iter()
                    .position(|x| &x.id == id)
                    .map(EntityKey::Identity),
                _ => None,
            };
            conflict_keys.extend(found);
            touches.push(t);
        }
        // Identities see the systems they reach: the systems named in the answers are touched.
        for t in &e.trace.triggers {
            if let EntityKey::System(j) = t.0 {
                let id = DecisionId::System(s.systems[j].id.clone());
                if !touches.contains(&id) {
                    touches.push(id);
                    conflict_keys.push(t.0);
                }
            }
        }
        conflicts.push(Conflict {
            rule: e.rule(q).id.clone(),
            text: text.clone(),
            subject,
            answers: cx.triggers(&e.trace),
            touches,
        });
    }
    if !conflicts.is_empty() {
        // By decision: one random workshop of 10,000 identities has thousands of conflicts, and
        // testing each against every decision was quadratic.
        let mut by_decision: HashMap<&DecisionId, Vec<usize>> = HashMap::new();
        for (n, c) in conflicts.iter().enumerate() {
            for t in &c.touches {
                let list = by_decision.entry(t).or_default();
                if list.last() != Some(&n) {
                    list.push(n);
                }
            }
        }
        let touch = |d: &mut Decision| {
            if let Some(ns) = by_decision.get(&d.id) {
                d.provisional = true;
                d.conflicts.extend_from_slice(ns);
            }
        };
        decisions.iter_mut().for_each(touch);
        // The systems' and identities' decisions by the entities the conflicts touch, not by
        // a look-up of every decision: what is marked is unmarked before the app's next patch.
        for key in &conflict_keys {
            let d = match *key {
                EntityKey::System(j) => &mut systems[j].decision,
                EntityKey::Identity(i) => &mut identities[i].decision,
                EntityKey::Engagement => continue,
            };
            if d.conflicts.is_empty() {
                touch(d);
            }
        }
    }

    // Findings and notes: from the entity rules that fired, then from the report rules, which
    // run once over the totals.
    let mut findings = Vec::new();
    let mut notes = Vec::new();
    let mut cuecs: Vec<Finding> = Vec::new();
    let mut frameworks = Vec::new();
    let mut record = |e_rule: &crate::questionnaire::Rule,
                      subject: Option<EntityRef>,
                      trace: &Trace,
                      provisional: bool| {
        let f = &e_rule.findings;
        let notes_list = if f.framework.is_some() {
            &mut frameworks
        } else {
            &mut notes
        };
        let texts = [
            (f.finding.as_ref(), &mut findings),
            (f.note.as_ref(), notes_list),
        ];
        let finding = |text: &String, framework: Option<String>| Finding {
            id: e_rule.id.clone(),
            rule: e_rule.id.clone(),
            text: text.clone(),
            rationale: e_rule.rationale.clone(),
            references: e_rule.references.clone(),
            subject: subject.clone(),
            triggers: cx.triggers(trace),
            provisional,
            framework,
        };
        for (text, list) in texts {
            if let Some(text) = text {
                list.push(finding(text, f.framework.clone()));
            }
        }
        for text in &f.cuecs {
            if !cuecs.iter().any(|c| &c.text == text) {
                cuecs.push(finding(text, None));
            }
        }
    };
    let entity_evals = tr
        .engagement
        .iter()
        .chain(tr.systems.iter().flatten())
        .chain(tr.identities.iter().flatten());
    for e in entity_evals.filter(|e| e.result == Tri::True) {
        let subject = (e.key != EntityKey::Engagement).then(|| cx.entity_ref(e.key));
        record(e.rule(q), subject, &e.trace, false);
    }
    let env = ReportEnv {
        engagement: st.vis.env(q, s, EntityKey::Engagement, &[]),
        totals,
    };
    // A total's answers are those of the rules behind it: the ones that made it true, or, for a
    // total that is false, the reasons it is not (the report's "no"s).
    let total_subjects = |t: Total| -> Vec<Subject> {
        let value = env.total(t);
        let pred = |f: &Findings| -> bool {
            match (t, value) {
                (Total::Soc1, Tri::True) => f.soc1 == Some(true),
                (Total::Soc1, _) => f.soc1 == Some(false),
                (Total::Soc2, Tri::True) => f.soc2 == Some(true),
                (Total::Soc2, _) => f.soc2 == Some(false),
                (Total::Soc1Demand, _) => f.soc1_demand == Some(true),
                (Total::Category(c), Tri::True) => f.categories.contains(&c),
                (Total::Category(c), _) => f.excluded_categories.contains(&c),
            }
        };
        // Enough to say why; an inventory of thousands needs no thousand answers here.
        ix.first_triggers(tr, &rules_where(&pred), 12)
    };
    let mut report_evals: Vec<Eval> = Vec::new();
    // A CUEC the answers could still call for is an open question of the report: the list of
    // what customers must do is not complete until it is answered.
    // A system's CUEC counts while the system may be in scope (Relaymint audit: an unanswered
    // webhook question was no open question).
    let mut cuec_open: Vec<(Subject, &str)> = tr
        .engagement
        .iter()
        .chain(
            tr.systems
                .iter()
                .enumerate()
                .filter(|(j, _)| systems.get(*j).is_some_and(|x| x.verdict != Verdict::None))
                .flat_map(|(_, evals)| evals),
        )
        .filter(|e| e.result == Tri::Open && !e.rule(q).findings.cuecs.is_empty())
        .flat_map(|e| {
            let text = e.rule(q).findings.cuecs[0].as_str();
            e.trace.open.iter().map(move |x| (*x, text))
        })
        .collect();
    let report_rules = q
        .report_rules()
        .filter_map(|r| Some((stage::rule_index(q, r)?, r)));
    for (n, rule) in report_rules {
        let mut trace = Trace::default();
        let result = rule.when.eval(&env, &mut trace);
        if let (Tri::Open, Some(text)) = (result, rule.findings.cuecs.first()) {
            cuec_open.extend(trace.open.iter().map(|x| (*x, text.as_str())));
        }
        if result == Tri::True {
            for t in totals_in(&rule.when) {
                trace.triggers.extend(total_subjects(t));
            }
            record(rule, None, &trace, false);
            report_evals.push(Eval {
                rule: n,
                key: EntityKey::Engagement,
                result: Tri::True,
                trace,
            });
        }
    }

    // In file order, whether an engagement or a report rule yields it; a CUEC cites only
    // criteria the report tests: those of an excluded category go.
    let order: HashMap<&str, usize> = q
        .rules
        .iter()
        .enumerate()
        .map(|(n, r)| (r.id.as_str(), n))
        .collect();
    cuecs.sort_by_key(|c| order.get(c.rule.as_str()).copied());
    // A specific CUEC replaces the general one it `supersedes` (the journal-entry review, the
    // general "review what we return"): customers are not asked for one control twice.
    let superseded: HashSet<&str> = cuecs
        .iter()
        .filter_map(|c| order.get(c.rule.as_str()).map(|&n| &q.rules[n]))
        .flat_map(|r| r.findings.supersedes.iter().map(String::as_str))
        .collect();
    cuecs.retain(|c| !superseded.contains(c.rule.as_str()));
    for c in &mut cuecs {
        c.references.retain(|r| {
            tsc::category(r).is_none_or(|c| c == Category::Security || soc2_categories.contains(&c))
        });
    }

    let sox_note = ix
        .firing_order(rules_where(&|f| f.sox_note.is_some()))
        .first()
        .and_then(|&r| q.rules[r as usize].findings.sox_note.clone());
    // Each objective where it first appears over the counted entities' true results.
    let mut objectives: Vec<(EntityKey, u32, usize, &String)> = Vec::new();
    for r in rules_where(&|f| !f.control_objectives.is_empty()) {
        if let Some(&head) = ix.trues(r).first() {
            let f = &q.rules[r as usize].findings;
            for (n, o) in f.control_objectives.iter().enumerate() {
                objectives.push((head, ix.pos(r), n, o));
            }
        }
    }
    objectives.sort_unstable();
    let control_objectives = dedup(objectives.into_iter().map(|(_, _, _, o)| o.clone()));
    // The last plan is patched while it was made for the same verdict and categories.
    let old_plan = old_plan.filter(|(v, c, _)| {
        (*v == Verdict::None) == (verdict == Verdict::None) && *c == soc2_categories
    });
    let (evidence_plan, plan_keys) = evidence_plan(
        cx,
        st,
        tr,
        &report_evals,
        verdict,
        &soc2_categories,
        old_plan.map(|(_, _, old)| old),
    );

    // Every open question behind any decision, once.
    let mut open_questions: Vec<OpenQuestion> = Vec::new();
    let mut seen: HashSet<OpenQuestion> = HashSet::new();
    let deciding = decisions
        .iter()
        .chain(systems.iter().map(|s| &s.decision))
        .chain(identities.iter().map(|i| &i.decision))
        .flat_map(|d| &d.open_questions);
    for o in deciding.chain(subservices.iter().flat_map(|x| &x.open_questions)) {
        if seen.insert(o.clone()) {
            open_questions.push(o.clone());
        }
    }
    let mut open_cuecs: Vec<OpenCuec> = Vec::new();
    for (x, cuec) in cuec_open {
        let o = cx.open_question(x);
        // Said of the questions only a CUEC waits for; the others decide more already.
        if seen.insert(o.clone()) {
            open_cuecs.push(OpenCuec {
                question: o.clone(),
                cuec: cuec.to_string(),
            });
            open_questions.push(o);
        }
    }
    let provisional = decisions.iter().any(|d| d.provisional) || !conflicts.is_empty();

    let rec = Recommendation {
        verdict,
        provisional,
        soc2_categories,
        plans,
        sox_note,
        systems,
        identities,
        subservices,
        control_objectives,
        evidence_plan,
        decisions,
        findings,
        notes,
        cuecs,
        frameworks,
        conflicts,
        open_questions,
        open_cuecs,
        progress,
    };
    conflict_keys.sort_unstable();
    conflict_keys.dedup();
    Assembled {
        rec,
        marked: conflict_keys,
        plan_keys,
    }
}

/// A recommendation, the entities whose decisions a conflict marked and the entity of each
/// evidence plan entry.
struct Assembled {
    rec: Recommendation,
    marked: Vec<EntityKey>,
    plan_keys: Vec<EntityKey>,
}

/// The reports a `vendor_reports` answer says we hold: those its choices name (`report =
/// "soc1"` in the questionnaire), never read from ids or labels ("None yet, SOC 2 requested").
fn held_reports(vq: &crate::questionnaire::Question, v: &crate::session::Value) -> Vec<Report> {
    let ids: &[String] = match v {
        crate::session::Value::List(ids) => ids,
        crate::session::Value::Text(id) => std::slice::from_ref(id),
        _ => &[],
    };
    Report::ALL
        .into_iter()
        .filter(|r| {
            ids.iter()
                .any(|id| vq.choice(id).is_some_and(|c| c.report == Some(*r)))
        })
        .collect()
}

/// The totals a report rule's condition tests.
fn totals_in(c: &Condition) -> Vec<Total> {
    match c {
        Condition::Total(t) => vec![*t],
        Condition::All(cs) | Condition::Any(cs) => cs.iter().flat_map(totals_in).collect(),
        Condition::Not(c) | Condition::AnySystem(c) => totals_in(c),
        Condition::Atom(_) | Condition::AnySystemInScope | Condition::Boundary(_) => Vec::new(),
    }
}

fn cat_pos(c: Category) -> usize {
    Category::ALL.iter().position(|x| *x == c).unwrap_or(0)
}

/// The last evidence plan, made for the same verdict and categories, with the entity of each
/// entry, and the entities to make again (sorted).
struct OldPlan<'k> {
    entries: Vec<EvidencePlanEntry>,
    keys: Vec<EntityKey>,
    again: &'k [EntityKey],
}

/// Evidence to collect over the observation window, per in-scope entity (and the engagement),
/// from the evidence kinds cited by the rules that fired for it. Evidence nobody could vouch
/// for (an open gap rule of an in-scope entity) is in the plan too, to establish first.
fn evidence_plan(
    cx: &Ctx,
    st: &Evaluation,
    tr: &Traces,
    report_evals: &[Eval],
    verdict: Verdict,
    categories: &[Category],
    old: Option<OldPlan>,
) -> (Vec<EvidencePlanEntry>, Vec<EntityKey>) {
    if verdict == Verdict::None {
        return (Vec::new(), Vec::new());
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
    let tasks = |evals: &mut dyn Iterator<Item = &Eval>, in_scope: bool| -> Vec<EvidenceTask> {
        let mut out: Vec<EvidenceTask> = Vec::new();
        let unverified =
            |e: &Eval| in_scope && e.result == Tri::Open && e.rule(q).findings.gap.is_some();
        for e in evals.filter(|e| e.result == Tri::True || unverified(e)) {
            let f = &e.rule(q).findings;
            let paired = f.evidence.len() > 1 && f.evidence.len() == f.control_objectives.len();
            for (n, id) in f.evidence.iter().enumerate() {
                let Some(kind) = q.evidence_kind(id) else {
                    continue;
                };
                if let Some(t) = out.iter_mut().find(|t| &t.id == id) {
                    // A confirmed need outranks "establish first".
                    t.establish_first &= unverified(e);
                    continue;
                }
                let Some(shared) = cx.kind(id) else {
                    continue;
                };
                // Criteria of a category the report does not include are not tested; a task
                // that serves only such criteria is not part of the plan.
                let references: Vec<Text> = shared
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
                let objectives = &cx.rule(e.rule).objectives;
                out.push(EvidenceTask {
                    id: shared.id.clone(),
                    title: shared.title.clone(),
                    cadence: shared.cadence.clone(),
                    references,
                    control_objectives: match objectives.get(n) {
                        Some(o) if paired => vec![o.clone()],
                        _ => objectives.clone(),
                    },
                    rule: cx.rule(e.rule).id.clone(),
                    establish_first: unverified(e),
                });
            }
        }
        out
    };
    let mut plan = Vec::new();
    let mut keys = Vec::new();
    // The engagement's own tasks and the entity-level controls report rules ask for.
    let eng_tasks = tasks(&mut tr.engagement.iter().chain(report_evals), false);
    if !eng_tasks.is_empty() {
        plan.push(EvidencePlanEntry {
            subject: cx.entity_ref(EntityKey::Engagement),
            owner: owner(Scope::Engagement, &s.engagement),
            tasks: eng_tasks,
        });
        keys.push(EntityKey::Engagement);
    }
    let entry = |key: EntityKey| -> Option<EvidencePlanEntry> {
        let (evals, sum, in_scope, answers, scope) = match key {
            EntityKey::System(i) => {
                let sum = &st.sys_sum[i];
                let wanted = sum.in_scope() == Tri::True || sum.subservice.is_some();
                (
                    &tr.systems[i],
                    sum,
                    wanted,
                    &s.systems[i].answers,
                    Scope::System,
                )
            }
            EntityKey::Identity(i) => {
                let sum = &st.id_sum[i];
                let wanted = sum.in_scope() == Tri::True;
                (
                    &tr.identities[i],
                    sum,
                    wanted,
                    &s.identities[i].answers,
                    Scope::Identity,
                )
            }
            EntityKey::Engagement => return None,
        };
        if !in_scope {
            return None;
        }
        let t = tasks(&mut evals.iter(), sum.in_scope() == Tri::True);
        (!t.is_empty()).then(|| EvidencePlanEntry {
            subject: cx.entity_ref(key),
            owner: owner(scope, answers),
            tasks: t,
        })
    };
    match old {
        // The entries of the entities not made again are moved over, in entity order.
        Some(old) => {
            let mut again = old
                .again
                .iter()
                .copied()
                .filter(|k| *k != EntityKey::Engagement)
                .peekable();
            let made = |k: EntityKey, plan: &mut Vec<_>, keys: &mut Vec<_>| {
                if let Some(x) = entry(k) {
                    plan.push(x);
                    keys.push(k);
                }
            };
            for (e, key) in old.entries.into_iter().zip(old.keys) {
                if key == EntityKey::Engagement {
                    continue;
                }
                while let Some(k) = again.next_if(|k| *k < key) {
                    made(k, &mut plan, &mut keys);
                }
                if again.next_if_eq(&key).is_some() {
                    made(key, &mut plan, &mut keys);
                } else {
                    plan.push(e);
                    keys.push(key);
                }
            }
            for k in again {
                made(k, &mut plan, &mut keys);
            }
        }
        None => {
            let all = (0..s.systems.len())
                .map(EntityKey::System)
                .chain((0..s.identities.len()).map(EntityKey::Identity));
            for k in all {
                if let Some(made) = entry(k) {
                    plan.push(made);
                    keys.push(k);
                }
            }
        }
    }
    (plan, keys)
}

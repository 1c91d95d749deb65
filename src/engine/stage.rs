//! The evaluation stage: every rule run once per entity, folded into per-entity summaries and
//! report totals. Kept separate from the rationale so that "what if this answer changed" can
//! re-run one entity and re-fold the totals without rebuilding everything.

use crate::questionnaire::condition::{EntityKey, Env, Trace, Tri};
use crate::questionnaire::{
    Category, Findings, Questionnaire, ReportType, Rule, Scope, SubserviceMethod,
};
use crate::session::{Answers, Session};

use super::Verdict;
use super::visibility::{Overlay, Visibility, entity_visibility, visibility};

/// One rule's result for one entity; only true and open results are kept.
pub(crate) struct Eval<'a> {
    pub rule: &'a Rule,
    /// The entity the rule ran for.
    pub key: EntityKey,
    pub result: Tri,
    pub trace: Trace,
}

/// Kleene "or" over the evaluations whose findings match `pred`, with the evaluations behind it
/// (the true ones when true, the open ones when open).
pub(crate) fn fold<'e, 'a: 'e>(
    evals: impl IntoIterator<Item = &'e Eval<'a>>,
    pred: impl Fn(&Findings) -> bool,
) -> (Tri, Vec<&'e Eval<'a>>) {
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

pub(crate) fn tri_or(a: Tri, b: Tri) -> Tri {
    match (a, b) {
        (Tri::True, _) | (_, Tri::True) => Tri::True,
        (Tri::Open, _) | (_, Tri::Open) => Tri::Open,
        _ => Tri::False,
    }
}

pub(crate) fn verdict_of(soc1: Tri, soc2: Tri) -> Verdict {
    match (soc1, soc2) {
        (Tri::True, Tri::True) => Verdict::Both,
        (Tri::True, _) => Verdict::Soc1,
        (_, Tri::True) => Verdict::Soc2,
        (Tri::False, Tri::False) => Verdict::None,
        _ => Verdict::Undetermined,
    }
}

fn cat_index(c: Category) -> usize {
    Category::ALL.iter().position(|x| *x == c).unwrap_or(0)
}

/// What one entity contributes to the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Summary {
    pub soc1: Tri,
    pub soc2: Tri,
    pub cats: [Tri; 5],
    pub subservice: Option<SubserviceMethod>,
    pub type1: Tri,
    pub type2: Tri,
}

impl Summary {
    pub fn of(evals: &[Eval]) -> Summary {
        let (sub, sub_evals) = fold(evals, |f| f.subservice.is_some());
        let subservice = (sub == Tri::True).then(|| {
            if sub_evals
                .iter()
                .any(|e| e.rule.findings.subservice == Some(SubserviceMethod::Inclusive))
            {
                SubserviceMethod::Inclusive
            } else {
                SubserviceMethod::CarveOut
            }
        });
        let mut s = Summary {
            soc1: fold(evals, |f| f.soc1 == Some(true)).0,
            soc2: fold(evals, Findings::soc2_positive).0,
            cats: Category::ALL.map(|c| fold(evals, |f| f.categories.contains(&c)).0),
            subservice,
            type1: fold(evals, |f| f.report_type == Some(ReportType::Type1)).0,
            type2: fold(evals, |f| f.report_type == Some(ReportType::Type2)).0,
        };
        if s.carved_out() {
            // Outside the boundary: disclosed, but it does not make the report.
            s.soc1 = Tri::False;
            s.soc2 = Tri::False;
            s.cats = [Tri::False; 5];
        }
        s
    }

    pub fn carved_out(&self) -> bool {
        self.subservice == Some(SubserviceMethod::CarveOut)
    }

    pub fn in_scope(&self) -> Tri {
        tri_or(self.soc1, self.soc2)
    }

    pub fn verdict(&self) -> Verdict {
        verdict_of(self.soc1, self.soc2)
    }
}

/// The report as a whole: Kleene "or" over the engagement and every entity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Totals {
    pub soc1: Tri,
    pub soc2: Tri,
    pub cats: [Tri; 5],
    pub type1: Tri,
    pub type2: Tri,
}

impl Totals {
    pub fn of<'s>(all: impl Iterator<Item = &'s Summary>, no_systems: bool) -> Totals {
        let mut t = Totals {
            soc1: Tri::False,
            soc2: Tri::False,
            cats: [Tri::False; 5],
            type1: Tri::False,
            type2: Tri::False,
        };
        for s in all {
            t.soc1 = tri_or(t.soc1, s.soc1);
            t.soc2 = tri_or(t.soc2, s.soc2);
            for i in 0..5 {
                t.cats[i] = tri_or(t.cats[i], s.cats[i]);
            }
            t.type1 = tri_or(t.type1, s.type1);
            t.type2 = tri_or(t.type2, s.type2);
        }
        if no_systems {
            // With no systems nothing is settled negatively.
            t.soc1 = tri_or(t.soc1, Tri::Open);
            t.soc2 = tri_or(t.soc2, Tri::Open);
        }
        t.cats[cat_index(Category::Security)] = t.soc2;
        t
    }

    pub fn verdict(&self) -> Verdict {
        verdict_of(self.soc1, self.soc2)
    }

    pub fn category(&self, c: Category) -> Tri {
        self.cats[cat_index(c)]
    }

    pub fn category_outcome(&self, c: Category) -> &'static str {
        match (self.category(c), self.soc2) {
            (Tri::True, Tri::True) => "Included",
            (Tri::True | Tri::Open, _) => "Possible: open questions decide",
            (Tri::False, _) => "Not included",
        }
    }

    /// Any settled Type 1 signal wins: controls too new to observe a period.
    pub fn report_type(&self) -> Option<ReportType> {
        if self.verdict() == Verdict::None {
            None
        } else if self.type1 == Tri::True {
            Some(ReportType::Type1)
        } else if self.type2 == Tri::True {
            Some(ReportType::Type2)
        } else {
            None
        }
    }
}

/// The summaries after one changed answer: those that differ from the stage's, so that trying
/// a change costs what it reaches, not the size of the inventory.
pub(crate) struct Changed {
    pub eng: Summary,
    sys: Patch,
    ids: Patch,
}

enum Patch {
    /// Every entity was evaluated again (an engagement answer reaches them all).
    All(Vec<Summary>),
    /// Only these entities, by index; the others keep the stage's summary.
    Some(Vec<(usize, Summary)>),
}

impl Patch {
    fn get<'p>(&'p self, base: &'p [Summary], i: usize) -> &'p Summary {
        match self {
            Patch::All(v) => &v[i],
            Patch::Some(p) => p
                .iter()
                .rev()
                .find(|(j, _)| *j == i)
                .map_or(&base[i], |(_, s)| s),
        }
    }

    /// Every summary, the patched ones replacing the stage's: O(inventory + patch).
    fn all<'p>(&'p self, base: &'p [Summary]) -> Vec<&'p Summary> {
        match self {
            Patch::All(v) => v.iter().collect(),
            Patch::Some(p) => {
                let mut out: Vec<&Summary> = base.iter().collect();
                for (i, s) in p {
                    out[*i] = s;
                }
                out
            }
        }
    }
}

impl Changed {
    /// No change at all: the stage as it is.
    pub fn unchanged(st: &Stage) -> Changed {
        Changed {
            eng: st.eng_sum,
            sys: Patch::Some(Vec::new()),
            ids: Patch::Some(Vec::new()),
        }
    }

    pub fn system<'c>(&'c self, st: &'c Stage, j: usize) -> &'c Summary {
        self.sys.get(&st.sys_sum, j)
    }

    pub fn identity<'c>(&'c self, st: &'c Stage, i: usize) -> &'c Summary {
        self.ids.get(&st.id_sum, i)
    }

    /// The report totals with the change; linear in the inventory, so computed on demand.
    pub fn totals(&self, st: &Stage, no_systems: bool) -> Totals {
        Totals::of(
            std::iter::once(&self.eng)
                .chain(self.sys.all(&st.sys_sum))
                .chain(self.ids.all(&st.id_sum)),
            no_systems,
        )
    }
}

/// Every rule evaluated for every entity, with summaries.
pub(crate) struct Stage<'a> {
    pub vis: Visibility,
    pub engagement: Vec<Eval<'a>>,
    pub systems: Vec<Vec<Eval<'a>>>,
    pub identities: Vec<Vec<Eval<'a>>>,
    pub eng_sum: Summary,
    pub sys_sum: Vec<Summary>,
    pub id_sum: Vec<Summary>,
    /// Per system: in SOC 1 or SOC 2 scope (what `any_system_in_scope` sees).
    pub in_scope: Vec<Tri>,
    /// Per system: the identities that can access it.
    pub linked_identities: Vec<Vec<usize>>,
}

pub(crate) fn eval_rules<'a>(q: &'a Questionnaire, key: EntityKey, env: &dyn Env) -> Vec<Eval<'a>> {
    let scope = match key {
        EntityKey::Engagement => Scope::Engagement,
        EntityKey::System(_) => Scope::System,
        EntityKey::Identity(_) => Scope::Identity,
    };
    q.rules_in(scope)
        .filter_map(|rule| {
            let mut trace = Trace::default();
            let result = rule.when.eval(env, &mut trace);
            (result != Tri::False).then_some(Eval {
                rule,
                key,
                result,
                trace,
            })
        })
        .collect()
}

impl<'a> Stage<'a> {
    pub fn new(q: &'a Questionnaire, s: &Session) -> Stage<'a> {
        let vis = visibility(q, s);
        let systems: Vec<Vec<Eval>> = (0..s.systems.len())
            .map(|i| {
                eval_rules(
                    q,
                    EntityKey::System(i),
                    &vis.env(q, s, EntityKey::System(i), &[]),
                )
            })
            .collect();
        let sys_sum: Vec<Summary> = systems.iter().map(|e| Summary::of(e)).collect();
        let in_scope: Vec<Tri> = sys_sum.iter().map(Summary::in_scope).collect();
        let identities: Vec<Vec<Eval>> = (0..s.identities.len())
            .map(|i| {
                eval_rules(
                    q,
                    EntityKey::Identity(i),
                    &vis.env(q, s, EntityKey::Identity(i), &in_scope),
                )
            })
            .collect();
        let id_sum = identities.iter().map(|e| Summary::of(e)).collect();
        let engagement = eval_rules(
            q,
            EntityKey::Engagement,
            &vis.env(q, s, EntityKey::Engagement, &[]),
        );
        let eng_sum = Summary::of(&engagement);
        let mut linked_identities = vec![Vec::new(); s.systems.len()];
        for (i, links) in vis.links.iter().enumerate() {
            for &j in links {
                linked_identities[j].push(i);
            }
        }
        Stage {
            vis,
            engagement,
            systems,
            identities,
            eng_sum,
            sys_sum,
            id_sum,
            in_scope,
            linked_identities,
        }
    }

    /// A system's own summary with its answers replaced: all a decision about that system
    /// needs (system rules read only the system's and the engagement's answers).
    pub fn system_with_change(
        &self,
        q: &'a Questionnaire,
        s: &Session,
        j: usize,
        answers: Answers,
    ) -> Summary {
        let key = EntityKey::System(j);
        let mut overlay = Overlay {
            key,
            answers,
            vis: Vec::new(),
        };
        overlay.vis = entity_visibility(q, s, &self.vis, key, Some(&overlay));
        Summary::of(&eval_rules(
            q,
            key,
            &self.vis.env_with(q, s, key, &self.in_scope, Some(&overlay)),
        ))
    }

    fn identity_with(
        &self,
        q: &'a Questionnaire,
        s: &Session,
        i: usize,
        in_scope: &[Tri],
        ov: Option<&Overlay>,
    ) -> Summary {
        Summary::of(&eval_rules(
            q,
            EntityKey::Identity(i),
            &self
                .vis
                .env_with(q, s, EntityKey::Identity(i), in_scope, ov),
        ))
    }

    pub fn totals(&self, no_systems: bool) -> Totals {
        Totals::of(
            std::iter::once(&self.eng_sum)
                .chain(&self.sys_sum)
                .chain(&self.id_sum),
            no_systems,
        )
    }

    /// Re-evaluates what one changed answer touches (the entity, and for a system the
    /// identities that can access it) and returns the new summaries. Engagement answers reach
    /// every entity, so for them everything is evaluated again.
    pub fn with_change(
        &self,
        q: &'a Questionnaire,
        s: &Session,
        key: EntityKey,
        answers: Answers,
    ) -> Changed {
        let mut overlay = Overlay {
            key,
            answers,
            vis: Vec::new(),
        };
        overlay.vis = entity_visibility(q, s, &self.vis, key, Some(&overlay));
        match key {
            EntityKey::Engagement => {
                let mut v = Visibility {
                    engagement: overlay.vis.clone(),
                    systems: Vec::new(),
                    identities: Vec::new(),
                    links: self.vis.links.clone(),
                };
                let ov = Some(&overlay);
                v.systems = (0..s.systems.len())
                    .map(|i| entity_visibility(q, s, &v, EntityKey::System(i), ov))
                    .collect();
                v.identities = (0..s.identities.len())
                    .map(|i| entity_visibility(q, s, &v, EntityKey::Identity(i), ov))
                    .collect();
                let sys: Vec<Summary> = (0..s.systems.len())
                    .map(|i| {
                        Summary::of(&eval_rules(
                            q,
                            EntityKey::System(i),
                            &v.env_with(q, s, EntityKey::System(i), &[], ov),
                        ))
                    })
                    .collect();
                let in_scope: Vec<Tri> = sys.iter().map(Summary::in_scope).collect();
                let ids = (0..s.identities.len())
                    .map(|i| {
                        Summary::of(&eval_rules(
                            q,
                            EntityKey::Identity(i),
                            &v.env_with(q, s, EntityKey::Identity(i), &in_scope, ov),
                        ))
                    })
                    .collect();
                let eng = Summary::of(&eval_rules(
                    q,
                    EntityKey::Engagement,
                    &v.env_with(q, s, EntityKey::Engagement, &[], ov),
                ));
                Changed {
                    eng,
                    sys: Patch::All(sys),
                    ids: Patch::All(ids),
                }
            }
            EntityKey::System(j) => {
                let ov = Some(&overlay);
                let sys_j = Summary::of(&eval_rules(
                    q,
                    key,
                    &self.vis.env_with(q, s, key, &self.in_scope, ov),
                ));
                // Only the identities that can access the system see its scope change; the
                // scope vector is copied only when it does change.
                let mut ids = Vec::new();
                if sys_j.in_scope() == self.in_scope[j] {
                    for &i in &self.linked_identities[j] {
                        ids.push((i, self.identity_with(q, s, i, &self.in_scope, ov)));
                    }
                } else {
                    let mut in_scope = self.in_scope.clone();
                    in_scope[j] = sys_j.in_scope();
                    for &i in &self.linked_identities[j] {
                        ids.push((i, self.identity_with(q, s, i, &in_scope, ov)));
                    }
                }
                Changed {
                    eng: self.eng_sum,
                    sys: Patch::Some(vec![(j, sys_j)]),
                    ids: Patch::Some(ids),
                }
            }
            EntityKey::Identity(i) => Changed {
                eng: self.eng_sum,
                sys: Patch::Some(Vec::new()),
                ids: Patch::Some(vec![(
                    i,
                    self.identity_with(q, s, i, &self.in_scope, Some(&overlay)),
                )]),
            },
        }
    }
}

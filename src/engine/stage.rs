//! The evaluation stage: every rule run once per entity, folded into per-entity summaries and
//! report totals. Kept separate from the rationale so that "what if this answer changed" can
//! re-run one entity and re-fold the totals without rebuilding everything.

use crate::questionnaire::condition::{Boundary, Condition, EntityKey, Env, Lookup, Trace, Tri};
use crate::questionnaire::{
    Category, Findings, Link, Questionnaire, Report, ReportType, Rule, Scope, SubserviceMethod,
};
use crate::session::{Answers, Session, Value};

use super::Verdict;
use super::visibility::{self, Overlay, Visibility, entity_visibility};

/// One rule's result for one entity; only true and open results are kept. Owned (the rule by
/// its index in `Questionnaire::rules`), so the app can keep the traces between answers.
pub(crate) struct Eval {
    pub rule: u32,
    /// The entity the rule ran for.
    pub key: EntityKey,
    pub result: Tri,
    pub trace: Trace,
}

impl Eval {
    pub(crate) fn rule<'q>(&self, q: &'q Questionnaire) -> &'q Rule {
        &q.rules[self.rule as usize]
    }
}

/// Kleene "or" over the evaluations whose findings match `pred`, with the evaluations behind it
/// (the true ones when true, the open ones when open).
pub(crate) fn fold<'e>(
    q: &Questionnaire,
    evals: impl IntoIterator<Item = &'e Eval>,
    pred: impl Fn(&Findings) -> bool,
) -> (Tri, Vec<&'e Eval>) {
    let mut fired = Vec::new();
    let mut open = Vec::new();
    for e in evals.into_iter().filter(|e| pred(&e.rule(q).findings)) {
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

/// Per report (`Report::index`), per Type (`type_index`): whether a rule asks for that Type.
pub(crate) type Types = [[Tri; 2]; 2];

fn type_index(t: ReportType) -> usize {
    match t {
        ReportType::Type1 => 0,
        ReportType::Type2 => 1,
    }
}

/// What one entity contributes to the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Summary {
    /// SOC 1 relevance (never demand alone).
    pub soc1: Tri,
    /// Someone asks for a SOC 1.
    pub soc1_demand: Tri,
    pub soc2: Tri,
    pub cats: [Tri; 5],
    pub subservice: Option<SubserviceMethod>,
    pub types: Types,
    /// Per report: it would be the first examination of its kind (`first_examination = true`).
    pub first: [Tri; 2],
    /// Per report: a renewal that follows on from an earlier report (`first_examination = false`).
    pub renewal: [Tri; 2],
}

impl Summary {
    /// From every rule of the entity's scope (in `rules_in` order) and its result.
    pub(crate) fn of_results(rules: &[&Rule], results: &[Tri]) -> Summary {
        Summary::from_results(rules.iter().zip(results).map(|(r, t)| (&r.findings, *t)))
    }

    /// Kleene "or" of the results whose findings match, per finding; false results add
    /// nothing, so the evaluations kept by `Stage` and the full result vector agree.
    fn from_results<'f>(results: impl Iterator<Item = (&'f Findings, Tri)> + Clone) -> Summary {
        let any = |pred: &dyn Fn(&Findings) -> bool| {
            results
                .clone()
                .filter(|(f, _)| pred(f))
                .fold(Tri::False, |acc, (_, t)| tri_or(acc, t))
        };
        let subservice = (any(&|f| f.subservice.is_some()) == Tri::True).then(|| {
            if results
                .clone()
                .any(|(f, t)| t == Tri::True && f.subservice == Some(SubserviceMethod::Inclusive))
            {
                SubserviceMethod::Inclusive
            } else {
                SubserviceMethod::CarveOut
            }
        });
        let per_report =
            |pred: &dyn Fn(&Findings) -> bool| Report::ALL.map(|r| any(&|f| f.about(r) && pred(f)));
        let types = Report::ALL.map(|r| {
            [ReportType::Type1, ReportType::Type2]
                // A category's own Type 1 (`type1_for`) leaves the report's Type alone.
                .map(|t| any(&|f| f.about(r) && f.report_type == Some(t) && f.type1_for.is_none()))
        });
        let mut s = Summary {
            soc1: any(&|f| f.soc1 == Some(true)),
            soc1_demand: any(&|f| f.soc1_demand == Some(true)),
            soc2: any(&Findings::soc2_positive),
            cats: Category::ALL.map(|c| any(&|f| f.categories.contains(&c))),
            subservice,
            types,
            first: per_report(&|f| f.first_examination == Some(true)),
            renewal: per_report(&|f| f.first_examination == Some(false)),
        };
        if s.carved_out() {
            // Outside the boundary: disclosed, but it does not make the report.
            s.soc1 = Tri::False;
            s.soc2 = Tri::False;
            s.cats = [Tri::False; 5];
            s.types = [[Tri::False; 2]; 2];
        }
        s
    }

    pub(crate) fn carved_out(&self) -> bool {
        self.subservice == Some(SubserviceMethod::CarveOut)
    }

    pub(crate) fn in_scope(&self) -> Tri {
        tri_or(self.soc1, self.soc2)
    }

    /// Whether an identity that can reach this system is reaching the boundary: a system in
    /// scope, or a subservice organisation (a carve-out excludes the vendor's controls, not
    /// ours over our use of it: our accounts and keys there stay in scope, domain.md §3).
    pub(crate) fn reached(&self) -> Tri {
        if self.subservice.is_some() {
            Tri::True
        } else {
            self.in_scope()
        }
    }

    pub(crate) fn verdict(&self) -> Verdict {
        verdict_of(self.soc1, self.soc2)
    }
}

/// The report as a whole: Kleene "or" over the engagement and every entity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Totals {
    pub soc1: Tri,
    pub soc1_demand: Tri,
    pub soc2: Tri,
    pub cats: [Tri; 5],
    pub types: Types,
    pub first: [Tri; 2],
    pub renewal: [Tri; 2],
}

impl Totals {
    pub(crate) fn of<'s>(all: impl Iterator<Item = &'s Summary>, no_systems: bool) -> Totals {
        let mut t = Totals {
            soc1: Tri::False,
            soc1_demand: Tri::False,
            soc2: Tri::False,
            cats: [Tri::False; 5],
            types: [[Tri::False; 2]; 2],
            first: [Tri::False; 2],
            renewal: [Tri::False; 2],
        };
        let mut n = 0;
        for s in all {
            n += 1;
            t.soc1 = tri_or(t.soc1, s.soc1);
            t.soc1_demand = tri_or(t.soc1_demand, s.soc1_demand);
            t.soc2 = tri_or(t.soc2, s.soc2);
            for i in 0..5 {
                t.cats[i] = tri_or(t.cats[i], s.cats[i]);
            }
            for r in 0..2 {
                for k in 0..2 {
                    t.types[r][k] = tri_or(t.types[r][k], s.types[r][k]);
                }
                t.first[r] = tri_or(t.first[r], s.first[r]);
                t.renewal[r] = tri_or(t.renewal[r], s.renewal[r]);
            }
        }
        super::steps::add(n);
        t.settle(no_systems)
    }

    /// With no systems nothing is settled negatively.
    fn settle(mut self, no_systems: bool) -> Totals {
        if no_systems {
            self.soc1 = tri_or(self.soc1, Tri::Open);
            self.soc2 = tri_or(self.soc2, Tri::Open);
        }
        self
    }

    pub(crate) const FIELD_SOC1: u16 = 1;
    pub(crate) const FIELD_SOC2: u16 = 1 << 1;
    /// Both Type signals of one report (`field_type`).
    const FIELD_TYPE_SOC1: u16 = 1 << 2;
    const FIELD_TYPE_SOC2: u16 = 1 << 3;

    pub(crate) fn field_category(c: Category) -> u16 {
        1 << (4 + cat_index(c))
    }

    pub(crate) fn field_type(r: Report) -> u16 {
        match r {
            Report::Soc1 => Totals::FIELD_TYPE_SOC1,
            Report::Soc2 => Totals::FIELD_TYPE_SOC2,
        }
    }

    /// Whether every field in `fields` is already true: more entities cannot change them.
    fn all_true(&self, fields: u16) -> bool {
        let type_true = |r: Report| self.types[r.index()].iter().all(|t| *t == Tri::True);
        let mut fs = vec![
            (Totals::FIELD_SOC1, self.soc1 == Tri::True),
            (Totals::FIELD_SOC2, self.soc2 == Tri::True),
            (Totals::FIELD_TYPE_SOC1, type_true(Report::Soc1)),
            (Totals::FIELD_TYPE_SOC2, type_true(Report::Soc2)),
        ];
        fs.extend(Category::ALL.iter().map(|c| {
            (
                Totals::field_category(*c),
                self.cats[cat_index(*c)] == Tri::True,
            )
        }));
        fs.iter().all(|(bit, t)| fields & bit == 0 || *t)
    }

    pub(crate) fn verdict(&self) -> Verdict {
        verdict_of(self.soc1, self.soc2)
    }

    /// Whether the report is called for (relevance for a SOC 1, demand or commitments for a
    /// SOC 2).
    pub(crate) fn report(&self, r: Report) -> Tri {
        match r {
            Report::Soc1 => self.soc1,
            Report::Soc2 => self.soc2,
        }
    }

    /// A category in a SOC 2: Security comes with any SOC 2; the others when their commitment is
    /// made.
    pub(crate) fn category(&self, c: Category) -> Tri {
        if c == Category::Security {
            self.soc2
        } else {
            self.cats[cat_index(c)]
        }
    }

    /// The Type of one report: a settled Type 1 signal wins (controls too new to observe a
    /// period, or a first examination still to be prepared); `None` while undecided or when
    /// the report is not called for.
    pub(crate) fn report_type(&self, r: Report) -> Option<ReportType> {
        let t = self.types[r.index()];
        if self.report(r) == Tri::False {
            None
        } else if t[type_index(ReportType::Type1)] == Tri::True {
            Some(ReportType::Type1)
        } else if t[type_index(ReportType::Type2)] == Tri::True {
            Some(ReportType::Type2)
        } else {
            None
        }
    }
}

/// The report totals kept as counts of true and open values per field, so that replacing a
/// few entities' summaries costs what they are, not a fold over the inventory.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Tally {
    /// Per field (`Tally::fields` order): how many summaries have it true, and open.
    counts: [[u32; 2]; 16],
}

impl Tally {
    fn fields(s: &Summary) -> [Tri; 16] {
        let [c0, c1, c2, c3, c4] = s.cats;
        let [[t00, t01], [t10, t11]] = s.types;
        [
            s.soc1,
            s.soc1_demand,
            s.soc2,
            c0,
            c1,
            c2,
            c3,
            c4,
            t00,
            t01,
            t10,
            t11,
            s.first[0],
            s.first[1],
            s.renewal[0],
            s.renewal[1],
        ]
    }

    fn count(&mut self, s: &Summary, add: bool) {
        for (c, t) in self.counts.iter_mut().zip(Tally::fields(s)) {
            let k = match t {
                Tri::True => 0,
                Tri::Open => 1,
                Tri::False => continue,
            };
            c[k] = if add {
                c[k] + 1
            } else {
                c[k].saturating_sub(1)
            };
        }
    }

    pub(crate) fn add(&mut self, s: &Summary) {
        self.count(s, true);
    }

    pub(crate) fn remove(&mut self, s: &Summary) {
        self.count(s, false);
    }

    /// What `Totals::of` gives for the summaries counted.
    pub(crate) fn totals(&self, no_systems: bool) -> Totals {
        let f: [Tri; 16] = self.counts.map(|[t, o]| {
            if t > 0 {
                Tri::True
            } else if o > 0 {
                Tri::Open
            } else {
                Tri::False
            }
        });
        Totals {
            soc1: f[0],
            soc1_demand: f[1],
            soc2: f[2],
            cats: [f[3], f[4], f[5], f[6], f[7]],
            types: [[f[8], f[9]], [f[10], f[11]]],
            first: [f[12], f[13]],
            renewal: [f[14], f[15]],
        }
        .settle(no_systems)
    }
}

/// What a "what if" question needs from a change, so that it computes no more than that.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Want {
    /// Every summary.
    Everything,
    /// Only these report totals (`Totals::FIELD_*` bits): entities that cannot change them are
    /// not evaluated again, so other totals and per-entity summaries may be stale.
    Totals(u16),
    /// Only this system's summary.
    System(usize),
    /// Only this identity's summary.
    Identity(usize),
}

/// The summaries after one changed answer: those that differ from the evaluation's, so that
/// trying a change costs what it reaches, not the size of the inventory.
pub(crate) struct Changed {
    pub eng: Summary,
    sys: Patch,
    ids: Patch,
}

enum Patch {
    /// Every entity was evaluated again.
    All(Vec<Summary>),
    /// Only these entities, sorted by index; the others keep the evaluation's summary.
    Some(Vec<(usize, Summary)>),
}

impl Patch {
    fn get<'p>(&'p self, base: &'p [Summary], i: usize) -> &'p Summary {
        match self {
            Patch::All(v) => &v[i],
            Patch::Some(p) => match p.binary_search_by_key(&i, |(j, _)| *j) {
                Ok(k) => &p[k].1,
                Err(_) => &base[i],
            },
        }
    }

    /// Every summary, the patched ones replacing the evaluation's: O(inventory + patch).
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
    /// No change at all: the evaluation as it is.
    pub(crate) fn unchanged(ev: &Evaluation) -> Changed {
        Changed {
            eng: ev.eng_sum,
            sys: Patch::Some(Vec::new()),
            ids: Patch::Some(Vec::new()),
        }
    }

    pub(crate) fn system<'c>(&'c self, ev: &'c Evaluation, j: usize) -> &'c Summary {
        self.sys.get(&ev.sys_sum, j)
    }

    pub(crate) fn identity<'c>(&'c self, ev: &'c Evaluation, i: usize) -> &'c Summary {
        self.ids.get(&ev.id_sum, i)
    }

    /// The report totals with the change; linear in the inventory, so computed on demand.
    pub(crate) fn totals(&self, ev: &Evaluation, no_systems: bool) -> Totals {
        Totals::of(
            std::iter::once(&self.eng)
                .chain(self.sys.all(&ev.sys_sum))
                .chain(self.ids.all(&ev.id_sum)),
            no_systems,
        )
    }
}

/// The result of every rule of the entity's scope, in `rules_in` order (untraced).
fn rule_values(rules: &[&Rule], env: &dyn Env) -> Vec<Tri> {
    super::steps::add(rules.len());
    rules.iter().map(|r| r.when.value(env)).collect()
}

/// The identity rules in result order and the questions each reads, made once for many
/// [`Evaluation::identity_with_change`] calls.
pub(crate) struct IdentityRules<'q> {
    rules: Vec<&'q Rule>,
    reads: Vec<Vec<usize>>,
    /// Per question: whether an identity question's `show_if` reads it.
    shows: Vec<bool>,
}

impl<'q> IdentityRules<'q> {
    pub(crate) fn of(q: &'q Questionnaire) -> IdentityRules<'q> {
        let rules: Vec<&Rule> = q.rules_in(Scope::Identity).collect();
        let rule_reads = rules.iter().map(|r| reads(&r.when)).collect();
        let mut shows = vec![false; q.questions.len()];
        let show_ifs = q
            .questions
            .iter()
            .filter(|x| x.scope == Scope::Identity)
            .filter_map(|x| x.show_if.as_ref());
        for c in show_ifs {
            for qi in reads(c) {
                if let Some(x) = shows.get_mut(qi) {
                    *x = true;
                }
            }
        }
        IdentityRules {
            rules,
            reads: rule_reads,
            shows,
        }
    }
}

/// The questions a condition's value depends on: each test's question and the policy
/// question an `older_than` counts from.
fn reads(c: &Condition) -> Vec<usize> {
    let mut out = Vec::new();
    for a in c.atoms() {
        out.push(a.qi);
        if let crate::questionnaire::condition::Test::OlderThan(
            crate::questionnaire::condition::Age::Question { qi, .. },
        ) = &a.test
        {
            out.push(*qi);
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// The rules of each scope, in the order result vectors use.
pub(crate) struct Rules<'a> {
    pub engagement: Vec<&'a Rule>,
    pub system: Vec<&'a Rule>,
    pub identity: Vec<&'a Rule>,
}

impl<'a> Rules<'a> {
    pub(crate) fn of(q: &'a Questionnaire) -> Rules<'a> {
        Rules {
            engagement: q.rules_in(Scope::Engagement).collect(),
            system: q.rules_in(Scope::System).collect(),
            identity: q.rules_in(Scope::Identity).collect(),
        }
    }
}

/// Every rule's result for every entity, with the summaries and totals they fold into. Owns
/// everything (no borrow of the questionnaire), so the app can keep it between keystrokes and
/// try "what if" changes against it without evaluating the session again.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    pub(crate) vis: Visibility,
    /// Per entity, every rule of its scope's result, in `rules_in` order.
    eng_res: Vec<Tri>,
    sys_res: Vec<Vec<Tri>>,
    id_res: Vec<Vec<Tri>>,
    pub(crate) eng_sum: Summary,
    pub(crate) sys_sum: Vec<Summary>,
    pub(crate) id_sum: Vec<Summary>,
    /// Per system: in SOC 1 or SOC 2 scope, or a subservice organisation (what
    /// `any_system_in_scope` sees, `Summary::reached`).
    pub(crate) in_scope: Vec<Tri>,
    /// Per system: the identities that can access it (sorted, once each).
    pub(crate) linked_identities: Vec<Vec<usize>>,
    /// The session's inventory revision when evaluated (`Revision::inventory`): `fits` compares
    /// it instead of resolving every identity's links again.
    inventory: u64,
}

impl Evaluation {
    /// Evaluates every rule for every entity, without recording why.
    pub fn new(q: &Questionnaire, s: &Session) -> Evaluation {
        let rules = Rules::of(q);
        let vis = visibility::visibility(q, s);
        let sys_res: Vec<Vec<Tri>> = (0..s.systems.len())
            .map(|j| rule_values(&rules.system, &vis.env(q, s, EntityKey::System(j), &[])))
            .collect();
        let sys_sum: Vec<Summary> = sys_res
            .iter()
            .map(|r| Summary::of_results(&rules.system, r))
            .collect();
        let in_scope: Vec<Tri> = sys_sum.iter().map(Summary::reached).collect();
        // Once per pattern of what the identity rules read (h/import2: a million imported
        // identities are a few hundred patterns).
        let first = visibility::identity_patterns(
            q,
            s,
            &vis,
            rules.identity.iter().map(|r| &r.when),
            &in_scope,
        );
        let mut id_res: Vec<Vec<Tri>> = Vec::with_capacity(s.identities.len());
        for (i, &k) in first.iter().enumerate() {
            let r = match id_res.get(k) {
                Some(r) if k < i => r.clone(),
                _ => rule_values(
                    &rules.identity,
                    &vis.env(q, s, EntityKey::Identity(i), &in_scope),
                ),
            };
            id_res.push(r);
        }
        let id_sum = id_res
            .iter()
            .map(|r| Summary::of_results(&rules.identity, r))
            .collect();
        let eng_res = rule_values(
            &rules.engagement,
            &vis.env(q, s, EntityKey::Engagement, &[]),
        );
        let eng_sum = Summary::of_results(&rules.engagement, &eng_res);
        let mut linked_identities = vec![Vec::new(); s.systems.len()];
        for (i, links) in vis.links.iter().enumerate() {
            for &j in links {
                linked_identities[j].push(i);
            }
        }
        for l in &mut linked_identities {
            l.dedup();
        }
        Evaluation {
            vis,
            eng_res,
            sys_res,
            id_res,
            eng_sum,
            sys_sum,
            id_sum,
            in_scope,
            linked_identities,
            inventory: s.revision.inventory(),
        }
    }

    /// The evaluation of nothing: a placeholder while the kept one is moved out and back.
    fn empty() -> Evaluation {
        let none = Summary::from_results(std::iter::empty());
        Evaluation {
            vis: Visibility {
                engagement: Vec::new(),
                systems: Vec::new(),
                identities: Vec::new(),
                links: Vec::new(),
            },
            eng_res: Vec::new(),
            sys_res: Vec::new(),
            id_res: Vec::new(),
            eng_sum: none,
            sys_sum: Vec::new(),
            id_sum: Vec::new(),
            in_scope: Vec::new(),
            linked_identities: Vec::new(),
            inventory: u64::MAX,
        }
    }

    /// Takes the evaluation out of `slot`, leaving the empty one.
    pub(crate) fn take(slot: &mut Evaluation) -> Evaluation {
        std::mem::replace(slot, Evaluation::empty())
    }

    /// Brings the evaluation up to date after answers of the entity `key` changed in `s`,
    /// re-running only what those answers reach: a system's own rules and visibility, then
    /// each identity that can access it (identities read their systems' answers and scope);
    /// an identity itself. Engagement answers reach every entity: evaluated again in full.
    /// The inventory (systems, identities, links) must be the one evaluated; a caller that
    /// changed it uses `Evaluation::new`.
    ///
    /// Returns whether any re-run entity's visibility changed (always true for the engagement).
    pub fn apply(&mut self, q: &Questionnaire, s: &Session, key: EntityKey) -> bool {
        let rules = Rules::of(q);
        match key {
            EntityKey::Engagement => {
                *self = Evaluation::new(q, s);
                true
            }
            EntityKey::System(j) => {
                let vis = entity_visibility(q, s, &self.vis, key, None);
                let mut asked = vis != self.vis.systems[j];
                self.vis.systems[j] = vis;
                self.sys_res[j] = rule_values(&rules.system, &self.vis.env(q, s, key, &[]));
                self.sys_sum[j] = Summary::of_results(&rules.system, &self.sys_res[j]);
                self.in_scope[j] = self.sys_sum[j].reached();
                for n in 0..self.linked_identities[j].len() {
                    let i = self.linked_identities[j][n];
                    asked |= self.apply_identity(q, s, &rules, i);
                }
                asked
            }
            EntityKey::Identity(i) => self.apply_identity(q, s, &rules, i),
        }
    }

    fn apply_identity(&mut self, q: &Questionnaire, s: &Session, rules: &Rules, i: usize) -> bool {
        let key = EntityKey::Identity(i);
        let vis = entity_visibility(q, s, &self.vis, key, None);
        let asked = vis != self.vis.identities[i];
        self.vis.identities[i] = vis;
        self.id_res[i] = rule_values(&rules.identity, &self.vis.env(q, s, key, &self.in_scope));
        self.id_sum[i] = Summary::of_results(&rules.identity, &self.id_res[i]);
        asked
    }

    /// Whether this evaluation was made for `s`'s inventory: the same systems and identities,
    /// each identity linked to the same systems (what `apply` needs). Every change to the
    /// inventory moves its revision, so no link is resolved again (that was a pass over every
    /// identity per answer).
    pub(crate) fn fits(&self, s: &Session) -> bool {
        self.sys_res.len() == s.systems.len()
            && self.id_res.len() == s.identities.len()
            && self.inventory == s.revision.inventory()
    }

    /// Which questions each entity is asked.
    pub fn visibility(&self) -> &Visibility {
        &self.vis
    }

    /// One entity's summary.
    pub(crate) fn summary(&self, key: EntityKey) -> &Summary {
        match key {
            EntityKey::Engagement => &self.eng_sum,
            EntityKey::System(j) => &self.sys_sum[j],
            EntityKey::Identity(i) => &self.id_sum[i],
        }
    }

    pub(crate) fn results(&self, key: EntityKey) -> &[Tri] {
        match key {
            EntityKey::Engagement => &self.eng_res,
            EntityKey::System(j) => &self.sys_res[j],
            EntityKey::Identity(i) => &self.id_res[i],
        }
    }

    pub(crate) fn totals(&self, no_systems: bool) -> Totals {
        Totals::of(
            std::iter::once(&self.eng_sum)
                .chain(&self.sys_sum)
                .chain(&self.id_sum),
            no_systems,
        )
    }

    fn overlay(&self, q: &Questionnaire, s: &Session, key: EntityKey, answers: Answers) -> Overlay {
        let mut overlay = Overlay {
            key,
            answers,
            vis: Vec::new(),
        };
        overlay.vis = entity_visibility(q, s, &self.vis, key, Some(&overlay));
        overlay
    }

    /// The questions a changed answer would newly ask of its entity that have no answer yet
    /// (what an undetermined outcome after the change waits for).
    pub(crate) fn newly_asked(
        &self,
        q: &Questionnaire,
        s: &Session,
        key: EntityKey,
        answers: &Answers,
    ) -> Vec<usize> {
        let overlay = self.overlay(q, s, key, answers.clone());
        let before = self.vis.of(key);
        overlay
            .vis
            .iter()
            .enumerate()
            .filter(|&(qi, t)| {
                *t == Tri::True
                    && before.get(qi) != Some(&Tri::True)
                    && !answers.contains_key(&q.questions[qi].id)
            })
            .map(|(qi, _)| qi)
            .collect()
    }

    /// A system's own summary with its answers replaced: all a decision about that system
    /// needs (system rules read only the system's and the engagement's answers).
    pub(crate) fn system_with_change(
        &self,
        q: &Questionnaire,
        s: &Session,
        j: usize,
        answers: Answers,
    ) -> Summary {
        let key = EntityKey::System(j);
        let overlay = self.overlay(q, s, key, answers);
        let rules = q.rules_in(Scope::System).collect::<Vec<_>>();
        Summary::of_results(
            &rules,
            &rule_values(
                &rules,
                &self.vis.env_with(q, s, key, &self.in_scope, Some(&overlay)),
            ),
        )
    }

    /// An identity's own summary with its answer to question `qi` replaced (`answers`): all a
    /// decision about that identity needs. Only the rules reading that question or one whose
    /// visibility the change alters run again; the others keep the evaluation's result, as
    /// nothing else they read (the engagement, the linked systems) changed.
    pub(crate) fn identity_with_change(
        &self,
        q: &Questionnaire,
        s: &Session,
        id_rules: &IdentityRules,
        i: usize,
        (qi, answers): (usize, Answers),
    ) -> Summary {
        let (rules, reads) = (&id_rules.rules, &id_rules.reads);
        let key = EntityKey::Identity(i);
        let before = self.vis.of(key);
        // No identity question's `show_if` reads it: what the identity is asked stays as it is.
        let overlay = if id_rules.shows.get(qi).copied().unwrap_or(true) {
            self.overlay(q, s, key, answers)
        } else {
            Overlay {
                key,
                answers,
                vis: before.to_vec(),
            }
        };
        let changed: Vec<usize> = std::iter::once(qi)
            .chain(
                overlay
                    .vis
                    .iter()
                    .enumerate()
                    .filter(|&(x, t)| x != qi && before.get(x) != Some(t))
                    .map(|(x, _)| x),
            )
            .collect();
        let redo: Vec<usize> = (0..rules.len())
            .filter(|&p| reads[p].iter().any(|x| changed.contains(x)))
            .collect();
        if redo.is_empty() {
            return self.id_sum[i];
        }
        let env = self.vis.env_with(q, s, key, &self.in_scope, Some(&overlay));
        super::steps::add(redo.len());
        let mut res = self.id_res[i].clone();
        for p in redo {
            res[p] = rules[p].when.value(&env);
        }
        Summary::of_results(rules, &res)
    }

    /// Re-evaluates what one changed answer reaches and returns the new summaries: for a
    /// system, the system and the identities that can access it; for an identity, itself; for
    /// the engagement, only the rules (of every entity) that read a changed engagement answer
    /// or visibility, plus the rules that read the scope of a system whose scope changed.
    pub(crate) fn with_change(
        &self,
        q: &Questionnaire,
        s: &Session,
        key: EntityKey,
        answers: Answers,
        want: Want,
    ) -> Changed {
        let rules = Rules::of(q);
        let overlay = self.overlay(q, s, key, answers);
        let ov = Some(&overlay);
        match key {
            EntityKey::Engagement => self.engagement_change(q, s, &rules, &overlay, want),
            EntityKey::System(j) => {
                let sys_j = Summary::of_results(
                    &rules.system,
                    &rule_values(
                        &rules.system,
                        &self.vis.env_with(q, s, key, &self.in_scope, ov),
                    ),
                );
                // Only the identities that can access the system see its change; the scope
                // vector is copied only when the system's scope changes.
                let changed_scope;
                let in_scope = if sys_j.reached() == self.in_scope[j] {
                    &self.in_scope
                } else {
                    let mut v = self.in_scope.clone();
                    v[j] = sys_j.reached();
                    changed_scope = v;
                    &changed_scope
                };
                let only = match want {
                    Want::Identity(i) => Some(i),
                    _ => None,
                };
                let ids = self.linked_identities[j]
                    .iter()
                    .filter(|&&i| only.is_none_or(|o| o == i))
                    .map(|&i| {
                        let env = self
                            .vis
                            .env_with(q, s, EntityKey::Identity(i), in_scope, ov);
                        (
                            i,
                            Summary::of_results(
                                &rules.identity,
                                &rule_values(&rules.identity, &env),
                            ),
                        )
                    })
                    .collect();
                Changed {
                    eng: self.eng_sum,
                    sys: Patch::Some(vec![(j, sys_j)]),
                    ids: Patch::Some(ids),
                }
            }
            EntityKey::Identity(i) => {
                let env = self.vis.env_with(q, s, key, &self.in_scope, ov);
                Changed {
                    eng: self.eng_sum,
                    sys: Patch::Some(Vec::new()),
                    ids: Patch::Some(vec![(
                        i,
                        Summary::of_results(&rules.identity, &rule_values(&rules.identity, &env)),
                    )]),
                }
            }
        }
    }

    fn engagement_change(
        &self,
        q: &Questionnaire,
        s: &Session,
        rules: &Rules,
        overlay: &Overlay,
        want: Want,
    ) -> Changed {
        let ov = Some(overlay);
        // The engagement questions whose answer or visibility differs.
        let changed: Vec<bool> = q
            .questions
            .iter()
            .enumerate()
            .map(|(qi, x)| {
                x.scope == Scope::Engagement
                    && (self.vis.engagement.get(qi) != overlay.vis.get(qi)
                        || s.engagement.get(&x.id).map(|a| &a.value)
                            != overlay.answers.get(&x.id).map(|a| &a.value))
            })
            .collect();
        let reads = |c: &Condition| c.atoms().iter().any(|a| changed[a.qi]);
        let eng_res = rule_values(
            &rules.engagement,
            &self.vis.env_with(q, s, EntityKey::Engagement, &[], ov),
        );
        let eng = Summary::of_results(&rules.engagement, &eng_res);
        if q.questions
            .iter()
            .any(|x| x.scope != Scope::Engagement && x.show_if.as_ref().is_some_and(reads))
        {
            // What systems and identities are asked changes: evaluate them all again.
            return self.engagement_change_everywhere(q, s, rules, overlay, eng);
        }
        let redo = |scope_rules: &[&Rule], pred: &dyn Fn(&Condition) -> bool| -> Vec<usize> {
            (0..scope_rules.len())
                .filter(|&p| pred(&scope_rules[p].when))
                .collect()
        };
        let sys_redo = redo(&rules.system, &reads);
        let id_redo = redo(&rules.identity, &reads);
        let link_redo: Vec<usize> = redo(&rules.identity, &|c| c.reads_system_scope())
            .into_iter()
            .filter(|p| !id_redo.contains(p))
            .collect();

        // Systems: those the question needs, each re-running only the rules that read a
        // changed answer.
        let system = |j: usize| -> Summary {
            if sys_redo.is_empty() {
                return self.sys_sum[j];
            }
            let env = self.vis.env_with(q, s, EntityKey::System(j), &[], ov);
            let mut res = self.sys_res[j].clone();
            for &p in &sys_redo {
                res[p] = rules.system[p].when.value(&env);
            }
            Summary::of_results(&rules.system, &res)
        };
        let systems: Vec<usize> = match want {
            Want::System(j) => vec![j],
            Want::Identity(i) => self.vis.links[i].clone(),
            Want::Everything | Want::Totals(_) => (0..s.systems.len()).collect(),
        };
        let mut sys = Vec::new();
        let mut in_scope: Option<Vec<Tri>> = None;
        for j in systems {
            let sum = system(j);
            if sum != self.sys_sum[j] {
                if sum.reached() != self.in_scope[j] {
                    in_scope.get_or_insert_with(|| self.in_scope.clone())[j] = sum.reached();
                }
                sys.push((j, sum));
            }
        }
        sys.sort_by_key(|(j, _)| *j);
        sys.dedup_by_key(|(j, _)| *j);
        let sys = Patch::Some(sys);
        if matches!(want, Want::System(_)) {
            return Changed {
                eng,
                sys,
                ids: Patch::Some(Vec::new()),
            };
        }

        // Identities: the rules that read a changed answer, and those that read the scope of
        // its systems when that (one value per identity) changed.
        let scope_now = in_scope.as_deref().unwrap_or(&self.in_scope);
        let any_in_scope = |scope: &[Tri], i: usize| {
            self.vis.links[i]
                .iter()
                .fold(Tri::False, |acc, &j| tri_or(acc, scope[j]))
        };
        let redo_links = |i: usize| {
            in_scope.is_some()
                && !link_redo.is_empty()
                && any_in_scope(scope_now, i) != any_in_scope(&self.in_scope, i)
        };
        let identities: Vec<usize> = match want {
            Want::Identity(i) => vec![i],
            _ => (0..s.identities.len())
                .filter(|&i| !id_redo.is_empty() || redo_links(i))
                .collect(),
        };
        if let Want::Totals(fields) = want {
            // Totals are an "or": when what the question needs is already true without the
            // identities still to re-run, they cannot change it.
            let mut skip = vec![false; s.identities.len()];
            for &i in &identities {
                skip[i] = true;
            }
            let partial = Totals::of(
                std::iter::once(&eng).chain(sys.all(&self.sys_sum)).chain(
                    self.id_sum
                        .iter()
                        .zip(&skip)
                        .filter(|(_, k)| !**k)
                        .map(|(x, _)| x),
                ),
                s.systems.is_empty(),
            );
            if partial.all_true(fields) {
                return Changed {
                    eng,
                    sys,
                    ids: Patch::Some(Vec::new()),
                };
            }
        }
        let mut ids = Vec::new();
        for i in identities {
            let env = self
                .vis
                .env_with(q, s, EntityKey::Identity(i), scope_now, ov);
            let mut res = self.id_res[i].clone();
            let links = if redo_links(i) { &link_redo[..] } else { &[] };
            for &p in id_redo.iter().chain(links) {
                res[p] = rules.identity[p].when.value(&env);
            }
            let sum = Summary::of_results(&rules.identity, &res);
            if sum != self.id_sum[i] {
                ids.push((i, sum));
            }
        }
        Changed {
            eng,
            sys,
            ids: Patch::Some(ids),
        }
    }

    /// An engagement change that changes which questions systems or identities are asked:
    /// everything is evaluated again with the new visibility.
    fn engagement_change_everywhere(
        &self,
        q: &Questionnaire,
        s: &Session,
        rules: &Rules,
        overlay: &Overlay,
        eng: Summary,
    ) -> Changed {
        let ov = Some(overlay);
        let mut v = Visibility {
            engagement: overlay.vis.clone(),
            systems: Vec::new(),
            identities: Vec::new(),
            links: self.vis.links.clone(),
        };
        v.systems = (0..s.systems.len())
            .map(|i| entity_visibility(q, s, &v, EntityKey::System(i), ov))
            .collect();
        v.identities = (0..s.identities.len())
            .map(|i| entity_visibility(q, s, &v, EntityKey::Identity(i), ov))
            .collect();
        let sys: Vec<Summary> = (0..s.systems.len())
            .map(|i| {
                let env = v.env_with(q, s, EntityKey::System(i), &[], ov);
                Summary::of_results(&rules.system, &rule_values(&rules.system, &env))
            })
            .collect();
        let in_scope: Vec<Tri> = sys.iter().map(Summary::reached).collect();
        let ids = (0..s.identities.len())
            .map(|i| {
                let env = v.env_with(q, s, EntityKey::Identity(i), &in_scope, ov);
                Summary::of_results(&rules.identity, &rule_values(&rules.identity, &env))
            })
            .collect();
        Changed {
            eng,
            sys: Patch::All(sys),
            ids: Patch::All(ids),
        }
    }
}

/// For every rule that did not come out false, the answers behind its result: what the
/// recommendation's rationale is built from. Owned, so the app keeps it between answers and
/// traces again only the entities an answer re-ran (`retrace`).
pub(crate) struct Traces {
    pub engagement: Vec<Eval>,
    /// Per system: its rules, then the late rules (`Rule::late`) that did not come out false.
    pub systems: Vec<Vec<Eval>>,
    pub identities: Vec<Vec<Eval>>,
    /// Per system: the systems whose naming answers (`creates`) name it, i.e. that run on it.
    pub hosted_by: Vec<Vec<usize>>,
    /// Per system: the systems that name it as a service they use (`link = "uses"`).
    pub used_by: Vec<Vec<usize>>,
    /// Per system: the systems whose late rules read its summary (it is in their `hosted_by`
    /// or `used_by`): traced again when it is.
    read_by: Vec<Vec<usize>>,
}

/// The indexes in `Questionnaire::rules` of a scope's rules, in `Rules` order.
fn rule_indexes(q: &Questionnaire, scope: Scope) -> Vec<u32> {
    q.rules
        .iter()
        .enumerate()
        .filter(|(_, r)| r.scope == scope && !r.report_level && !r.late)
        .map(|(n, _)| n as u32)
        .collect()
}

/// A rule's index in `Questionnaire::rules` (for the few late and report rules).
pub(crate) fn rule_index(q: &Questionnaire, r: &Rule) -> Option<u32> {
    q.rules
        .iter()
        .position(|x| std::ptr::eq(x, r))
        .map(|n| n as u32)
}

/// The rule indexes the traces are made from.
struct Traced {
    engagement: Vec<u32>,
    system: Vec<u32>,
    identity: Vec<u32>,
    late: Vec<u32>,
}

impl Traced {
    fn of(q: &Questionnaire) -> Traced {
        Traced {
            engagement: rule_indexes(q, Scope::Engagement),
            system: rule_indexes(q, Scope::System),
            identity: rule_indexes(q, Scope::Identity),
            late: q.late_rules().filter_map(|r| rule_index(q, r)).collect(),
        }
    }
}

impl Traces {
    /// Traces the rules that did not come out false (most do, and tracing allocates).
    pub(crate) fn of(q: &Questionnaire, s: &Session, ev: &Evaluation) -> Traces {
        let ix = Traced::of(q);
        let hosted_by = linked_by(q, s, Link::Hosts);
        let used_by = linked_by(q, s, Link::Uses);
        let mut read_by = vec![Vec::new(); s.systems.len()];
        for (j, (h, u)) in hosted_by.iter().zip(&used_by).enumerate() {
            for &k in h.iter().chain(u) {
                if read_by[k].last() != Some(&j) {
                    read_by[k].push(j);
                }
            }
        }
        let mut t = Traces {
            engagement: trace_of(q, s, ev, &ix.engagement, EntityKey::Engagement, &[]),
            systems: Vec::new(),
            identities: (0..s.identities.len())
                .map(|i| trace_of(q, s, ev, &ix.identity, EntityKey::Identity(i), &ev.in_scope))
                .collect(),
            hosted_by,
            used_by,
            read_by,
        };
        t.systems = (0..s.systems.len())
            .map(|j| t.system(q, s, ev, &ix, j))
            .collect();
        t
    }

    /// One system's trace: its rules, then the late rules, which see every system's decision;
    /// they decide nothing themselves (checked when loading), so the evaluation and its "what
    /// if" overlays never need them.
    fn system(
        &self,
        q: &Questionnaire,
        s: &Session,
        ev: &Evaluation,
        ix: &Traced,
        j: usize,
    ) -> Vec<Eval> {
        let key = EntityKey::System(j);
        let mut evals = trace_of(q, s, ev, &ix.system, key, &[]);
        if !ix.late.is_empty() {
            let env = BoundaryEnv {
                inner: ev.vis.env(q, s, key, &[]),
                this: j,
                sums: &ev.sys_sum,
                hosted_by: &self.hosted_by[j],
                used_by: &self.used_by[j],
            };
            for &n in &ix.late {
                let mut trace = Trace::default();
                let result = q.rules[n as usize].when.eval(&env, &mut trace);
                if result != Tri::False {
                    evals.push(Eval {
                        rule: n,
                        key,
                        result,
                        trace,
                    });
                }
            }
        }
        evals
    }

    /// Traces again the entities in `keys` (those `Evaluation::apply` re-ran; the inventory is
    /// the one traced) and the systems whose late rules read a re-run system; returns every
    /// entity traced again, in order, with its traces before.
    pub(crate) fn retrace(
        &mut self,
        q: &Questionnaire,
        s: &Session,
        ev: &Evaluation,
        keys: &[EntityKey],
    ) -> Vec<(EntityKey, Vec<Eval>)> {
        let ix = Traced::of(q);
        let mut out: Vec<(EntityKey, Vec<Eval>)> = Vec::new();
        let mut systems: Vec<usize> = Vec::new();
        let mut others: Vec<EntityKey> = Vec::new();
        for &key in keys {
            match key {
                EntityKey::System(j) => {
                    systems.push(j);
                    if !ix.late.is_empty() {
                        systems.extend_from_slice(&self.read_by[j]);
                    }
                }
                _ => others.push(key),
            }
        }
        others.sort_unstable();
        others.dedup();
        for &key in &others {
            let new = match key {
                EntityKey::Identity(_) => trace_of(q, s, ev, &ix.identity, key, &ev.in_scope),
                _ => trace_of(q, s, ev, &ix.engagement, key, &[]),
            };
            let slot = match key {
                EntityKey::Identity(i) => &mut self.identities[i],
                _ => &mut self.engagement,
            };
            out.push((key, std::mem::replace(slot, new)));
        }
        systems.sort_unstable();
        systems.dedup();
        for &j in &systems {
            let new = self.system(q, s, ev, &ix, j);
            out.push((
                EntityKey::System(j),
                std::mem::replace(&mut self.systems[j], new),
            ));
        }
        out.sort_unstable_by_key(|(k, _)| *k);
        out
    }

    /// Whether these traces were made for an inventory of this size.
    pub(crate) fn fits(&self, s: &Session) -> bool {
        self.systems.len() == s.systems.len() && self.identities.len() == s.identities.len()
    }
}

/// The traced rules (of `ix`) of one entity that did not come out false.
fn trace_of(
    q: &Questionnaire,
    s: &Session,
    ev: &Evaluation,
    ix: &[u32],
    key: EntityKey,
    in_scope: &[Tri],
) -> Vec<Eval> {
    super::steps::add(ix.len());
    let env = ev.vis.env(q, s, key, in_scope);
    ix.iter()
        .zip(ev.results(key))
        .filter(|(_, r)| **r != Tri::False)
        .map(|(&n, _)| {
            let mut trace = Trace::default();
            let result = q.rules[n as usize].when.eval(&env, &mut trace);
            Eval {
                rule: n,
                key,
                result,
                trace,
            }
        })
        .collect()
}

/// The evaluation and its traces: what a recommendation is built from.
pub struct Stage {
    pub ev: Evaluation,
    pub(crate) tr: Traces,
}

impl std::ops::Deref for Stage {
    type Target = Evaluation;
    fn deref(&self) -> &Evaluation {
        &self.ev
    }
}

impl Stage {
    pub(crate) fn new(q: &Questionnaire, s: &Session) -> Stage {
        Stage::trace(q, s, Evaluation::new(q, s))
    }

    pub(crate) fn trace(q: &Questionnaire, s: &Session, ev: Evaluation) -> Stage {
        let tr = Traces::of(q, s, &ev);
        Stage { ev, tr }
    }
}

/// Per system, the systems that name it in a naming answer (`creates`) with that link: with
/// `Hosts`, the systems that run on it. Linear: names are matched through one index.
pub(crate) fn linked_by(q: &Questionnaire, s: &Session, link: Link) -> Vec<Vec<usize>> {
    let mut out = vec![Vec::new(); s.systems.len()];
    let naming: Vec<&str> = q
        .questions_in(crate::questionnaire::Scope::System)
        .filter(|x| x.creates.as_ref().is_some_and(|c| c.link == link))
        .map(|x| x.id.as_str())
        .collect();
    if naming.is_empty() {
        return out;
    }
    let mut index: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for (j, x) in s.systems.iter().enumerate() {
        index.entry(crate::session::name_key(&x.name)).or_insert(j);
    }
    for (k, x) in s.systems.iter().enumerate() {
        for qid in &naming {
            if let Some(crate::session::Answer {
                value: Value::Text(t),
                ..
            }) = x.answers.get(*qid)
            {
                for name in crate::session::named_systems(t) {
                    match index.get(&crate::session::name_key(name)) {
                        Some(&j) if j != k && !out[j].contains(&k) => out[j].push(k),
                        _ => {}
                    }
                }
            }
        }
    }
    out
}

/// A system's environment plus where systems stand, for late rules.
struct BoundaryEnv<'e> {
    inner: crate::engine::EntityEnv<'e>,
    this: usize,
    sums: &'e [Summary],
    hosted_by: &'e [usize],
    used_by: &'e [usize],
}

impl BoundaryEnv<'_> {
    fn of(sum: &Summary, r: Option<Report>) -> Tri {
        match r {
            Some(Report::Soc1) => sum.soc1,
            Some(Report::Soc2) => sum.soc2,
            None => sum.in_scope(),
        }
    }
}

impl Env for BoundaryEnv<'_> {
    fn owner(&self, qi: usize) -> EntityKey {
        self.inner.owner(qi)
    }
    fn lookup(&self, qi: usize) -> Lookup<'_> {
        self.inner.lookup(qi)
    }
    fn any_system(&self, c: &Condition, trace: &mut Trace) -> Tri {
        self.inner.any_system(c, trace)
    }
    fn any_system_in_scope(&self, trace: &mut Trace) -> Tri {
        self.inner.any_system_in_scope(trace)
    }
    fn today(&self) -> Option<chrono::NaiveDate> {
        self.inner.today()
    }
    fn boundary(&self, b: Boundary, trace: &mut Trace) -> Tri {
        match b {
            Boundary::InScope(r) => self
                .sums
                .get(self.this)
                .map_or(Tri::False, |sum| BoundaryEnv::of(sum, r)),
            Boundary::Supports(r) | Boundary::Hosts(r) => {
                let users: &[usize] = match b {
                    Boundary::Supports(_) => self.used_by,
                    _ => &[],
                };
                let mut result = Tri::False;
                for &k in self.hosted_by.iter().chain(users) {
                    match self
                        .sums
                        .get(k)
                        .map_or(Tri::False, |sum| BoundaryEnv::of(sum, r))
                    {
                        Tri::True => {
                            result = Tri::True;
                            trace.via_systems.push(k);
                        }
                        Tri::Open if result == Tri::False => result = Tri::Open,
                        _ => {}
                    }
                }
                result
            }
        }
    }
}

#[cfg(test)]
mod tests {
    //! Every single-answer change, tried incrementally, must give what evaluating the changed
    //! session from scratch gives: the "what if" analysis relies on it to name every flip.

    use std::path::Path;

    use super::*;
    use crate::questionnaire::{BUILTIN_NAME, BUILTIN_SOURCE, Kind, load::load};
    use crate::session::{Answer, Value, store};

    fn examples(q: &Questionnaire) -> Vec<Session> {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/examples");
        let mut names: Vec<_> = std::fs::read_dir(&dir)
            .expect("assets/examples")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        names.sort();
        let mut out = Vec::new();
        for p in &names {
            let s = store::open(p, q).expect("example session").0;
            // The examples have several reasons for SOC 2 each, so no single engagement change
            // takes a system out of scope; these variants have one reason (or none settled).
            let reasons = [
                "uptime_sla",
                "processing_accuracy",
                "confidential_data",
                "personal_data",
            ];
            let no = || Answer::new(Value::Text("no".into()), chrono::Utc::now());
            let mut one_reason = s.clone();
            let mut unsettled = s.clone();
            for id in reasons {
                one_reason.engagement.insert(id.into(), no());
                unsettled.engagement.remove(id);
            }
            // No reason at all: answers hidden behind "no" (privacy commitments) stay stored.
            let mut no_reason = one_reason.clone();
            no_reason.engagement.insert(
                "report_requesters".into(),
                Answer::new(
                    Value::List(vec!["user_auditors".into()]),
                    chrono::Utc::now(),
                ),
            );
            out.extend([s, one_reason, unsettled, no_reason]);
        }
        out
    }

    /// Every other value an answer could take, plus "unknown" and no answer at all.
    fn alternatives(question: &crate::questionnaire::Question) -> Vec<Option<Value>> {
        let mut out = vec![None, Some(Value::Unknown)];
        match question.kind {
            Kind::YesNo | Kind::Single => {
                out.extend(
                    question
                        .choices
                        .iter()
                        .map(|c| Some(Value::Text(c.id.clone()))),
                );
            }
            Kind::Multi => {
                out.extend(
                    question
                        .choices
                        .iter()
                        .map(|c| Some(Value::List(vec![c.id.clone()]))),
                );
                out.push(Some(Value::List(
                    question.choices.iter().map(|c| c.id.clone()).collect(),
                )));
            }
            Kind::Number => out.extend([0.0, 1.0, 3.0, 6.0, 12.0].map(|n| Some(Value::Number(n)))),
            Kind::Date | Kind::Text => {}
        }
        out
    }

    fn answers_mut(s: &mut Session, key: EntityKey) -> &mut Answers {
        match key {
            EntityKey::Engagement => &mut s.engagement,
            EntityKey::System(j) => &mut s.systems[j].answers,
            EntityKey::Identity(i) => &mut s.identities[i].answers,
        }
    }

    fn wants(s: &Session) -> Vec<Want> {
        let mut w = vec![
            Want::Everything,
            Want::Totals(Totals::FIELD_SOC1 | Totals::FIELD_SOC2),
            Want::Totals(Totals::field_type(Report::Soc2) | Totals::FIELD_SOC2),
            Want::Totals(Totals::field_type(Report::Soc1) | Totals::FIELD_SOC1),
        ];
        w.extend(
            Category::ALL
                .iter()
                .map(|c| Want::Totals(Totals::FIELD_SOC2 | Totals::field_category(*c))),
        );
        w.extend((0..s.systems.len()).map(Want::System));
        w.extend((0..s.identities.len()).map(Want::Identity));
        w
    }

    /// Tries every change on every entity of `s`; returns how many were compared.
    fn check(q: &Questionnaire, s: &Session) -> usize {
        let ev = Evaluation::new(q, s);
        let keys: Vec<EntityKey> = std::iter::once(EntityKey::Engagement)
            .chain((0..s.systems.len()).map(EntityKey::System))
            .chain((0..s.identities.len()).map(EntityKey::Identity))
            .collect();
        let mut compared = 0;
        for key in keys {
            for question in q.questions.iter().filter(|x| x.scope == scope_of(key)) {
                for value in alternatives(question) {
                    let mut changed = s.clone();
                    let answers = answers_mut(&mut changed, key);
                    match &value {
                        None => {
                            answers.remove(&question.id);
                        }
                        Some(v) => {
                            answers.insert(
                                question.id.clone(),
                                Answer::new(v.clone(), chrono::Utc::now()),
                            );
                        }
                    }
                    let answers = answers.clone();
                    let full = Evaluation::new(q, &changed);
                    let what = format!("{key:?} {}={value:?}", question.id);
                    let no_systems = s.systems.is_empty();
                    for want in wants(s) {
                        let c = ev.with_change(q, s, key, answers.clone(), want);
                        match want {
                            Want::Everything => {
                                assert_eq!(c.eng, full.eng_sum, "{what}: engagement");
                                for j in 0..s.systems.len() {
                                    assert_eq!(*c.system(&ev, j), full.sys_sum[j], "{what}: s{j}");
                                }
                                for i in 0..s.identities.len() {
                                    assert_eq!(*c.identity(&ev, i), full.id_sum[i], "{what}: i{i}");
                                }
                                assert_eq!(c.totals(&ev, no_systems), full.totals(no_systems));
                            }
                            Want::Totals(fields) => {
                                let (a, b) = (c.totals(&ev, no_systems), full.totals(no_systems));
                                let pick = |t: &Totals| {
                                    let mut v = Vec::new();
                                    for (bit, x) in
                                        [(Totals::FIELD_SOC1, t.soc1), (Totals::FIELD_SOC2, t.soc2)]
                                    {
                                        v.push((fields & bit != 0).then_some(x));
                                    }
                                    for r in Report::ALL {
                                        let bit = Totals::field_type(r);
                                        for k in 0..2 {
                                            v.push(
                                                (fields & bit != 0)
                                                    .then_some(t.types[r.index()][k]),
                                            );
                                        }
                                    }
                                    for cat in Category::ALL {
                                        let bit = Totals::field_category(cat);
                                        v.push((fields & bit != 0).then_some(t.category(cat)));
                                    }
                                    v
                                };
                                assert_eq!(pick(&a), pick(&b), "{what}: totals {fields:b}");
                            }
                            Want::System(j) => {
                                assert_eq!(*c.system(&ev, j), full.sys_sum[j], "{what}: s{j}");
                                if key == EntityKey::System(j) {
                                    let own = ev.system_with_change(q, s, j, answers.clone());
                                    assert_eq!(own, full.sys_sum[j], "{what}: own s{j}");
                                }
                            }
                            Want::Identity(i) => {
                                assert_eq!(*c.identity(&ev, i), full.id_sum[i], "{what}: i{i}");
                                if key == EntityKey::Identity(i) {
                                    let qi = q.question_index(&question.id).unwrap_or(usize::MAX);
                                    let own = ev.identity_with_change(
                                        q,
                                        s,
                                        &IdentityRules::of(q),
                                        i,
                                        (qi, answers.clone()),
                                    );
                                    assert_eq!(own, full.id_sum[i], "{what}: own i{i}");
                                }
                            }
                        }
                        compared += 1;
                    }
                }
            }
        }
        compared
    }

    fn scope_of(key: EntityKey) -> Scope {
        match key {
            EntityKey::Engagement => Scope::Engagement,
            EntityKey::System(_) => Scope::System,
            EntityKey::Identity(_) => Scope::Identity,
        }
    }

    #[test]
    fn incremental_changes_match_a_full_evaluation_on_every_example() {
        let q = load(BUILTIN_NAME, BUILTIN_SOURCE).expect("built-in questionnaire");
        let n: usize = examples(&q).iter().map(|s| check(&q, s)).sum();
        assert!(n > 10_000, "compared {n}");
    }

    /// Variants of the built-in questionnaire that reach the paths it does not: each
    /// replacement must apply, and applies everywhere.
    fn variant(replacements: &[(&str, &str)]) -> Questionnaire {
        let mut src = BUILTIN_SOURCE.to_string();
        for (from, to) in replacements {
            assert!(src.contains(from), "{from} is in the built-in file");
            src = src.replace(from, to);
        }
        load(BUILTIN_NAME, &src).expect("changed questionnaire")
    }

    /// System questions shown only for some engagement answers (the three triage questions
    /// and the vendor ones): an engagement change then changes what systems are asked, and
    /// everything is evaluated again.
    #[test]
    fn incremental_changes_match_when_engagement_answers_change_what_systems_are_asked() {
        let sla = "show_if = { q = \"uptime_sla\", is = \"yes\" }";
        let triage = |id: &str| {
            (
                format!("id = \"{id}\"\nscope = \"system\"\n"),
                format!("id = \"{id}\"\nscope = \"system\"\n{sla}\n"),
            )
        };
        let (a, b, c) = (
            triage("customer_data"),
            triage("outage_impact"),
            triage("enforces_control"),
        );
        let q = variant(&[
            (
                "show_if = { q = \"operated_by\", is = \"vendor\" }",
                "show_if = { all = [{ q = \"operated_by\", is = \"vendor\" }, { q = \"uptime_sla\", is = \"yes\" }] }",
            ),
            (&a.0, &a.1),
            (&b.0, &b.1),
            (&c.0, &c.1),
        ]);
        let n: usize = examples(&q).iter().map(|s| check(&q, s)).sum();
        assert!(n > 10_000, "compared {n}");
    }

    /// An identity rule that puts the identity in SOC 2 through the scope of its systems, and a
    /// system rule that reads an engagement question hidden by another engagement answer
    /// (privacy commitments, asked only when personal data is held).
    #[test]
    fn incremental_changes_match_through_system_scope_and_engagement_visibility() {
        let q = variant(&[
            (
                "when = { any = [{ any_system_in_scope = true }, { q = \"acts_externally\", is = \"yes\" }] }\n",
                "when = { any = [{ any_system_in_scope = true }, { q = \"acts_externally\", is = \"yes\" }] }\nsoc2 = true\n",
            ),
            (
                "{ all = [{ q = \"personal_data\", is = \"yes\" }, { q = \"privacy_commitments\", is = \"yes\" }] },",
                "{ q = \"privacy_commitments\", is = \"yes\" },",
            ),
        ]);
        let n: usize = examples(&q).iter().map(|s| check(&q, s)).sum();
        assert!(n > 10_000, "compared {n}");
    }
}

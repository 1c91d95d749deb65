//! Conditions over answers, evaluated in three-valued (Kleene) logic so that an unanswered
//! question leaves a rule *open* instead of guessing either way.

use serde::Serialize;

use super::Pos;
pub use crate::vocab::EntityKey;
use crate::vocab::{Value, parse_date};

/// True, false, or open (depends on an unanswered or "unknown" question).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Tri {
    True,
    False,
    Open,
}

impl Tri {
    pub(crate) fn from_bool(b: bool) -> Tri {
        if b { Tri::True } else { Tri::False }
    }
    pub fn negate(self) -> Tri {
        match self {
            Tri::True => Tri::False,
            Tri::False => Tri::True,
            Tri::Open => Tri::Open,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Test {
    Is(String),
    In(Vec<String>),
    Has(String),
    HasAny(Vec<String>),
    Answered(bool),
    Gt(Bound),
    Gte(Bound),
    Lt(Bound),
    Lte(Bound),
    /// A date answer more than this many days before the workshop date ("last rotated longer
    /// ago than the policy allows"): a fixed number, or a number question of the same entity.
    OlderThan(Age),
}

/// How many days old a date may be.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Age {
    Days(f64),
    Question {
        q: String,
        /// Index of `q`, resolved when loading.
        #[serde(skip)]
        qi: usize,
    },
}

/// A comparison bound: numbers for `number` questions, ISO dates for `date` questions.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Bound {
    Number(f64),
    Date(String),
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Atom {
    pub q: String,
    /// Index of `q` in the questionnaire, resolved when loading.
    #[serde(skip)]
    pub qi: usize,
    pub test: Test,
    #[serde(skip)]
    pub pos: Pos,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Condition {
    Atom(Atom),
    All(Vec<Condition>),
    Any(Vec<Condition>),
    Not(Box<Condition>),
    AnySystem(Box<Condition>),
    AnySystemInScope,
    /// A report total, for report rules (`{ total = "soc1" }`): true, false or open as the
    /// whole report is.
    Total(Total),
    /// Where a system stands once every system's decision is made, for system rules that run
    /// after them (`{ in_scope = "soc1" }`, `{ supports = "any" }`).
    Boundary(Boundary),
}

/// What a system rule that runs after the system decisions can test (domain.md §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Boundary {
    /// This system is in the report's scope (`None`: in either report's).
    InScope(Option<crate::vocab::Report>),
    /// A system in the report's scope runs on this one or uses it (any naming link).
    Supports(Option<crate::vocab::Report>),
    /// A system in the report's scope runs on this one (a `hosts` naming link).
    Hosts(Option<crate::vocab::Report>),
}

impl Boundary {
    /// `"soc1"`, `"soc2"` or `"any"`.
    pub(crate) fn report(s: &str) -> Option<Option<crate::vocab::Report>> {
        match s {
            "any" => Some(None),
            other => crate::vocab::Report::from_id(other).map(Some),
        }
    }
}

/// What a report rule can test besides engagement answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Total {
    /// A SOC 1 is relevant (something could misstate customers' financial statements).
    Soc1,
    /// Someone asked for a SOC 1.
    Soc1Demand,
    /// A SOC 2 is called for.
    Soc2,
    /// The category's commitment is made (whether or not a SOC 2 is called for).
    Category(crate::vocab::Category),
}

impl Total {
    pub(crate) fn parse(s: &str) -> Option<Total> {
        match s {
            "soc1" => Some(Total::Soc1),
            "soc1_demand" => Some(Total::Soc1Demand),
            "soc2" => Some(Total::Soc2),
            other => crate::vocab::Category::from_id(other).map(Total::Category),
        }
    }
}

/// What an environment knows about one question in the entity being evaluated.
pub enum Lookup<'a> {
    /// The question's `show_if` is false: it neither counts nor fires rules.
    Hidden,
    /// Visible (or possibly visible) and not answered yet.
    Unanswered,
    Answer(&'a Value),
}

/// A question of a particular entity, as the evaluator reports it back.
pub(crate) type Subject = (EntityKey, usize);

/// The answers a condition is evaluated against.
pub trait Env {
    /// The entity whose answers `lookup` reads for `qi` (the engagement for engagement questions).
    fn owner(&self, qi: usize) -> EntityKey;
    fn lookup(&self, qi: usize) -> Lookup<'_>;
    /// Evaluates `c` in each system the identity can access; `Tri::False` outside identity scope.
    fn any_system(&self, c: &Condition, trace: &mut Trace) -> Tri;
    fn any_system_in_scope(&self, trace: &mut Trace) -> Tri;
    /// [`Env::any_system`] without recording why (what [`Condition::value`] asks): an
    /// environment can skip the traces and stop at the first system where it holds.
    fn any_system_value(&self, c: &Condition) -> Tri {
        self.any_system(c, &mut Trace::default())
    }
    /// [`Env::any_system_in_scope`] without recording why.
    fn any_system_in_scope_value(&self) -> Tri {
        self.any_system_in_scope(&mut Trace::default())
    }
    /// A report total; only report rules see them (`Tri::False` elsewhere).
    fn total(&self, _: Total) -> Tri {
        Tri::False
    }
    /// The date `older_than` counts back from (the workshop date); `None` leaves it open.
    fn today(&self) -> Option<chrono::NaiveDate> {
        None
    }
    /// Where the system stands; only system rules that run after the system decisions see it
    /// (`Tri::False` elsewhere).
    fn boundary(&self, _: Boundary, _: &mut Trace) -> Tri {
        Tri::False
    }
}

/// Which answers decided a condition (`triggers`) and which open ones could still change it.
#[derive(Debug, Default, Clone)]
pub struct Trace {
    pub triggers: Vec<Subject>,
    pub open: Vec<Subject>,
    /// Systems through which `any_system_in_scope` held.
    pub via_systems: Vec<usize>,
}

impl Trace {
    pub(crate) fn absorb(&mut self, other: Trace) {
        self.triggers.extend(other.triggers);
        self.open.extend(other.open);
        self.via_systems.extend(other.via_systems);
    }
}

impl Condition {
    /// Kleene evaluation; `trace` receives the answers that justify the result.
    pub fn eval(&self, env: &dyn Env, trace: &mut Trace) -> Tri {
        match self {
            Condition::Atom(a) => {
                let r = eval_atom(a, env);
                // The referenced policy question of `older_than` is part of the reason too.
                let also = match &a.test {
                    Test::OlderThan(Age::Question { qi, .. }) => Some(*qi),
                    _ => None,
                };
                for qi in std::iter::once(a.qi).chain(also) {
                    let subject = (env.owner(qi), qi);
                    match r {
                        Tri::Open => trace.open.push(subject),
                        _ if !matches!(env.lookup(qi), Lookup::Hidden) => {
                            trace.triggers.push(subject)
                        }
                        _ => {}
                    }
                }
                r
            }
            Condition::Not(c) => c.eval(env, trace).negate(),
            Condition::All(cs) => combine(cs, env, trace, Tri::False),
            Condition::Any(cs) => combine(cs, env, trace, Tri::True),
            Condition::AnySystem(c) => env.any_system(c, trace),
            Condition::AnySystemInScope => env.any_system_in_scope(trace),
            Condition::Total(t) => env.total(*t),
            Condition::Boundary(b) => env.boundary(*b, trace),
        }
    }

    /// The same result as [`Condition::eval`] without recording why: no allocation, and `all`
    /// / `any` stop at the first dominant part. What "what if" analysis uses to try changes.
    pub fn value(&self, env: &dyn Env) -> Tri {
        match self {
            Condition::Atom(a) => eval_atom(a, env),
            Condition::Not(c) => c.value(env).negate(),
            Condition::All(cs) => value_of(cs, env, Tri::False),
            Condition::Any(cs) => value_of(cs, env, Tri::True),
            Condition::AnySystem(c) => env.any_system_value(c),
            Condition::AnySystemInScope => env.any_system_in_scope_value(),
            Condition::Total(t) => env.total(*t),
            Condition::Boundary(b) => env.boundary(*b, &mut Trace::default()),
        }
    }

    /// Whether the condition tests where systems stand after their decisions (`in_scope`,
    /// `supports`): its rule runs after the system decisions and may not decide anything.
    pub(crate) fn reads_boundary(&self) -> bool {
        match self {
            Condition::Boundary(_) => true,
            Condition::Atom(_) | Condition::Total(_) | Condition::AnySystemInScope => false,
            Condition::All(cs) | Condition::Any(cs) => cs.iter().any(Condition::reads_boundary),
            Condition::Not(c) | Condition::AnySystem(c) => c.reads_boundary(),
        }
    }

    /// Whether the condition reads the scope of the systems an identity can access.
    pub(crate) fn reads_system_scope(&self) -> bool {
        match self {
            Condition::AnySystemInScope => true,
            Condition::Atom(_) | Condition::Total(_) | Condition::Boundary(_) => false,
            Condition::All(cs) | Condition::Any(cs) => cs.iter().any(Condition::reads_system_scope),
            Condition::Not(c) | Condition::AnySystem(c) => c.reads_system_scope(),
        }
    }

    /// Every atom in the condition, depth first.
    pub(crate) fn atoms(&self) -> Vec<&Atom> {
        let mut out = Vec::new();
        self.collect_atoms(&mut out);
        out
    }

    fn collect_atoms<'a>(&'a self, out: &mut Vec<&'a Atom>) {
        match self {
            Condition::Atom(a) => out.push(a),
            Condition::All(cs) | Condition::Any(cs) => cs.iter().for_each(|c| c.collect_atoms(out)),
            Condition::Not(c) | Condition::AnySystem(c) => c.collect_atoms(out),
            Condition::AnySystemInScope | Condition::Total(_) | Condition::Boundary(_) => {}
        }
    }

    pub(crate) fn atoms_mut(&mut self) -> Vec<&mut Atom> {
        let mut out = Vec::new();
        self.collect_atoms_mut(&mut out);
        out
    }

    fn collect_atoms_mut<'a>(&'a mut self, out: &mut Vec<&'a mut Atom>) {
        match self {
            Condition::Atom(a) => out.push(a),
            Condition::All(cs) | Condition::Any(cs) => {
                cs.iter_mut().for_each(|c| c.collect_atoms_mut(out))
            }
            Condition::Not(c) | Condition::AnySystem(c) => c.collect_atoms_mut(out),
            Condition::AnySystemInScope | Condition::Total(_) | Condition::Boundary(_) => {}
        }
    }
}

/// `all` (dominant = False) and `any` (dominant = True): the dominant value wins outright, and
/// only the parts that produced the result are kept as its justification.
fn combine(cs: &[Condition], env: &dyn Env, trace: &mut Trace, dominant: Tri) -> Tri {
    let mut parts = Vec::with_capacity(cs.len());
    for c in cs {
        let mut t = Trace::default();
        let r = c.eval(env, &mut t);
        parts.push((r, t));
    }
    let result = if parts.iter().any(|(r, _)| *r == dominant) {
        dominant
    } else if parts.iter().any(|(r, _)| *r == Tri::Open) {
        Tri::Open
    } else {
        dominant.negate()
    };
    for (r, t) in parts {
        if r == result {
            trace.absorb(t);
        }
    }
    result
}

fn value_of(cs: &[Condition], env: &dyn Env, dominant: Tri) -> Tri {
    let mut open = false;
    for c in cs {
        match c.value(env) {
            r if r == dominant => return dominant,
            Tri::Open => open = true,
            _ => {}
        }
    }
    if open { Tri::Open } else { dominant.negate() }
}

fn eval_atom(a: &Atom, env: &dyn Env) -> Tri {
    let value = match env.lookup(a.qi) {
        Lookup::Hidden => return Tri::False,
        Lookup::Unanswered => return Tri::Open,
        Lookup::Answer(v) => v,
    };
    if let Test::Answered(want) = a.test {
        return Tri::from_bool(!matches!(value, Value::Unknown) == want);
    }
    if matches!(value, Value::Unknown) {
        return Tri::Open;
    }
    if let Test::OlderThan(age) = &a.test {
        return older_than(value, age, env);
    }
    Tri::from_bool(test_value(&a.test, value))
}

fn older_than(value: &Value, age: &Age, env: &dyn Env) -> Tri {
    let Value::Text(date) = value else {
        return Tri::False;
    };
    let (Some(date), Some(today)) = (parse_date(date), env.today()) else {
        return Tri::Open;
    };
    let days = match age {
        Age::Days(n) => *n,
        Age::Question { qi, .. } => match env.lookup(*qi) {
            Lookup::Hidden => return Tri::False,
            Lookup::Unanswered | Lookup::Answer(Value::Unknown) => return Tri::Open,
            Lookup::Answer(Value::Number(n)) => *n,
            Lookup::Answer(_) => return Tri::False,
        },
    };
    Tri::from_bool(((today - date).num_days() as f64) > days)
}

/// Whether a known (not `unknown`) answer passes a test.
pub(crate) fn test_value(test: &Test, value: &Value) -> bool {
    match (test, value) {
        (Test::Is(want), Value::Text(s)) => s == want,
        (Test::In(wants), Value::Text(s)) => wants.iter().any(|w| w == s),
        (Test::Has(want), Value::List(items)) => items.iter().any(|i| i == want),
        (Test::HasAny(wants), Value::List(items)) => items.iter().any(|i| wants.contains(i)),
        (Test::Answered(want), v) => !matches!(v, Value::Unknown) == *want,
        (Test::Gt(b), v) => compare(b, v).is_some_and(|o| o.is_gt()),
        (Test::Gte(b), v) => compare(b, v).is_some_and(|o| o.is_ge()),
        (Test::Lt(b), v) => compare(b, v).is_some_and(|o| o.is_lt()),
        (Test::Lte(b), v) => compare(b, v).is_some_and(|o| o.is_le()),
        // Needs the workshop date and perhaps another answer: evaluated in `eval_atom`.
        (Test::OlderThan(_), _) => false,
        _ => false,
    }
}

/// Orders the answer against the bound (answer `cmp` bound).
fn compare(bound: &Bound, value: &Value) -> Option<std::cmp::Ordering> {
    match (bound, value) {
        (Bound::Number(b), Value::Number(n)) => n.partial_cmp(b),
        (Bound::Date(b), Value::Text(s)) => match (parse_date(s), parse_date(b)) {
            (Some(a), Some(b)) => Some(a.cmp(&b)),
            _ => None,
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_compare_as_dates_even_unpadded() {
        let sept = Value::Text("2026-9-1".into());
        let oct = Bound::Date("2026-10-01".into());
        // As text, "2026-9-1" sorts after "2026-10-01"; as dates it is a month before.
        assert!(test_value(&Test::Lt(oct.clone()), &sept));
        assert!(!test_value(&Test::Gt(oct), &sept));
        assert!(test_value(
            &Test::Gte(Bound::Date("2026-09-01".into())),
            &sept
        ));
    }
}

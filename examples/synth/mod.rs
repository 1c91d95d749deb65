//! Synthetic sessions at enterprise scale, shared by `examples/synth-session.rs` and the
//! benchmarks (`benches/*.rs` include it with `#[path]`).
//!
//! Deterministic for a given seed: a splitmix64 PRNG and fixed timestamps. Only questions that
//! are visible at the time are answered, in asking order (engagement, then each system, then
//! each identity), with values valid for the question's kind; each visible question is
//! answered with probability `answered_pct` %, so the session's progress lands near it.

#![allow(dead_code)]

use chrono::{DateTime, Duration, TimeZone, Utc};

use socscope::engine;
use socscope::questionnaire::condition::EntityKey;
use socscope::questionnaire::{Kind, Question, Questionnaire, Scope, Tri};
use socscope::session::{Answers, EntityId, Identity, Session, System, Value};

/// The size and shape of a synthetic session.
#[derive(Debug, Clone, Copy)]
pub struct Spec {
    pub systems: usize,
    pub identities: usize,
    pub links_per_identity: usize,
    /// Percentage (0-100) of visible questions answered.
    pub answered_pct: u32,
    pub seed: u64,
}

impl Spec {
    pub const fn new(systems: usize, identities: usize) -> Spec {
        Spec {
            systems,
            identities,
            links_per_identity: 3,
            answered_pct: 80,
            seed: 42,
        }
    }
}

/// The three benchmark sizes: S, M and L (3 links per identity, 80 % answered).
pub const SIZES: [(&str, Spec); 3] = [
    ("S", Spec::new(5, 30)),
    ("M", Spec::new(100, 1_000)),
    ("L", Spec::new(1_000, 10_000)),
];

/// Ten times L, for the linearity check (M -> L -> XL): generated only when asked for
/// (`SOCSCOPE_BENCH_XL=1`), as it takes minutes and gigabytes to set up.
pub const XL: (&str, Spec) = ("XL", Spec::new(10_000, 100_000));

/// splitmix64 (Steele, Lea, Flood 2014): tiny, fast and good enough for test data.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0); the modulo bias is irrelevant here.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// True with probability `pct` %.
    pub fn chance(&mut self, pct: u32) -> bool {
        self.below(100) < pct as usize
    }
}

/// The fixed creation time of every synthetic session.
pub fn epoch() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 12, 9, 0, 0).unwrap()
}

const SYSTEM_NAMES: [&str; 12] = [
    "Payroll engine",
    "Billing API",
    "General ledger",
    "Customer portal",
    "Data warehouse",
    "AWS production",
    "Identity provider",
    "CI pipeline",
    "Support desk",
    "Object storage",
    "Payments gateway",
    "HR system",
];

const IDENTITY_NAMES: [&str; 8] = [
    "svc-billing",
    "deploy-bot",
    "dba",
    "finance-analyst",
    "sre-oncall",
    "api-key-reporting",
    "contractor",
    "ai-agent-triage",
];

/// Hosting providers named by the generated systems.
const PROVIDERS: [&str; 3] = ["CloudCo", "Northwind Cloud", "Bluepeak PaaS"];

const OWNERS: [&str; 6] = [
    "Dana Reyes",
    "Sam Okafor",
    "Lee Chen",
    "Priya Nair",
    "Jonas Berg",
    "Ana Costa",
];

/// A value valid for the question's kind (5 % of answers are "unknown").
fn value_for(question: &Question, rng: &mut Rng) -> Value {
    if rng.chance(5) {
        return Value::Unknown;
    }
    let choices = &question.choices;
    match question.kind {
        Kind::YesNo | Kind::Single if !choices.is_empty() => {
            Value::Text(choices[rng.below(choices.len())].id.clone())
        }
        Kind::Multi if !choices.is_empty() => {
            // One or two choices, stored in questionnaire order.
            let mut picked: Vec<usize> = vec![rng.below(choices.len())];
            if rng.chance(30) {
                picked.push(rng.below(choices.len()));
            }
            picked.sort_unstable();
            picked.dedup();
            // An exclusive choice ("None of these") stands alone, as the app ticks it.
            if picked.len() > 1 {
                picked.retain(|&i| !choices[i].exclusive);
            }
            Value::List(picked.into_iter().map(|i| choices[i].id.clone()).collect())
        }
        Kind::Number => Value::Number(rng.below(37) as f64),
        Kind::Date => {
            let day = epoch().date_naive() - Duration::days(rng.below(900) as i64);
            Value::Text(day.format("%Y-%m-%d").to_string())
        }
        Kind::Text if question.role.as_deref() == Some("owner") => {
            Value::Text(OWNERS[rng.below(OWNERS.len())].to_string())
        }
        // A naming question (`creates`): a few providers shared by many systems, as in life.
        Kind::Text if question.creates.is_some() => {
            Value::Text(PROVIDERS[rng.below(PROVIDERS.len())].to_string())
        }
        _ => Value::Text(format!("Synthetic answer {}", rng.below(1000))),
    }
}

/// Answers one entity's visible questions in order. Visibility is evaluated on `scratch`, a
/// session holding only what the entity can see (the engagement, its linked systems and
/// itself at index `key`), so the cost does not grow with the inventory.
fn answer_entity(
    q: &Questionnaire,
    scratch: &mut Session,
    key: EntityKey,
    spec: &Spec,
    rng: &mut Rng,
    clock: &mut DateTime<Utc>,
) {
    let (scope, entity) = match key {
        EntityKey::Engagement => (Scope::Engagement, EntityId::Engagement),
        EntityKey::System(i) => (
            Scope::System,
            EntityId::System(scratch.systems[i].id.clone()),
        ),
        EntityKey::Identity(i) => (
            Scope::Identity,
            EntityId::Identity(scratch.identities[i].id.clone()),
        ),
    };
    for (qi, question) in q.questions.iter().enumerate() {
        if question.scope != scope {
            continue;
        }
        // `show_if` only looks back, so the answers given so far decide this question.
        let shown = question.show_if.is_none()
            || engine::visibility(q, scratch).of(key).get(qi) == Some(&Tri::True);
        if !shown || !rng.chance(spec.answered_pct) {
            continue;
        }
        let value = value_for(question, rng);
        *clock += Duration::seconds(7);
        scratch
            .set_answer(question, &entity, value, *clock)
            .expect("a generated answer fits its question");
    }
}

/// Builds the session with socscope's own model (`Session::new`, `set_answer`).
pub fn generate(q: &Questionnaire, spec: &Spec) -> Session {
    let mut rng = Rng::new(spec.seed);
    let mut clock = epoch();
    let organisation = format!(
        "Synthetic Co ({} systems, {} identities)",
        spec.systems, spec.identities
    );
    let mut s = Session::new(q, &organisation, epoch());
    s.workshop.facilitator = "Perf Harness".into();
    s.workshop.participants = vec!["Finance".into(), "Engineering".into(), "IAM".into()];

    answer_entity(q, &mut s, EntityKey::Engagement, spec, &mut rng, &mut clock);
    let engagement = s.engagement.clone();

    // Systems: each is answered on a scratch session of its own. Providers its naming answers
    // create are kept once, by name, and added after the generated systems.
    let mut providers: Vec<System> = Vec::new();
    for i in 0..spec.systems {
        let mut scratch = s.clone_header(&engagement);
        scratch.systems.push(System {
            id: format!("s{}", i + 1),
            name: format!("{} {}", SYSTEM_NAMES[i % SYSTEM_NAMES.len()], i + 1),
            answers: Answers::new(),
        });
        answer_entity(
            q,
            &mut scratch,
            EntityKey::System(0),
            spec,
            &mut rng,
            &mut clock,
        );
        for mut created in scratch.systems.drain(1..) {
            if !providers.iter().any(|p| p.name == created.name) {
                created.id = format!("s{}", spec.systems + providers.len() + 1);
                providers.push(created);
            }
        }
        s.systems.push(scratch.systems.pop().expect("just pushed"));
    }
    s.systems.extend(providers);

    // Identities: K distinct systems each, in inventory order.
    let k = spec.links_per_identity.min(spec.systems);
    for i in 0..spec.identities {
        let mut links: Vec<usize> = Vec::with_capacity(k);
        while links.len() < k {
            let j = rng.below(spec.systems);
            if !links.contains(&j) {
                links.push(j);
            }
        }
        links.sort_unstable();
        let mut scratch = s.clone_header(&engagement);
        scratch.systems = links.iter().map(|&j| s.systems[j].clone()).collect();
        scratch.identities.push(Identity {
            id: format!("i{}", i + 1),
            name: format!("{}-{}", IDENTITY_NAMES[i % IDENTITY_NAMES.len()], i + 1),
            systems: links.iter().map(|&j| s.systems[j].id.clone()).collect(),
            answers: Answers::new(),
        });
        answer_entity(
            q,
            &mut scratch,
            EntityKey::Identity(0),
            spec,
            &mut rng,
            &mut clock,
        );
        s.identities
            .push(scratch.identities.pop().expect("just pushed"));
    }
    s.updated = clock;
    s
}

/// The session with its header and engagement answers, and no inventory.
trait CloneHeader {
    fn clone_header(&self, engagement: &Answers) -> Session;
}

impl CloneHeader for Session {
    fn clone_header(&self, engagement: &Answers) -> Session {
        Session {
            workshop: self.workshop.clone(),
            created: self.created,
            updated: self.updated,
            questionnaire: self.questionnaire.clone(),
            engagement: engagement.clone(),
            systems: Vec::new(),
            identities: Vec::new(),
            orphans: Vec::new(),
            conflicts: Vec::new(),
            notes: Default::default(),
            revision: Default::default(),
            retired: Default::default(),
        }
    }
}

/// The session as a file (the same text `store::save_with` writes), with its recommendation.
pub fn render(q: &Questionnaire, s: &Session) -> String {
    let r = engine::recommend(q, s);
    socscope::session::file::render(s, socscope::report::summary::file_summary(&r))
        .expect("a synthetic session renders")
}

/// A visible, answerable choice question of the first identity that is not the identity kind:
/// what the keystroke benchmark answers. Falls back to any visible choice question.
pub fn keystroke_target(q: &Questionnaire, s: &Session) -> Option<(EntityId, String)> {
    let vis = engine::visibility(q, s);
    let candidates = [
        s.identities
            .first()
            .map(|i| (EntityKey::Identity(0), EntityId::Identity(i.id.clone()))),
        s.systems
            .first()
            .map(|x| (EntityKey::System(0), EntityId::System(x.id.clone()))),
        Some((EntityKey::Engagement, EntityId::Engagement)),
    ];
    for (key, id) in candidates.into_iter().flatten() {
        for qi in vis.shown(key) {
            let question = &q.questions[qi];
            if question.kind == Kind::YesNo && question.show_if.is_none() {
                return Some((id, question.id.clone()));
            }
        }
    }
    None
}

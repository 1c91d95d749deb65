//! Arbitrary answers against the built-in questionnaire: the engine, visibility and exports
//! never panic. The input bytes choose entities, questions and values.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use socscope::questionnaire::Questionnaire;
use socscope::session::{Answer, EntityId, Session, Value};

fn q() -> &'static Questionnaire {
    static Q: OnceLock<Questionnaire> = OnceLock::new();
    Q.get_or_init(|| socscope::questionnaire::builtin().expect("builtin"))
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 2 || data.len() > 4096 {
        return;
    }
    let q = q();
    let now = chrono::DateTime::from_timestamp(1_700_000_000, 0).expect("time");
    let mut s = Session::new(q, "Fuzz", now);
    for i in 0..(data[0] % 4) {
        s.add_system(&format!("s{i}"), now);
    }
    for i in 0..(data[1] % 4) {
        let id = s.add_identity(&format!("i{i}"), now);
        if !s.systems.is_empty() {
            let sys = s.systems[(i as usize) % s.systems.len()].id.clone();
            s.toggle_link(&id, &sys, now);
        }
    }
    let mut entities = vec![EntityId::Engagement];
    entities.extend(s.systems.iter().map(|x| EntityId::System(x.id.clone())));
    entities.extend(
        s.identities
            .iter()
            .map(|x| EntityId::Identity(x.id.clone())),
    );
    for chunk in data[2..].chunks(4) {
        let [e, qi, kind, v] = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
            *chunk.get(3).unwrap_or(&0),
        ];
        let question = &q.questions[qi as usize % q.questions.len()];
        let fits: Vec<&EntityId> = entities
            .iter()
            .filter(|x| x.scope() == question.scope)
            .collect();
        if fits.is_empty() {
            continue;
        }
        let value = match kind % 5 {
            0 => Value::Unknown,
            1 => question
                .choices
                .get(v as usize % question.choices.len().max(1))
                .map_or(Value::Unknown, |c| Value::Text(c.id.clone())),
            2 => Value::Number(f64::from(v) - 20.0),
            3 => Value::List(
                question
                    .choices
                    .iter()
                    .take(v as usize % 4)
                    .map(|c| c.id.clone())
                    .collect(),
            ),
            _ => Value::Text(format!("2025-0{}-1{}", 1 + v % 9, v % 10)),
        };
        let target = fits[e as usize % fits.len()];
        if let Some(a) = s.answers_mut(target) {
            a.insert(question.id.clone(), Answer::new(value, now));
        }
    }
    let r = socscope::engine::recommend(q, &s);
    let _ = socscope::engine::visibility(q, &s);
    let _ = socscope::export::json::render_export(q, &s, &r);
});

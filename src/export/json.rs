//! JSON export: the recommendation plus workshop metadata (schema: docs/json-schema.md).

use std::io::Write as _;

use serde::Serialize;

use crate::engine::{self, EntityRef, Recommendation, Sensitivity};
use crate::questionnaire::condition::EntityKey;
use crate::questionnaire::{Questionnaire, Scope};
use crate::report::wording;
use crate::session::{Answers, Session, Value};

#[derive(Serialize)]
struct Export<'a> {
    schema: &'static str,
    organisation: &'a str,
    facilitator: &'a str,
    participants: &'a [String],
    date: Option<String>,
    questionnaire: &'a crate::session::QuestionnaireRef,
    #[serde(flatten)]
    recommendation: &'a Recommendation,
    /// The notes beside the answers the decisions, gaps, findings and open questions name, by
    /// entity and question: what was said about an answer, "unknown" ones above all.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    answer_notes: Vec<crate::report::notes::NoteRow>,
    /// Page one of the scoping memo, as the Markdown export words it.
    #[serde(skip_serializing_if = "Option::is_none")]
    memo: Option<crate::report::memo::Memo>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sensitivity: Option<Vec<Sensitivity>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    answers: Option<Rows<'a>>,
}

/// One visible question of one entity, answered or not: the record of the workshop.
#[derive(Serialize)]
struct AnswerRow {
    entity: EntityRef,
    question: String,
    question_text: String,
    answered: bool,
    /// As stored: choice ids, a list of ids, a number or text; `"unknown"` when nobody knew.
    value: Option<Value>,
    /// As people read it (choice labels).
    answer: Option<String>,
    note: Option<String>,
    source: Option<String>,
    at: Option<String>,
}

fn to_json<T: Serialize>(value: &T) -> String {
    let mut out = Vec::new();
    let _ = write_json(value, &mut out);
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// Pretty JSON of `value` to `w` as it is serialised, then a line break.
fn write_json<T: Serialize>(value: &T, w: &mut dyn std::io::Write) -> std::io::Result<()> {
    let mut safe = JsonSafe {
        out: w,
        pending: Vec::new(),
    };
    // serde_json writes token by token: the escaping looks at 64 KiB at a time instead.
    let mut safe = std::io::BufWriter::with_capacity(1 << 16, &mut safe);
    if let Err(e) = serde_json::to_writer_pretty(&mut safe, value) {
        if e.is_io() {
            return Err(e.into());
        }
        // Not reached with socscope's types; said in the output rather than lost.
        let failed = serde_json::json!({ "error": format!("could not render: {e}") });
        safe.write_all(b"\n")?;
        serde_json::to_writer(&mut safe, &failed)?;
    }
    safe.write_all(b"\n")?;
    safe.flush()
}

/// What [`crate::text::json_safe`] does to a whole string, done as the JSON is written: the
/// same data for a JSON reader, no raw C1 control or bidi override for a terminal. A UTF-8
/// sequence split between two writes is held until it is whole.
struct JsonSafe<'w> {
    out: &'w mut dyn std::io::Write,
    pending: Vec<u8>,
}

impl JsonSafe<'_> {
    fn text(&mut self, s: &str) -> std::io::Result<()> {
        let bytes = s.as_bytes();
        let (mut start, mut i) = (0, 0);
        while i < bytes.len() {
            // Printable ASCII and line breaks are nearly all of it and never unsafe: only the
            // other characters are decoded and looked at.
            if (0x20..0x7f).contains(&bytes[i]) || bytes[i] == b'\n' {
                i += 1;
                continue;
            }
            let Some(c) = s[i..].chars().next() else {
                break;
            };
            if crate::text::is_unsafe(c) {
                self.out.write_all(&bytes[start..i])?;
                let mut buf = [0u16; 2];
                for unit in c.encode_utf16(&mut buf) {
                    write!(self.out, "\\u{unit:04x}")?;
                }
                start = i + c.len_utf8();
            }
            i += c.len_utf8();
        }
        self.out.write_all(&bytes[start..])
    }
}

impl std::io::Write for JsonSafe<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.write_all(buf)?;
        Ok(buf.len())
    }

    fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        let joined;
        let bytes = if self.pending.is_empty() {
            buf
        } else {
            self.pending.extend_from_slice(buf);
            joined = std::mem::take(&mut self.pending);
            joined.as_slice()
        };
        let mut rest = bytes;
        while !rest.is_empty() {
            match std::str::from_utf8(rest) {
                Ok(s) => return self.text(s),
                Err(e) => {
                    let (valid, after) = rest.split_at(e.valid_up_to());
                    self.text(std::str::from_utf8(valid).unwrap_or_default())?;
                    match e.error_len() {
                        // Not UTF-8 (serde_json never writes it): passed on as it is.
                        Some(n) => {
                            self.out.write_all(&after[..n])?;
                            rest = &after[n..];
                        }
                        None => {
                            self.pending.extend_from_slice(after);
                            return Ok(());
                        }
                    }
                }
            }
        }
        Ok(())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        let pending = std::mem::take(&mut self.pending);
        self.out.write_all(&pending)?;
        self.out.flush()
    }
}

/// Pretty JSON for `recommend --json`; serde_json escapes every string, so any user text
/// yields valid JSON.
pub fn render(s: &Session, r: &Recommendation) -> String {
    to_json(&export(s, r, None, None))
}

/// [`render`], written to `w` as it is serialised.
pub fn write_render(
    s: &Session,
    r: &Recommendation,
    w: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    write_json(&export(s, r, None, None), w)
}

/// The full export: the recommendation, the sensitivity of every decision, and every visible
/// answer with its note.
pub fn render_export(q: &Questionnaire, s: &Session, r: &Recommendation) -> String {
    let mut out = Vec::new();
    let _ = write_export(q, s, r, &mut out);
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// [`render_export`], written to `w` as it is serialised: the answers are made one row at a
/// time as they are written, never all held.
pub fn write_export(
    q: &Questionnaire,
    s: &Session,
    r: &Recommendation,
    w: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    write_export_in(q, s, r, &engine::Evaluation::new(q, s), w)
}

/// [`write_export`] with the evaluation `r` was built from (`engine::recommend_with_evaluation`
/// of this same session), so that it is not evaluated again.
pub fn write_export_in(
    q: &Questionnaire,
    s: &Session,
    r: &Recommendation,
    ev: &engine::Evaluation,
    w: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    let mut e = export(
        s,
        r,
        Some(engine::sensitivities_in(q, s, ev, r)),
        Some(Rows { q, s, vis: &ev.vis }),
    );
    e.memo = Some(crate::report::memo::build(q, s, r));
    write_json(&e, w)
}

fn export<'a>(
    s: &'a Session,
    r: &'a Recommendation,
    sensitivity: Option<Vec<Sensitivity>>,
    answers: Option<Rows<'a>>,
) -> Export<'a> {
    Export {
        schema: "socscope-recommendation/2",
        organisation: &s.workshop.organisation,
        facilitator: &s.workshop.facilitator,
        participants: &s.workshop.participants,
        date: s.workshop.date.map(|d| d.format("%Y-%m-%d").to_string()),
        questionnaire: &s.questionnaire,
        recommendation: r,
        answer_notes: crate::report::notes::behind(s, r),
        memo: None,
        sensitivity,
        answers,
    }
}

/// Every visible question of every entity, made as it is serialised.
struct Rows<'a> {
    q: &'a Questionnaire,
    s: &'a Session,
    vis: &'a engine::Visibility,
}

impl Serialize for Rows<'_> {
    fn serialize<S: serde::Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        let (q, s) = (self.q, self.s);
        let row = move |entity: &EntityRef, qi: usize, answers: &Answers| {
            let question = &q.questions[qi];
            let a = answers.get(&question.id);
            AnswerRow {
                entity: entity.clone(),
                question: question.id.clone(),
                question_text: question.text.clone(),
                answered: a.is_some(),
                value: a.map(|a| a.value.clone()),
                answer: a.map(|a| a.value.display(question)),
                note: a.and_then(|a| a.note.clone()),
                source: a.and_then(|a| a.source.clone()),
                at: a.map(|a| a.at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
            }
        };
        let vis = self.vis;
        let entity = |kind: Scope, id: &str, name: &str| EntityRef {
            kind,
            id: id.to_string().into(),
            name: name.to_string().into(),
        };
        let eng = std::iter::once((
            entity(Scope::Engagement, "", "Engagement"),
            EntityKey::Engagement,
            &s.engagement,
        ));
        let systems = s.systems.iter().enumerate().map(|(i, x)| {
            (
                entity(Scope::System, &x.id, &x.name),
                EntityKey::System(i),
                &x.answers,
            )
        });
        let identities = s.identities.iter().enumerate().map(|(i, x)| {
            (
                entity(Scope::Identity, &x.id, &x.name),
                EntityKey::Identity(i),
                &x.answers,
            )
        });
        ser.collect_seq(
            eng.chain(systems)
                .chain(identities)
                .flat_map(|(e, key, answers)| {
                    vis.shown(key)
                        .into_iter()
                        .map(move |qi| row(&e, qi, answers))
                        .collect::<Vec<_>>()
                }),
        )
    }
}

#[derive(Serialize)]
struct Plan<'a> {
    schema: &'static str,
    organisation: &'a str,
    verdict: crate::engine::Verdict,
    /// Each report's Type and dated plan: when the evidence is collected.
    plans: &'a [crate::engine::ReportPlan],
    control_objectives: Vec<Objective<'a>>,
    evidence_plan: Vec<PlanEntry<'a>>,
}

/// A candidate SOC 1 control objective with the number the Markdown cites it by (`CO-1`).
#[derive(Serialize)]
struct Objective<'a> {
    id: String,
    text: &'a str,
}

#[derive(Serialize)]
struct PlanEntry<'a> {
    subject: &'a EntityRef,
    owner: Option<&'a str>,
    tasks: Vec<PlanTask<'a>>,
}

#[derive(Serialize)]
struct PlanTask<'a> {
    #[serde(flatten)]
    task: &'a crate::engine::EvidenceTask,
    /// `CO-n` ids of `control_objectives`, as the Markdown checklist cites them.
    supports: Vec<String>,
}

/// The evidence plan alone, for tracking collection over the observation window.
pub fn evidence_plan(s: &Session, r: &Recommendation) -> String {
    to_json(&Plan {
        schema: "socscope-evidence-plan/2",
        organisation: &s.workshop.organisation,
        verdict: r.verdict,
        plans: &r.plans,
        control_objectives: r
            .control_objectives
            .iter()
            .enumerate()
            .map(|(i, text)| Objective {
                id: wording::objective_id(i + 1),
                text,
            })
            .collect(),
        evidence_plan: r
            .evidence_plan
            .iter()
            .map(|entry| PlanEntry {
                subject: &entry.subject,
                owner: entry.owner.as_deref(),
                tasks: entry
                    .tasks
                    .iter()
                    .map(|task| PlanTask {
                        task,
                        supports: wording::objective_numbers(r, &task.control_objectives)
                            .map(wording::objective_id)
                            .collect(),
                    })
                    .collect(),
            })
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::JsonSafe;

    /// `text` written through the escaping in two writes, cut at byte `cut`.
    fn written_in_two(text: &str, cut: usize) -> String {
        let bytes = text.as_bytes();
        let mut out = Vec::new();
        let mut w = JsonSafe {
            out: &mut out,
            pending: Vec::new(),
        };
        w.write_all(&bytes[..cut]).expect("written");
        w.write_all(&bytes[cut..]).expect("written");
        w.flush().expect("flushed");
        String::from_utf8(out).expect("UTF-8")
    }

    #[test]
    fn unsafe_characters_are_escaped_even_when_split_between_writes() {
        let text = "\"a\u{202e}b\u{85}c\"\n";
        for cut in 0..=text.len() {
            assert_eq!(
                written_in_two(text, cut),
                crate::text::json_safe(text),
                "cut at {cut}"
            );
        }
    }

    proptest::proptest! {
        /// The escaping that skips printable ASCII gives what escaping every character does,
        /// for any text (controls, C1, bidi overrides, wide characters) cut anywhere.
        #[test]
        fn escaping_as_written_is_json_safe_of_the_whole(
            text in "[a-z \"\\\\\n\t\u{0}-\u{1f}\u{7f}-\u{9f}\u{200b}-\u{202e}\u{fe0f}é😀]{0,40}",
            cut in 0usize..200,
        ) {
            proptest::prop_assert_eq!(
                written_in_two(&text, cut.min(text.len())),
                crate::text::json_safe(&text)
            );
        }
    }
}

//! The preview of a plan, as text: written piece by piece, so the command line can print a
//! million identities without holding their preview in memory.

use foldhash::{HashMap, HashMapExt, HashSet};
use std::fmt::{self, Write};

use super::plan::{Action, ImportPlan};
use super::{identity_questions, sanitize, shown_name};
use crate::questionnaire::{Question, Questionnaire};
use crate::session::Value;

/// The preview printed by `--dry-run` (and as the summary of a real import).
pub fn render_plan(q: &Questionnaire, plan: &ImportPlan) -> String {
    render_plan_hinting(q, plan, "use --overwrite to replace it")
}

/// [`render_plan`], saying how to replace a kept live answer where the plan is shown (the app
/// has a key for it, the command line a flag).
pub fn render_plan_hinting(q: &Questionnaire, plan: &ImportPlan, overwrite_hint: &str) -> String {
    let mut out = String::new();
    let _ = write_plan(q, plan, overwrite_hint, &mut out);
    out
}

fn qid_of(q: &Question) -> &str {
    &q.id
}

/// [`render_plan_hinting`] into `w`, one identity at a time.
pub fn write_plan(
    q: &Questionnaire,
    plan: &ImportPlan,
    overwrite_hint: &str,
    w: &mut dyn Write,
) -> fmt::Result {
    let added = plan
        .identities
        .iter()
        .filter(|i| i.existing.is_none())
        .count();
    // Existing systems the import links to an identity not linked to them yet.
    let linked = plan
        .identities
        .iter()
        .flat_map(|i| &i.systems)
        .filter(|l| l.existing.is_some() && !l.linked)
        .map(|l| l.name.as_str())
        .collect::<HashSet<&str>>()
        .len();
    let systems = match (plan.new_systems.len(), linked) {
        (0, 0) => String::new(),
        (new, 0) => format!("systems: {new} new; "),
        (new, linked) => format!("systems: {new} new, {linked} existing linked by name; "),
    };
    let written = plan.answers_written();
    writeln!(
        w,
        "{} row{} read: {} identit{} ({added} new, {} updated); {systems}{written} answer{} \
         pre-filled",
        plan.rows,
        if plan.rows == 1 { "" } else { "s" },
        plan.identities.len(),
        if plan.identities.len() == 1 {
            "y"
        } else {
            "ies"
        },
        plan.identities.len() - added,
        if written == 1 { "" } else { "s" },
    )?;
    if plan.identities.len() > BLOCK {
        write_blocks(plan, w)?;
    } else {
        write_identities(q, plan, overwrite_hint, w)?;
    }
    if !plan.new_systems.is_empty() {
        // A large plan names the first few: the rest are in the file.
        let named = if plan.identities.len() > BLOCK {
            20
        } else {
            usize::MAX
        };
        write!(w, "\nnew systems: ")?;
        for (i, n) in plan.new_systems.iter().take(named).enumerate() {
            write!(w, "{}\"{}\"", if i > 0 { ", " } else { "" }, shown_name(n))?;
        }
        if plan.new_systems.len() > named {
            write!(w, " and {} more", plan.new_systems.len() - named)?;
        }
        writeln!(w)?;
    }
    for warn in &plan.warnings {
        writeln!(w, "note: {warn}")?;
    }
    if !plan.skipped.is_empty() {
        writeln!(
            w,
            "\nskipped {} bad row{} (not imported):",
            plan.skipped.len(),
            if plan.skipped.len() == 1 { "" } else { "s" }
        )?;
        for e in &plan.skipped {
            writeln!(w, "  {}: {}", e.place(), e.message.replace('\n', "\n  "))?;
        }
    }
    Ok(())
}

/// Every identity and what happens to each answer, for a plan of at most [`BLOCK`] identities.
fn write_identities(
    q: &Questionnaire,
    plan: &ImportPlan,
    overwrite_hint: &str,
    w: &mut dyn Write,
) -> fmt::Result {
    let questions = identity_questions(q);
    let mut labels: HashMap<(&str, &str), String> = HashMap::new();
    let mut other: String;
    for ip in &plan.identities {
        write!(
            w,
            "\n{} identity \"{}\"",
            if ip.existing.is_some() { "~" } else { "+" },
            shown_name(&ip.name)
        )?;
        if let Some(id) = &ip.existing {
            write!(w, " [{id}, existing]")?;
        }
        write!(w, " (line{} ", if ip.lines.len() == 1 { "" } else { "s" })?;
        for (i, l) in ip.lines.iter().enumerate() {
            write!(w, "{}{l}", if i > 0 { ", " } else { "" })?;
        }
        writeln!(w, ")")?;
        for l in &ip.systems {
            write!(w, "    system: \"{}\" (", shown_name(&l.name))?;
            match &l.existing {
                Some(id) if l.linked => write!(w, "existing {id}, already linked")?,
                Some(id) => write!(w, "existing {id}, linked by name")?,
                None => write!(w, "new")?,
            }
            writeln!(w, ")")?;
        }
        for a in &ip.answers {
            let Some(question) = questions.get(a.question.as_str()) else {
                continue;
            };
            // Choices are few: each label is cleaned once.
            let shown: &str = match &a.value {
                Value::Text(v) if question.kind.is_choice() => labels
                    .entry((qid_of(question), v.as_str()))
                    .or_insert_with(|| sanitize(&a.value.display(question))),
                _ => {
                    other = sanitize(&a.value.display(question));
                    &other
                }
            };
            let qid = &a.question;
            match &a.action {
                Action::Add => writeln!(w, "    {qid} = {shown}  [{}]", a.from)?,
                Action::Replace { old } => writeln!(
                    w,
                    "    {qid} = {shown}  (was {})  [{}]",
                    sanitize(&old.display(question)),
                    a.from
                )?,
                Action::Unchanged => writeln!(w, "    {qid} = {shown}  (already so)")?,
                Action::KeepLive { live } => writeln!(
                    w,
                    "    {qid}: kept the live answer \"{}\" (the file says \"{shown}\"; \
                     {overwrite_hint})",
                    sanitize(&live.display(question))
                )?,
                Action::NotAsked { because } => writeln!(
                    w,
                    "    {qid}: not asked for this identity{}{because}, so \"{shown}\" is not \
                     recorded",
                    if because.is_empty() { "" } else { " because " },
                )?,
            }
        }
    }
    Ok(())
}

/// Identities per line of a large plan's preview.
pub(crate) const BLOCK: usize = 1000;

/// A large plan, one line per [`BLOCK`] identities: a million identities' preview is about a
/// thousand lines (the whole of it was 240 MB at a million rows, longer to print than to plan).
fn write_blocks(plan: &ImportPlan, w: &mut dyn Write) -> fmt::Result {
    writeln!(
        w,
        "\n(more than {BLOCK} identities: one line per {BLOCK}, in the file's order)"
    )?;
    for (k, block) in plan.identities.chunks(BLOCK).enumerate() {
        let (mut new, mut links, mut written, mut same, mut kept, mut hidden) = (0, 0, 0, 0, 0, 0);
        let (mut first, mut last) = (u64::MAX, 0);
        for ip in block {
            new += usize::from(ip.existing.is_none());
            links += ip.systems.iter().filter(|l| !l.linked).count();
            for l in &ip.lines {
                first = first.min(*l);
                last = last.max(*l);
            }
            for a in &ip.answers {
                match a.action {
                    Action::Add | Action::Replace { .. } => written += 1,
                    Action::Unchanged => same += 1,
                    Action::KeepLive { .. } => kept += 1,
                    Action::NotAsked { .. } => hidden += 1,
                }
            }
        }
        let from = k * BLOCK + 1;
        write!(
            w,
            "identities {from}-{} (lines {first}-{last}): {new} new, {} updated; {links} \
             link{}; {written} answer{} pre-filled",
            from + block.len() - 1,
            block.len() - new,
            if links == 1 { "" } else { "s" },
            if written == 1 { "" } else { "s" },
        )?;
        for (n, what) in [
            (same, "already so"),
            (kept, "live kept"),
            (hidden, "not asked"),
        ] {
            if n > 0 {
                write!(w, ", {n} {what}")?;
            }
        }
        writeln!(w)?;
    }
    Ok(())
}

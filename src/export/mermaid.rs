//! The picture of the system boundary: a Mermaid flowchart (GitHub and most Markdown tools
//! render it). In-scope systems sit inside the boundary, marked SOC 1 / SOC 2; carved-out
//! subservice organisations sit outside it; identities point at what they reach.
//!
//! It stays readable at any size: beyond [`SYSTEMS`] in-scope systems (or [`VENDORS`]
//! subservice organisations) the rest become one "and N more" node, and beyond [`IDENTITIES`]
//! identities they are grouped by kind; [`Diagram::summary`] says so in words. Node ids are
//! generated, never user text, and labels keep only an allow-list of characters (the rest as
//! Mermaid's `#NN;` codes), so no name can close the code fence or change the graph.

use std::collections::{HashMap, HashSet};
use std::fmt::Write;

use crate::engine::{Outcome, Recommendation, Verdict};
use crate::questionnaire::SubserviceMethod;
use crate::session::Session;

/// Up to this many in-scope systems are all drawn; beyond, the first [`SHOWN`] and one node.
pub const SYSTEMS: usize = 30;
/// Up to this many carved-out subservice organisations are all drawn; beyond, the first
/// [`SHOWN`] and one node.
pub const VENDORS: usize = 15;
pub(crate) const SHOWN: usize = 12;
pub(crate) const IDENTITIES: usize = 12;
const LABEL: usize = 48;

pub struct Diagram {
    pub text: String,
    /// A sentence saying what was grouped or left out, when anything was.
    pub summary: Option<String>,
}

/// A label: cleaned of controls and invisible characters, cut to [`LABEL`] characters, and
/// every character outside the allow-list written as a Mermaid entity code.
pub(crate) fn label(s: &str) -> String {
    let clean = crate::text::clean(s);
    let mut chars: Vec<char> = clean.trim().chars().collect();
    if chars.len() > LABEL {
        chars.truncate(LABEL - 1);
        chars.push('…');
    }
    let mut out = String::new();
    for c in chars {
        if c.is_alphanumeric()
            || matches!(
                c,
                ' ' | '.' | ',' | '-' | '/' | '(' | ')' | '\'' | '+' | ':' | '@' | '…'
            )
        {
            out.push(c);
        } else {
            let _ = write!(out, "#{};", c as u32);
        }
    }
    if out.is_empty() {
        "#8212;".to_string()
    } else {
        out
    }
}

fn reports(v: Verdict) -> &'static str {
    match v {
        Verdict::Soc1 => "SOC 1",
        Verdict::Soc2 => "SOC 2",
        Verdict::Both => "SOC 1 + SOC 2",
        _ => "",
    }
}

fn class(v: Verdict) -> &'static str {
    match v {
        Verdict::Soc1 => "soc1",
        Verdict::Soc2 => "soc2",
        _ => "both",
    }
}

/// The boundary diagram of a recommendation. Linear in systems, identities and links.
pub fn boundary(s: &Session, r: &Recommendation) -> Diagram {
    let mut w = String::new();
    let _ = writeln!(w, "flowchart LR");
    let mut notes: Vec<String> = Vec::new();

    // System id -> node id, for edges.
    let mut node: HashMap<&str, String> = HashMap::new();
    let inside: Vec<_> = r
        .systems
        .iter()
        .filter(|x| {
            matches!(x.verdict, Verdict::Soc1 | Verdict::Soc2 | Verdict::Both)
                && x.decision.outcome != Outcome::CarvedOut
                && x.subservice != Some(SubserviceMethod::CarveOut)
        })
        .collect();
    // SOC 1 systems first: when the picture has to leave systems out, it keeps those an
    // auditor of financial reporting looks for.
    let mut inside = inside;
    inside.sort_by_key(|x| match x.verdict {
        Verdict::Both => 0,
        Verdict::Soc1 => 1,
        _ => 2,
    });
    let many = inside.len() > SYSTEMS;
    let outside: Vec<_> = r
        .subservices
        .iter()
        .filter(|x| x.method == SubserviceMethod::CarveOut)
        .collect();

    let _ = writeln!(w, "  subgraph boundary[\"Inside the system boundary\"]");
    if inside.is_empty() {
        let _ = writeln!(w, "    none[\"No system in scope yet\"]");
    }
    let drawn = if many { SHOWN } else { SYSTEMS };
    for (i, x) in inside.iter().enumerate() {
        if i == drawn {
            let _ = writeln!(
                w,
                "    more_s[\"and {} more in-scope systems\"]",
                inside.len() - drawn
            );
            notes.push(format!(
                "{drawn} of the {} in-scope systems are drawn (SOC 1 first), the rest as one node",
                inside.len()
            ));
            break;
        }
        let id = format!("s{i}");
        let inclusive = if x.subservice == Some(SubserviceMethod::Inclusive) {
            "<br/>subservice, inclusive"
        } else {
            ""
        };
        let _ = writeln!(
            w,
            "    {id}[\"{}<br/>{}{inclusive}\"]:::{}",
            label(&x.name),
            reports(x.verdict),
            class(x.verdict)
        );
        node.insert(&x.id, id);
    }
    for x in inside.iter().skip(drawn) {
        node.insert(&x.id, "more_s".to_string());
    }
    let _ = writeln!(w, "  end");

    if !outside.is_empty() {
        let _ = writeln!(
            w,
            "  subgraph carved[\"Carved out: subservice organisations\"]"
        );
        let drawn = if outside.len() > VENDORS {
            SHOWN
        } else {
            VENDORS
        };
        for (i, x) in outside.iter().enumerate() {
            if i == drawn {
                let _ = writeln!(
                    w,
                    "    more_v[\"and {} more subservice organisations\"]",
                    outside.len() - drawn
                );
                notes.push(format!(
                    "{drawn} of the {} subservice organisations are drawn",
                    outside.len()
                ));
                break;
            }
            let id = format!("v{i}");
            // What it owes us: held already, or still to obtain.
            let missing =
                crate::report::wording::not_held(&x.needs, x.holds.as_deref().unwrap_or_default());
            let held: Vec<_> = x.needs.iter().filter(|r| !missing.contains(r)).collect();
            let missing: Vec<_> = missing.iter().collect();
            let label_of = |v: &[&crate::questionnaire::Report]| {
                v.iter().map(|r| r.label()).collect::<Vec<_>>().join(" + ")
            };
            let mut needs = String::new();
            if !held.is_empty() {
                let _ = write!(needs, "<br/>its {} held", label_of(&held));
            }
            if !missing.is_empty() {
                let _ = write!(needs, "<br/>needs its {}", label_of(&missing));
            }
            let _ = writeln!(
                w,
                "    {id}[\"{}<br/>carve-out{needs}\"]:::vendor",
                label(&x.system.name)
            );
            node.insert(&x.system.id, id);
        }
        for x in outside.iter().skip(drawn) {
            node.insert(&x.system.id, "more_v".to_string());
        }
        let _ = writeln!(w, "  end");
    }

    // Runs-on edges: our systems to the provider that hosts them; with many systems, one edge
    // from the boundary saying how many run on it.
    let mut edges: HashSet<(String, String)> = HashSet::new();
    for x in &outside {
        let Some(to) = node.get(x.system.id.as_str()) else {
            continue;
        };
        if many {
            let n = x
                .supports
                .iter()
                .filter(|e| node.contains_key(e.id.as_str()))
                .count();
            if n > 0 && edges.insert(("boundary".into(), to.clone())) {
                let _ = writeln!(
                    w,
                    "  boundary -- {n} system{} run on it --> {to}",
                    if n == 1 { "" } else { "s" }
                );
            }
            continue;
        }
        for e in &x.supports {
            if let Some(from) = node.get(e.id.as_str())
                && edges.insert((from.clone(), to.clone()))
            {
                let _ = writeln!(w, "  {from} -- runs on --> {to}");
            }
        }
    }

    // Identities, one node each or grouped by kind.
    let in_scope: Vec<_> = r.identities.iter().filter(|x| x.soc1 || x.soc2).collect();
    let links: HashMap<&str, &[String]> = s
        .identities
        .iter()
        .map(|x| (x.id.as_str(), x.systems.as_slice()))
        .collect();
    // With many systems an identity points at the boundary (or the providers it reaches), not
    // at each system: the picture stays a picture.
    let mut edge = |w: &mut String, from: &str, sys: &str| {
        if let Some(to) = node.get(sys) {
            let to = match to.as_bytes().first() {
                _ if !many => to.as_str(),
                Some(b's') | Some(b'm') if to != "more_v" => "boundary",
                _ => "carved",
            };
            if edges.insert((from.to_string(), to.to_string())) {
                let _ = writeln!(w, "  {from} --> {to}");
            }
        }
    };
    if in_scope.len() <= IDENTITIES {
        for (i, x) in in_scope.iter().enumerate() {
            let id = format!("i{i}");
            let kind = x
                .kind
                .as_deref()
                .map(|k| format!("<br/>{}", label(k)))
                .unwrap_or_default();
            let _ = writeln!(w, "  {id}([\"{}{kind}\"]):::identity", label(&x.name));
            for sys in links.get(x.id.as_str()).copied().unwrap_or_default() {
                edge(&mut w, &id, sys);
            }
        }
    } else {
        let mut kinds: Vec<(&str, Vec<&str>)> = Vec::new();
        let mut at: HashMap<&str, usize> = HashMap::new();
        for x in &in_scope {
            let k = x.kind.as_deref().unwrap_or("Kind not recorded");
            let i = *at.entry(k).or_insert_with(|| {
                kinds.push((k, Vec::new()));
                kinds.len() - 1
            });
            kinds[i].1.push(x.id.as_str());
        }
        for (i, (k, ids)) in kinds.iter().enumerate() {
            let id = format!("k{i}");
            let _ = writeln!(
                w,
                "  {id}([\"{} #215; {}\"]):::identity",
                ids.len(),
                label(k)
            );
            for iid in ids {
                for sys in links.get(iid).copied().unwrap_or_default() {
                    edge(&mut w, &id, sys);
                }
            }
        }
        notes.push(format!(
            "the {} in-scope identities are grouped by kind",
            in_scope.len()
        ));
    }

    let _ = writeln!(w, "  classDef soc1 fill:#dbeafe,stroke:#1d4ed8");
    let _ = writeln!(w, "  classDef soc2 fill:#dcfce7,stroke:#15803d");
    let _ = writeln!(w, "  classDef both fill:#fef3c7,stroke:#b45309");
    let _ = writeln!(
        w,
        "  classDef vendor fill:#f3f4f6,stroke:#6b7280,stroke-dasharray:4 3"
    );
    let _ = writeln!(w, "  classDef identity fill:#ffffff,stroke:#6b7280");
    let _ = writeln!(
        w,
        "  style boundary fill:#fffdf5,stroke:#1f2937,stroke-width:2px"
    );
    if !outside.is_empty() {
        let _ = writeln!(
            w,
            "  style carved fill:#f9fafb,stroke:#9ca3af,stroke-dasharray:6 4"
        );
    }
    let summary = (!notes.is_empty()).then(|| {
        let mut s = notes.join("; ");
        if let Some(first) = s.get(..1) {
            s = first.to_uppercase() + &s[1..];
        }
        format!("{s}. The Systems and Identities sections list every one.")
    });
    Diagram { text: w, summary }
}

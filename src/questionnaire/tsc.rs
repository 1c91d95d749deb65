//! The 61 valid Trust Services Criteria IDs (2017 TSC; ../shared/domain.md section 5).

pub(crate) const IDS: [&str; 61] = [
    "CC1.1", "CC1.2", "CC1.3", "CC1.4", "CC1.5", "CC2.1", "CC2.2", "CC2.3", "CC3.1", "CC3.2",
    "CC3.3", "CC3.4", "CC4.1", "CC4.2", "CC5.1", "CC5.2", "CC5.3", "CC6.1", "CC6.2", "CC6.3",
    "CC6.4", "CC6.5", "CC6.6", "CC6.7", "CC6.8", "CC7.1", "CC7.2", "CC7.3", "CC7.4", "CC7.5",
    "CC8.1", "CC9.1", "CC9.2", "A1.1", "A1.2", "A1.3", "C1.1", "C1.2", "PI1.1", "PI1.2", "PI1.3",
    "PI1.4", "PI1.5", "P1.1", "P2.1", "P3.1", "P3.2", "P4.1", "P4.2", "P4.3", "P5.1", "P5.2",
    "P6.1", "P6.2", "P6.3", "P6.4", "P6.5", "P6.6", "P6.7", "P7.1", "P8.1",
];

pub(crate) fn is_valid(id: &str) -> bool {
    IDS.contains(&id)
}

/// The Trust Services Category a criterion belongs to (`CC` criteria are Security's, the
/// common criteria every SOC 2 includes); `None` for anything that is not a criterion ID.
pub fn category(id: &str) -> Option<super::Category> {
    use super::Category;
    if !is_valid(id) {
        return None;
    }
    let letters: String = id.chars().take_while(|c| c.is_ascii_uppercase()).collect();
    match letters.as_str() {
        "CC" => Some(Category::Security),
        "A" => Some(Category::Availability),
        "PI" => Some(Category::ProcessingIntegrity),
        "C" => Some(Category::Confidentiality),
        "P" => Some(Category::Privacy),
        _ => None,
    }
}

/// A reference shaped like a criterion ID (letters, digits, a dot, digits), e.g. `CC6.1` or the
/// common mistake `PP1.2`; other references (`domain.md §4`, `seed 001`) are free text.
pub(crate) fn looks_like_tsc(r: &str) -> bool {
    let Some((head, tail)) = r.split_once('.') else {
        return false;
    };
    let letters: String = head
        .chars()
        .take_while(|c| c.is_ascii_uppercase())
        .collect();
    let digits = &head[letters.len()..];
    !letters.is_empty()
        && letters.len() <= 3
        && !digits.is_empty()
        && digits.chars().all(|c| c.is_ascii_digit())
        && !tail.is_empty()
        && tail.chars().all(|c| c.is_ascii_digit())
}

/// A fix hint for an invalid ID, naming the known mistakes (domain.md §5).
pub(crate) fn suggest(r: &str) -> String {
    if let Some(rest) = r.strip_prefix("PP") {
        return format!("processing integrity criteria are PI1.1-PI1.5: did you mean `PI{rest}`?");
    }
    if r.starts_with("P1.") {
        return "privacy criteria are P1.1, P2.1, P3.1-P3.2, P4.1-P4.3, P5.1-P5.2, P6.1-P6.7, \
                P7.1 and P8.1 (not P1.1-P1.8)"
            .to_string();
    }
    "use one of the 61 Trust Services Criteria IDs (2017 criteria: CC1.1-CC9.2, A1.1-A1.3, \
     C1.1-C1.2, PI1.1-PI1.5, P1.1-P8.1)"
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_match_domain_primer() {
        let count = |p: &str| IDS.iter().filter(|i| i.starts_with(p)).count();
        assert_eq!(count("CC"), 33);
        assert_eq!(count("A1"), 3);
        assert_eq!(count("C1"), 2);
        assert_eq!(count("PI"), 5);
        assert_eq!(
            IDS.iter()
                .filter(|i| i.starts_with('P') && !i.starts_with("PI"))
                .count(),
            18
        );
    }

    #[test]
    fn known_public_errors_are_rejected() {
        for bad in ["PP1.1", "P1.8", "P1.2", "CC6.9", "CC10.1"] {
            assert!(looks_like_tsc(bad) && !is_valid(bad), "{bad}");
        }
        assert!(!looks_like_tsc("domain.md §4"));
        assert!(!looks_like_tsc("seed 001"));
        assert!(suggest("PP1.3").contains("PI1.3"));
    }
}

//! Access key ids are masked wherever they leave the process: in mail, in
//! logs and in error messages. Only the first and last four characters stay,
//! enough for an owner to tell their keys apart in the IAM console.

/// `AKIAIOSFODNN7EXAMPLE` → `AKIA…MPLE`.
pub fn mask_key_id(id: &str) -> String {
    let chars: Vec<char> = id.chars().collect();
    if chars.len() < 12 {
        return "…".to_string();
    }
    let head: String = chars[..4].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}…{tail}")
}

/// Masks every word in `text` that looks like an access key id: `AKIA` or
/// `ASIA` followed by upper-case letters and digits, 16 characters or more.
pub fn mask_key_ids(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        if looks_like_key_id(word) {
            out.push_str(&mask_key_id(word));
        } else {
            out.push_str(word);
        }
        word.clear();
    };
    for c in text.chars() {
        if c.is_ascii_uppercase() || c.is_ascii_digit() {
            word.push(c);
        } else {
            flush(&mut word, &mut out);
            out.push(c);
        }
    }
    flush(&mut word, &mut out);
    out
}

fn looks_like_key_id(word: &str) -> bool {
    (word.starts_with("AKIA") || word.starts_with("ASIA")) && (16..=128).contains(&word.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_first_and_last_four() {
        assert_eq!(mask_key_id("AKIAIOSFODNN7EXAMPLE"), "AKIA…MPLE");
        assert_eq!(mask_key_id("short"), "…");
    }

    #[test]
    fn masks_key_ids_inside_text_and_leaves_other_words() {
        assert_eq!(
            mask_key_ids(
                "The Access Key with id AKIAIOSFODNN7EXAMPLE cannot be found; ASIAY34FZKBOKMUTVV7A too. AIDATCKAQT2XHRAS7UPNO stays, AKIA stays."
            ),
            "The Access Key with id AKIA…MPLE cannot be found; ASIA…VV7A too. AIDATCKAQT2XHRAS7UPNO stays, AKIA stays."
        );
    }
}

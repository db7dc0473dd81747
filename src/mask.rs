//! Outside text as it leaves the process. Access key ids are masked wherever
//! they appear: in mail, in logs, in error messages; only the first and last
//! four characters stay, enough for an owner to tell their keys apart in the
//! IAM console. A value from outside quoted in a message is bounded to
//! [`QUOTE_LIMIT`] characters, an AWS error message to [`MESSAGE_LIMIT`].

/// Characters of an outside value (an event field, a configuration value, a
/// tag) a message quotes.
pub(crate) const QUOTE_LIMIT: usize = 64;
/// Characters of an AWS error message (or of an unreadable response) an
/// error carries: enough for SES's longest explanations.
pub const MESSAGE_LIMIT: usize = 256;

/// Length of an access key id: `AKIA` or `ASIA` and 16 more.
const KEY_ID_LEN: usize = 20;

/// `AKIAIOSFODNN7EXAMPLE` → `AKIA…MPLE`.
pub(crate) fn mask_key_id(id: &str) -> String {
    let chars: Vec<char> = id.chars().collect();
    if chars.len() < 12 {
        return "…".to_string();
    }
    let head: String = chars[..4].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}…{tail}")
}

/// Masks every access key id in `text`: `AKIA` or `ASIA` followed by 16
/// upper-case letters or digits, wherever it starts (inside a word, after
/// `%3D` in a URL-encoded query, after a digit). The mask runs to the end of
/// the id's run of upper-case letters and digits, so characters glued to an
/// id never reveal more of it than its last four.
///
/// Hand-written: one linear pass over the bytes, where the `regex` crate
/// would add to the binary and the cold start for a single fixed pattern.
pub(crate) fn mask_key_ids(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut i = 0;
    while i + KEY_ID_LEN <= bytes.len() {
        if !key_id_at(bytes, i) {
            i += 1;
            continue;
        }
        let mut end = i + KEY_ID_LEN;
        while end < bytes.len() && id_char(bytes[end]) {
            end += 1;
        }
        // `i` and `end` sit next to ASCII bytes: both are char boundaries.
        out.push_str(&text[copied..i]);
        out.push_str(&text[i..i + 4]);
        out.push('…');
        out.push_str(&text[end - 4..end]);
        copied = end;
        i = end;
    }
    out.push_str(&text[copied..]);
    out
}

fn id_char(b: u8) -> bool {
    b.is_ascii_uppercase() || b.is_ascii_digit()
}

fn key_id_at(bytes: &[u8], i: usize) -> bool {
    let rest = &bytes[i..];
    (rest.starts_with(b"AKIA") || rest.starts_with(b"ASIA"))
        && rest.len() >= KEY_ID_LEN
        && rest[4..KEY_ID_LEN].iter().all(|&b| id_char(b))
}

/// An outside value as a message quotes it: key ids masked, at most
/// [`QUOTE_LIMIT`] characters (then `…`), control characters escaped.
pub(crate) fn quote(value: &str) -> String {
    bounded(value, QUOTE_LIMIT).escape_debug().to_string()
}

/// `text` with key ids masked and cut to `limit` characters (then `…`).
/// Masking comes first, so a cut never leaves a partial id unmasked.
pub fn bounded(text: &str, limit: usize) -> String {
    let masked = mask_key_ids(text);
    match masked.char_indices().nth(limit) {
        None => masked,
        Some((cut, _)) => format!("{}…", &masked[..cut]),
    }
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

    #[test]
    fn masks_key_ids_glued_to_other_text() {
        let cases = [
            ("Key 1AKIAIOSFODNN7EXAMPLE", "Key 1AKIA…MPLE"),
            ("KEYAKIAIOSFODNN7EXAMPLE.", "KEYAKIA…MPLE."),
            (
                "Action=X&AccessKeyId%3DAKIAIOSFODNN7EXAMPLE%26",
                "Action=X&AccessKeyId%3DAKIA…MPLE%26",
            ),
            ("s3-AKIAIOSFODNN7EXAMPLE-svc", "s3-AKIA…MPLE-svc"),
            ("akiaAKIAIOSFODNN7EXAMPLE", "akiaAKIA…MPLE"),
            // A second id glued after the first reveals only the run's end.
            ("AKIAAKIAIOSFODNN7EXAMPLE", "AKIA…MPLE"),
            ("AKIAIOSFODNN7EXAMPLEXYZ", "AKIA…EXYZ"),
            ("日本AKIAIOSFODNN7EXAMPLE日本", "日本AKIA…MPLE日本"),
            // Shorter than an id, or lower case: not an id.
            ("AKIAIOSFODNN7EXAMPL", "AKIAIOSFODNN7EXAMPL"),
            ("akiaiosfodnn7example", "akiaiosfodnn7example"),
        ];
        for (input, want) in cases {
            assert_eq!(mask_key_ids(input), want, "{input}");
        }
    }

    #[test]
    fn quoting_bounds_escapes_and_masks_before_cutting() {
        assert_eq!(quote("a\r\nb"), "a\\r\\nb");
        let long = "x".repeat(5 << 20);
        let quoted = quote(&long);
        assert_eq!(quoted.chars().count(), QUOTE_LIMIT + 1);
        assert!(quoted.ends_with('…'));
        // An id straddling the cut is masked, not half shown.
        let straddling = format!("{}AKIAIOSFODNN7EXAMPLE", "y".repeat(55));
        assert_eq!(
            bounded(&straddling, QUOTE_LIMIT),
            format!("{}AKIA…MPLE", "y".repeat(55))
        );
        let straddling = format!("{}AKIAIOSFODNN7EXAMPLE", "y".repeat(62));
        assert_eq!(
            bounded(&straddling, QUOTE_LIMIT),
            format!("{}AK…", "y".repeat(62))
        );
    }
}

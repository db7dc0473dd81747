//! A rendered mail: its subject, text and HTML as they leave the process.

use crate::mask::mask_key_ids;

/// A rendered mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

impl Rendered {
    /// The three rendered parts as they leave the process, for notices and
    /// the digest alike: a subject is one line, whatever a template or a
    /// value contains, and no key id leaves unmasked, whichever value from
    /// outside carried it.
    pub fn finish(subject: &str, text: &str, html: &str) -> Rendered {
        let subject = subject.split_whitespace().collect::<Vec<_>>().join(" ");
        Rendered {
            subject: mask_key_ids(&subject),
            text: mask_key_ids(text),
            html: mask_key_ids(html),
        }
    }
}

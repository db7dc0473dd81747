//! The views: the only code that turns results into words. Each reads the
//! typed results (the model's, the outcome's and the report's) and lays
//! them out for one reader:
//!
//! - [`mail`]: the mails (askama templates, English and Japanese, text and
//!   HTML): the owner's notice, the deactivated mail, both digests;
//! - [`chat`]: the team's chat channel (custom notifications for Amazon Q
//!   Developer in chat applications);
//! - [`report`]: `scan`'s table and CSV;
//! - [`report_html`]: `scan`'s self-contained HTML page (the age chart and
//!   the digest's sections);
//! - [`findings`]: Security Hub's findings (ASFF), for the hub and for
//!   `scan --format asff`.

pub(crate) mod chat;
pub(crate) mod findings;
pub(crate) mod mail;
pub(crate) mod report;
pub(crate) mod report_html;

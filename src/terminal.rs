//! Progress where a person waits: `scan` and `sweep` run by hand draw a
//! sweep's steps ([`Step`]) on stderr with indicatif: the users read of
//! how many, the retries, the report being made. Only when stderr is a
//! terminal: in a pipe, a log file or CI nothing extra is written, and
//! stdout (the table, JSON, CSV or HTML) is never touched. While the bar
//! is drawn, each JSON log line is written above it.

use std::io::IsTerminal;
use std::sync::Arc;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::flow::progress::{Step, Watch, Watcher};
use crate::logging;

/// The bar on stderr, redrawn at most this often per second.
const REFRESH_HZ: u8 = 10;

/// Before the users are known: a spinner and what is being read.
const WAITING: &str = "{spinner} [{elapsed}] {msg}";
/// Once they are: how many of them are read.
const COUNTING: &str = "{spinner} [{elapsed}] {bar:30} {pos}/{len} {msg}";

fn style(template: &str) -> ProgressStyle {
    ProgressStyle::with_template(template)
        .expect("the templates are valid")
        .progress_chars("=> ")
}

/// A progress bar on stderr, for one command.
struct Bar(ProgressBar);

impl Watch for Bar {
    fn step(&self, step: Step) {
        let bar = &self.0;
        match step {
            Step::Planned { users } => {
                bar.set_length(u64::try_from(users).unwrap_or(u64::MAX));
                bar.set_position(0);
                bar.set_message("users read");
                bar.set_style(style(COUNTING));
            }
            Step::UserRead => bar.inc(1),
            Step::Retrying { users } => {
                bar.inc_length(u64::try_from(users).unwrap_or(u64::MAX));
                bar.set_message(format!(
                    "users read ({users} again, after a retryable error)"
                ));
            }
            Step::Reporting => bar.set_message("users read; generating the report"),
            Step::Publishing => bar.set_message("users read; publishing chat and the digest"),
        }
    }
}

/// Who watches a command's sweep: a bar on stderr when stderr is a
/// terminal, nobody otherwise. Call [`Progress::done`] before printing the
/// result.
pub struct Progress {
    bar: Option<ProgressBar>,
}

impl Progress {
    /// A bar on stderr, if stderr is a terminal.
    pub fn on_stderr() -> Progress {
        if !std::io::stderr().is_terminal() {
            return Progress { bar: None };
        }
        let bar =
            ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr_with_hz(REFRESH_HZ))
                .with_style(style(WAITING))
                .with_message("reading the account and the credential report");
        bar.enable_steady_tick(std::time::Duration::from_millis(100));
        let around = bar.clone();
        logging::write_around(Box::new(move |write| around.suspend(&mut *write)));
        Progress { bar: Some(bar) }
    }

    /// The watcher to give the invocation.
    pub fn watcher(&self) -> Watcher {
        match &self.bar {
            Some(bar) => Watcher::new(Arc::new(Bar(bar.clone()))),
            None => Watcher::nobody(),
        }
    }

    /// Ends the bar: its last line (users read of how many) stays, drawn
    /// in full, and what follows is the command's result. A sweep that
    /// never planned (it failed first) leaves no line.
    pub fn done(&self) {
        let Some(bar) = &self.bar else { return };
        match bar.length() {
            // Where it stopped, not full: a sweep out of time reads fewer.
            Some(_) => {
                bar.abandon_with_message("users read");
                // The drawn line is left as it is; what follows starts below.
                eprintln!();
            }
            None => bar.finish_and_clear(),
        }
    }
}

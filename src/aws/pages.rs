//! Bounded pagination. A listing that does not end (the same marker again,
//! a marker on every page, ever more items) is a damaged answer, not a big
//! account: it ends in a retryable error naming the operation instead of
//! looping until the function times out or memory runs out.
//!
//! The SDK's own paginators are not used for this: on a repeated token they
//! stop quietly and hand back a partial list, which would read as "no such
//! key" rather than as a failure.

use std::collections::HashSet;

use crate::error::Error;
use crate::mask::{QUOTE_LIMIT, bounded};

/// One listing's progress and its bounds.
pub(crate) struct Pages {
    service: &'static str,
    operation: &'static str,
    max_pages: usize,
    max_items: usize,
    pages: usize,
    items: usize,
    markers: HashSet<String>,
}

impl Pages {
    /// A listing of at most `max_pages` pages and `max_items` items.
    pub(crate) fn new(
        service: &'static str,
        operation: &'static str,
        max_pages: usize,
        max_items: usize,
    ) -> Pages {
        Pages {
            service,
            operation,
            max_pages,
            max_items,
            pages: 0,
            items: 0,
            markers: HashSet::new(),
        }
    }

    /// Counts a page of `items` items that says whether it was `truncated`
    /// and where the next one starts; returns that marker, `None` when the
    /// listing is complete, or an error when a bound is crossed.
    pub(crate) fn next(
        &mut self,
        items: usize,
        truncated: bool,
        marker: Option<&str>,
    ) -> Result<Option<String>, Error> {
        self.pages += 1;
        self.items += items;
        if self.items > self.max_items {
            return Err(self.broken(format!(
                "more than {} items listed: far beyond what the service allows",
                self.max_items
            )));
        }
        if !truncated {
            return Ok(None);
        }
        let Some(marker) = marker.filter(|m| !m.is_empty()) else {
            return Err(self.broken("a page says more follow but gives no marker".into()));
        };
        if !self.markers.insert(marker.to_string()) {
            return Err(self.broken(format!(
                "the marker `{}` came back a second time",
                bounded(marker, QUOTE_LIMIT)
            )));
        }
        if self.pages >= self.max_pages {
            return Err(self.broken(format!("still not complete after {} pages", self.max_pages)));
        }
        Ok(Some(marker.to_string()))
    }

    fn broken(&self, why: String) -> Error {
        Error::Aws {
            service: self.service,
            operation: self.operation,
            code: None,
            message: format!("the listing does not end: {why}"),
            retryable: true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pages() -> Pages {
        Pages::new("IAM", "ListUsers", 3, 10)
    }

    #[test]
    fn a_listing_goes_on_while_pages_say_so_and_ends_when_they_stop() {
        let mut p = pages();
        assert_eq!(p.next(2, true, Some("m1")).unwrap().as_deref(), Some("m1"));
        assert_eq!(p.next(2, true, Some("m2")).unwrap().as_deref(), Some("m2"));
        assert_eq!(p.next(2, false, None).unwrap(), None);
        assert_eq!(p.pages, 3);
        // A marker on the last page means nothing without IsTruncated.
        assert_eq!(pages().next(1, false, Some("m")).unwrap(), None);
    }

    fn message(e: Error) -> String {
        assert!(e.is_retryable(), "{e}");
        e.to_string()
    }

    #[test]
    fn each_bound_is_a_retryable_error_naming_the_operation() {
        let mut p = pages();
        p.next(1, true, Some("same")).unwrap();
        let e = message(p.next(1, true, Some("same")).unwrap_err());
        assert!(
            e.starts_with(
                "IAM ListUsers failed: the listing does not end: the marker `same` came back"
            ),
            "{e}"
        );

        let mut p = pages();
        p.next(1, true, Some("a")).unwrap();
        p.next(1, true, Some("b")).unwrap();
        let e = message(p.next(1, true, Some("c")).unwrap_err());
        assert!(e.contains("still not complete after 3 pages"), "{e}");

        let mut p = pages();
        p.next(10, true, Some("a")).unwrap();
        let e = message(p.next(1, false, None).unwrap_err());
        assert!(e.contains("more than 10 items"), "{e}");

        let e = message(pages().next(1, true, None).unwrap_err());
        assert!(e.contains("gives no marker"), "{e}");
        let e = message(pages().next(1, true, Some("")).unwrap_err());
        assert!(e.contains("gives no marker"), "{e}");
    }
}

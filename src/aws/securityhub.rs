//! [`FindingsHub`] on AWS Security Hub: BatchImportFindings and
//! GetFindings.
//!
//! Relied on (AWS Security Hub API reference): BatchImportFindings takes 1
//! to 100 findings per call and answers `FailedCount`, `SuccessCount` and
//! `FailedFindings` (`Id`, `ErrorCode`, `ErrorMessage`) for those it
//! refused; a finding whose `Id` exists is updated only when its
//! `UpdatedAt` is later; the finding provider sets `RecordState`, never
//! `Workflow` of an existing finding (that is the analyst's, through
//! BatchUpdateFindings). Its quota is 10 requests a second with bursts of
//! 30: the calls here are one after another, and a throttled call is
//! retried by the SDK's standard retry. GetFindings pages by `NextToken`
//! (at most 100 a page) and filters with `StringFilter`s (`EQUALS`).

use std::collections::BTreeSet;

use aws_sdk_securityhub::Client;
use aws_sdk_securityhub::types::{
    AwsSecurityFinding, AwsSecurityFindingFilters, Compliance, ComplianceStatus, Recommendation,
    RecordState, Remediation, Resource, Severity, SeverityLabel, StringFilter,
    StringFilterComparison,
};
use chrono::{DateTime, Utc};

use crate::aws::classify;
use crate::aws::lazy::Lazy;
use crate::aws::pages::Pages;
use crate::error::Error;
use crate::findings::{Finding, GENERATOR_ID, MAX_PER_CALL, timestamp};
use crate::ports::findings::{FindingsHub, Refused};

/// The most of this tool's findings one account's listing may hold: one
/// per credential and concern, and an account has at most 5,000 users
/// (two keys, one password each).
const MAX_FINDINGS: usize = 20_000;

pub struct SecurityHub {
    client: Lazy<Client>,
    region: String,
}

impl SecurityHub {
    pub fn new(client: impl Into<Lazy<Client>>, region: Option<&str>) -> SecurityHub {
        SecurityHub {
            client: client.into(),
            region: region.unwrap_or("us-east-1").to_string(),
        }
    }

    async fn batch(&self, findings: Vec<AwsSecurityFinding>) -> Result<Refused, Error> {
        let mut refused = Refused::new();
        for chunk in findings.chunks(MAX_PER_CALL) {
            let out = Box::pin(
                self.client
                    .batch_import_findings()
                    .set_findings(Some(chunk.to_vec()))
                    .send(),
            )
            .await
            .map_err(|e| classify("SecurityHub", "BatchImportFindings", e))?;
            let Some(failed) = out.failed_count() else {
                return Err(Error::damaged(
                    "SecurityHub",
                    "BatchImportFindings",
                    "the answer holds no FailedCount",
                ));
            };
            let listed = out.failed_findings();
            if usize::try_from(failed).unwrap_or(usize::MAX) != listed.len() {
                return Err(Error::damaged(
                    "SecurityHub",
                    "BatchImportFindings",
                    "FailedCount differs from the FailedFindings listed",
                ));
            }
            for f in listed {
                let code = f.error_code().unwrap_or("Unknown").to_string();
                *refused.entry(code).or_default() += 1;
            }
        }
        Ok(refused)
    }
}

fn sdk_finding(f: &Finding) -> AwsSecurityFinding {
    let resources = f
        .resources
        .iter()
        .map(|r| {
            Resource::builder()
                .r#type(r.kind)
                .id(&r.id)
                .partition(r.partition.as_str().into())
                .region(&r.region)
                .build()
        })
        .collect();
    AwsSecurityFinding::builder()
        .schema_version(f.schema_version)
        .id(&f.id)
        .product_arn(&f.product_arn)
        .generator_id(f.generator_id)
        .aws_account_id(&f.aws_account_id)
        .set_types(Some(f.types.clone()))
        .created_at(&f.created_at)
        .updated_at(&f.updated_at)
        .severity(
            Severity::builder()
                .label(SeverityLabel::from(f.severity.label.label()))
                .build(),
        )
        .title(&f.title)
        .description(&f.description)
        .remediation(
            Remediation::builder()
                .recommendation(
                    Recommendation::builder()
                        .text(&f.remediation.recommendation.text)
                        .url(&f.remediation.recommendation.url)
                        .build(),
                )
                .build(),
        )
        .set_resources(Some(resources))
        .compliance(
            Compliance::builder()
                .status(ComplianceStatus::from(f.compliance.status))
                .build(),
        )
        .record_state(RecordState::from(f.record_state))
        .build()
}

/// `found` archived at `now`: the attributes BatchImportFindings requires,
/// as they were, with `RecordState` ARCHIVED and `Compliance` PASSED.
fn archived(found: &AwsSecurityFinding, now: DateTime<Utc>) -> AwsSecurityFinding {
    AwsSecurityFinding::builder()
        .set_schema_version(found.schema_version().map(str::to_string))
        .set_id(found.id().map(str::to_string))
        .set_product_arn(found.product_arn().map(str::to_string))
        .set_generator_id(found.generator_id().map(str::to_string))
        .set_aws_account_id(found.aws_account_id().map(str::to_string))
        .set_types(Some(found.types().to_vec()))
        .set_created_at(found.created_at().map(str::to_string))
        .updated_at(timestamp(now))
        .set_severity(found.severity().cloned())
        .set_title(found.title().map(str::to_string))
        .set_description(found.description().map(str::to_string))
        .set_remediation(found.remediation().cloned())
        .set_resources(Some(found.resources().to_vec()))
        .compliance(
            Compliance::builder()
                .status(ComplianceStatus::Passed)
                .build(),
        )
        .record_state(RecordState::Archived)
        .build()
}

fn equals(value: &str) -> StringFilter {
    StringFilter::builder()
        .value(value)
        .comparison(StringFilterComparison::Equals)
        .build()
}

impl FindingsHub for SecurityHub {
    fn region(&self) -> String {
        self.region.clone()
    }

    async fn import(&self, findings: &[Finding]) -> Result<Refused, Error> {
        self.batch(findings.iter().map(sdk_finding).collect()).await
    }

    async fn archive_others(
        &self,
        product_arn: &str,
        keep: &BTreeSet<String>,
        now: DateTime<Utc>,
    ) -> Result<(usize, Refused), Error> {
        let filters = AwsSecurityFindingFilters::builder()
            .product_arn(equals(product_arn))
            .generator_id(equals(GENERATOR_ID))
            .record_state(equals("ACTIVE"))
            .build();
        let mut pages = Pages::new(
            "SecurityHub",
            "GetFindings",
            MAX_FINDINGS / 100 + 1,
            MAX_FINDINGS,
        );
        let mut closing = Vec::new();
        let mut token = None;
        loop {
            let out = Box::pin(
                self.client
                    .get_findings()
                    .filters(filters.clone())
                    .max_results(100)
                    .set_next_token(token)
                    .send(),
            )
            .await
            .map_err(|e| classify("SecurityHub", "GetFindings", e))?;
            let found = out.findings();
            for f in found {
                let Some(id) = f.id() else {
                    return Err(Error::damaged(
                        "SecurityHub",
                        "GetFindings",
                        "a finding holds no Id",
                    ));
                };
                // The filters are the service's; what comes back is checked.
                let ours = f.generator_id() == Some(GENERATOR_ID)
                    && f.product_arn() == Some(product_arn)
                    && f.record_state() != Some(&RecordState::Archived);
                if ours && !keep.contains(id) {
                    closing.push(archived(f, now));
                }
            }
            let next = out.next_token().filter(|t| !t.is_empty());
            token = pages.next(found.len(), next.is_some(), next)?;
            if token.is_none() {
                break;
            }
        }
        let count = closing.len();
        if count == 0 {
            return Ok((0, Refused::new()));
        }
        let refused = self.batch(closing).await?;
        Ok((count - refused.values().sum::<usize>(), refused))
    }
}

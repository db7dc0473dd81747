//! [`ExemptionSource`] on Parameter Store: GetParameter of the one
//! parameter, which must be a `StringList` or a `String` (a `SecureString`
//! would need kms:Decrypt, which the function is not given, and an
//! exemption list is no secret). Per the SSM API reference, a StringList's
//! `Value` is its entries separated by commas.

use aws_sdk_ssm::Client;
use aws_sdk_ssm::types::ParameterType;

use crate::aws::classify;
use crate::aws::lazy::Lazy;
use crate::error::Error;
use crate::ports::exemptions::ExemptionSource;

pub struct SsmExemptionSource {
    client: Lazy<Client>,
    name: String,
}

impl SsmExemptionSource {
    pub fn new(client: impl Into<Lazy<Client>>, name: impl Into<String>) -> SsmExemptionSource {
        SsmExemptionSource {
            client: client.into(),
            name: name.into(),
        }
    }

    /// Whether the client has been built (it is, at its first call).
    pub(crate) fn client_built(&self) -> bool {
        self.client.is_built()
    }
}

impl ExemptionSource for SsmExemptionSource {
    fn parameter(&self) -> &str {
        &self.name
    }

    async fn read(&self) -> Result<String, Error> {
        let out = self
            .client
            .get_parameter()
            .name(&self.name)
            .send()
            .await
            .map_err(|e| classify("SSM", "GetParameter", e))?;
        let unusable = |message: String| Error::Aws {
            service: "SSM",
            operation: "GetParameter",
            code: None,
            message,
            retryable: false,
        };
        let parameter = out
            .parameter()
            .ok_or_else(|| unusable("the answer holds no parameter".into()))?;
        match parameter.r#type() {
            Some(ParameterType::StringList | ParameterType::String) => {}
            other => {
                return Err(unusable(format!(
                    "the exemption list must be a StringList, not {}",
                    other.map_or("an untyped parameter", |t| t.as_str())
                )));
            }
        }
        // SSM stores no empty value (a parameter's Value is 1 to 4,096
        // characters, SSM API reference, PutParameter): an answer without
        // one is damaged, never an empty list taken as "nobody is exempt".
        match parameter.value() {
            Some(value) if !value.is_empty() => Ok(value.to_string()),
            _ => Err(Error::damaged(
                "SSM",
                "GetParameter",
                "the parameter was answered without its value",
            )),
        }
    }
}

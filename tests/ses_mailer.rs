//! The SES v2 adapter through the real SDK against the emulator.

mod common;

use access_key_notifier::address;
use access_key_notifier::aws::ses::SesMailer;
use access_key_notifier::error::Error;
use access_key_notifier::ports::mailer::{Mail, Mailer};
use common::{Emulator, SENDER};

fn mail() -> Mail {
    Mail {
        from: address::parse(SENDER).unwrap(),
        to: vec![address::parse("alice@example.com").unwrap()],
        cc: vec![address::parse("security@example.com").unwrap()],
        subject: "[Action required] Rotate the IAM access key of alice within 7 days".into(),
        text: "text body".into(),
        html: "<p>html body</p>".into(),
        configuration_set: None,
        tags: vec![("notice_rule".into(), "access-keys-rotated-1".into())],
    }
}

#[tokio::test]
async fn an_unverified_sender_is_a_permanent_error_and_sends_nothing() {
    let mut emu = Emulator::start();
    let mailer = SesMailer::new(access_key_notifier::aws::ses_client(
        &emu.sdk_config().await,
    ));

    let err = mailer
        .send(&mail())
        .await
        .expect_err("the sender is not verified");

    assert!(!err.is_retryable(), "{err}");
    assert_eq!(err.error_type(), "Permanent.SesError");
    match &err {
        Error::Aws { code, .. } => assert_eq!(code.as_deref(), Some("MessageRejected"), "{err}"),
        other => panic!("unexpected error {other:?}"),
    }
    assert!(emu.messages().is_empty());
}

#[tokio::test]
async fn a_verified_sender_delivers_to_the_recipients() {
    let mut emu = Emulator::start();
    emu.verify_sender(SENDER);
    let mailer = SesMailer::new(access_key_notifier::aws::ses_client(
        &emu.sdk_config().await,
    ));

    let id = mailer.send(&mail()).await.unwrap();

    let messages = emu.messages();
    assert_eq!(messages.len(), 1);
    let m = &messages[0];
    assert_eq!(m["id"], id.as_str());
    assert_eq!(m["source"], SENDER);
    assert_eq!(m["subject"], mail().subject.as_str());
    assert_eq!(
        m["destinations"]["ToAddresses"],
        serde_json::json!(["alice@example.com"])
    );
    assert_eq!(
        m["destinations"]["CcAddresses"],
        serde_json::json!(["security@example.com"])
    );
    // The emulator keeps the HTML part of simple content.
    assert_eq!(m["body"], "<p>html body</p>");
}

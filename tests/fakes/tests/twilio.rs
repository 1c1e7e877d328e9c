//! The fake itself: it must refuse what the real API refuses (and record it), and
//! answer in Twilio's documented shapes.

use fake_providers::twilio::{FAKE_FROM, FakeAccount, FakeTwilio};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc2822;

async fn post(
    fake: &FakeTwilio,
    path: &str,
    auth: Option<(&str, &str)>,
    form: &[(&str, &str)],
) -> (u16, serde_json::Value) {
    let mut req = reqwest::Client::new()
        .post(format!("{}{path}", fake.base_url))
        .form(form);
    if let Some((u, p)) = auth {
        req = req.basic_auth(u, Some(p));
    }
    let resp = req.send().await.expect("fake answers");
    let status = resp.status().as_u16();
    (status, resp.json().await.expect("JSON body"))
}

#[tokio::test]
async fn accepted_body_has_twilio_types() {
    let fake = FakeTwilio::start(FakeAccount::default());
    let a = fake.account();
    let path = format!("/2010-04-01/Accounts/{}/Messages.json", a.account_sid);
    let auth = Some((a.account_sid.as_str(), a.auth_token.as_str()));
    let long = "x".repeat(200);
    let (status, body) = post(
        &fake,
        &path,
        auth,
        &[("To", "+79991234567"), ("From", FAKE_FROM), ("Body", &long)],
    )
    .await;
    assert_eq!(status, 201);
    assert_eq!(body["num_segments"], "2", "a string, 153 per segment");
    assert_eq!(body["status"], "queued");
    assert!(body["date_sent"].is_null() && body["error_code"].is_null());
    let created = body["date_created"].as_str().expect("date string");
    OffsetDateTime::parse(created, &Rfc2822).expect("RFC 2822 date");
    assert!(created.ends_with("+0000"), "{created}");
    assert_eq!(fake.violations(), Vec::<String>::new());
}

/// Path, Basic auth, form, expected HTTP status, expected Twilio code.
type Case<'a> = (
    &'a str,
    Option<(&'a str, &'a str)>,
    Vec<(&'a str, &'a str)>,
    u16,
    u32,
);

#[tokio::test]
async fn refuses_and_records_what_the_real_api_refuses() {
    let fake = FakeTwilio::start(FakeAccount::default());
    let a = fake.account();
    let path = format!("/2010-04-01/Accounts/{}/Messages.json", a.account_sid);
    let auth = Some((a.account_sid.as_str(), a.auth_token.as_str()));
    let ok = [("To", "+79991234567"), ("From", FAKE_FROM), ("Body", "hi")];
    let cases: Vec<Case<'_>> = vec![
        (&path, None, ok.to_vec(), 401, 20003),
        (
            &path,
            Some((a.account_sid.as_str(), "wrong")),
            ok.to_vec(),
            401,
            20003,
        ),
        (
            "/2010-04-01/Accounts/ACffffffffffffffffffffffffffffffff/Messages.json",
            auth,
            ok.to_vec(),
            404,
            20404,
        ),
        ("/2010-04-01/Messages.json", auth, ok.to_vec(), 404, 20404),
        (
            &path,
            auth,
            vec![("From", FAKE_FROM), ("Body", "hi")],
            400,
            21604,
        ),
        (
            &path,
            auth,
            vec![("To", "+79991234567"), ("From", FAKE_FROM)],
            400,
            21602,
        ),
        (
            &path,
            auth,
            vec![("To", "+79991234567"), ("Body", "hi")],
            400,
            21603,
        ),
        (
            &path,
            auth,
            vec![
                ("To", "+79991234567"),
                ("From", FAKE_FROM),
                ("MessagingServiceSid", "MG00000000000000000000000000000001"),
                ("Body", "hi"),
            ],
            400,
            400,
        ),
        (
            &path,
            auth,
            vec![
                ("To", "+79991234567"),
                ("From", FAKE_FROM),
                ("Body", "hi"),
                ("Priority", "high"),
            ],
            400,
            400,
        ),
        (
            &path,
            auth,
            vec![("To", "89991234567"), ("From", FAKE_FROM), ("Body", "hi")],
            400,
            21211,
        ),
        (
            &path,
            auth,
            vec![
                ("To", "+79991234567"),
                ("From", FAKE_FROM),
                ("Body", "hi"),
                ("ValidityPeriod", "36001"),
            ],
            400,
            21624,
        ),
        (
            &path,
            auth,
            vec![
                ("To", "+79991234567"),
                ("From", FAKE_FROM),
                ("Body", "hi"),
                ("StatusCallback", "ftp://x"),
            ],
            400,
            21609,
        ),
    ];
    let n = cases.len();
    for (path, auth, form, status, code) in cases {
        let (got_status, body) = post(&fake, path, auth, &form).await;
        assert_eq!(
            (got_status, body["code"].as_u64()),
            (status, Some(u64::from(code))),
            "{path} {form:?}: {body}"
        );
        assert_eq!(body["status"].as_u64(), Some(u64::from(status)));
        assert_eq!(
            body["more_info"],
            format!("https://www.twilio.com/docs/errors/{code}")
        );
    }
    // A JSON body is not what the API takes either.
    let resp = reqwest::Client::new()
        .post(format!("{}{path}", fake.base_url))
        .basic_auth(&a.account_sid, Some(&a.auth_token))
        .json(&serde_json::json!({"To": "+79991234567", "From": FAKE_FROM, "Body": "hi"}))
        .send()
        .await
        .expect("fake answers");
    assert_eq!(resp.status().as_u16(), 400);
    assert_eq!(fake.violations().len(), n + 1, "{:#?}", fake.violations());
    assert!(fake.accepted().is_empty());
}

//! The mockall mock stands in for a transport behind `SharedHttpTransport`.

#![allow(clippy::unwrap_used)]

use toss_transport::http::StatusCode;
use toss_transport::mock::MockHttpTransport;
use toss_transport::{
    HttpRequest, HttpResponse, HttpTransport, SharedHttpTransport, TransportError,
};

#[tokio::test]
async fn expectations_are_checked() {
    let mut mock = MockHttpTransport::new();
    mock.expect_send()
        .withf(|request| request.uri().path() == "/token" && !request.is_idempotent())
        .times(1)
        .returning(|_| Ok(HttpResponse::new(StatusCode::OK).with_body("{}")));
    mock.expect_send()
        .withf(|request| request.uri().path() == "/down")
        .returning(|_| Err(TransportError::connect_timeout()));
    let shared = SharedHttpTransport::new(mock);

    let token = HttpRequest::post("https://oauth2.cert.toss.im/token")
        .build()
        .unwrap();
    assert_eq!(shared.send(token).await.unwrap().status(), StatusCode::OK);
    let down = HttpRequest::get("https://cert.toss.im/down")
        .build()
        .unwrap();
    assert!(shared.send(down).await.unwrap_err().never_connected());
}

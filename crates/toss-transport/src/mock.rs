//! [`MockHttpTransport`]: a mockall mock of [`HttpTransport`], for users' tests.
//!
//! ```
//! use toss_transport::mock::MockHttpTransport;
//! use toss_transport::http::StatusCode;
//! use toss_transport::{HttpRequest, HttpResponse, HttpTransport};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let mut transport = MockHttpTransport::new();
//! transport
//!     .expect_send()
//!     .withf(|request| request.uri().path() == "/token")
//!     .times(1)
//!     .returning(|_| Ok(HttpResponse::new(StatusCode::OK).with_body("{}")));
//!
//! let request = HttpRequest::post("https://oauth2.cert.toss.im/token").build().unwrap();
//! let response = transport.send(request).await.unwrap();
//! assert_eq!(response.status(), StatusCode::OK);
//! # }
//! ```

#![allow(missing_docs)]

use crate::error::TransportError;
use crate::request::HttpRequest;
use crate::response::HttpResponse;
use crate::transport::HttpTransport;

mockall::mock! {
    /// A mock [`HttpTransport`]: set expectations with `expect_send()`.
    pub HttpTransport {}

    #[async_trait::async_trait]
    impl HttpTransport for HttpTransport {
        async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError>;
    }
}

impl std::fmt::Debug for MockHttpTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MockHttpTransport")
    }
}

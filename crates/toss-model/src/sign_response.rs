//! The `success` object of a sign request.

use serde::{Deserialize, Serialize};

use crate::serde_util::null_text_as_none;
use crate::timestamp::Timestamp;
use crate::tx_id::TxId;

/// The `success` object of `POST /api/v2/sign/doc/request`: the new transaction and, with
/// `triggerType=APP_SCHEME`, the links that open the signer's app.
///
/// The provider sometimes sends the text `"null"` for an absent link; it reads as `None`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignResponse {
    tx_id: TxId,
    #[serde(default, deserialize_with = "null_text_as_none")]
    app_scheme: Option<String>,
    #[serde(default, deserialize_with = "null_text_as_none")]
    android_app_uri: Option<String>,
    #[serde(default, deserialize_with = "null_text_as_none")]
    ios_app_uri: Option<String>,
    requested_dt: Timestamp,
}

impl SignResponse {
    /// `txId`: keep it; every later call and the signed proof refer to it.
    #[must_use]
    pub fn tx_id(&self) -> &TxId {
        &self.tx_id
    }

    /// `appScheme` (`supertoss://…`), with `APP_SCHEME` only: open it as it is.
    #[must_use]
    pub fn app_scheme(&self) -> Option<&str> {
        self.app_scheme.as_deref()
    }

    /// `androidAppUri`, an Android Chrome intent that also leads to the store when the app is
    /// missing; with `APP_SCHEME` only.
    #[must_use]
    pub fn android_app_uri(&self) -> Option<&str> {
        self.android_app_uri.as_deref()
    }

    /// `iosAppUri`, an iOS universal link; with `APP_SCHEME` only.
    #[must_use]
    pub fn ios_app_uri(&self) -> Option<&str> {
        self.ios_app_uri.as_deref()
    }

    /// `requestedDt`: when the request was made.
    #[must_use]
    pub fn requested_dt(&self) -> Timestamp {
        self.requested_dt
    }
}

#[cfg(feature = "test-util")]
impl SignResponse {
    /// A response without app links, as for `triggerType=PUSH`.
    #[cfg_attr(docsrs, doc(cfg(feature = "test-util")))]
    pub fn new(tx_id: impl Into<TxId>, requested_dt: Timestamp) -> Self {
        Self {
            tx_id: tx_id.into(),
            app_scheme: None,
            android_app_uri: None,
            ios_app_uri: None,
            requested_dt,
        }
    }

    /// Sets the three app links, as for `triggerType=APP_SCHEME`.
    #[cfg_attr(docsrs, doc(cfg(feature = "test-util")))]
    #[must_use]
    pub fn with_app_links(
        mut self,
        app_scheme: impl Into<String>,
        android_app_uri: impl Into<String>,
        ios_app_uri: impl Into<String>,
    ) -> Self {
        self.app_scheme = Some(app_scheme.into());
        self.android_app_uri = Some(android_app_uri.into());
        self.ios_app_uri = Some(ios_app_uri.into());
        self
    }
}

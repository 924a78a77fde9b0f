//! The provider's enumerations, each with the exact wire spelling of its values.

use crate::wire_enum::wire_enum;

wire_enum! {
    /// How the signer is identified (`requestType`).
    pub enum RequestType {
        /// `USER_PERSONAL`: by encrypted name, phone number and birthday.
        UserPersonal => "USER_PERSONAL",
        /// `USER_CI`: by the encrypted CI the service keeps; the result then carries no CI or DI.
        UserCi => "USER_CI",
    }
}

wire_enum! {
    /// How the signer's Toss app is reached (`triggerType`).
    pub enum TriggerType {
        /// `PUSH`: the provider sends a push notification to the signer's app.
        Push => "PUSH",
        /// `APP_SCHEME`: the service opens the app scheme the provider returns.
        AppScheme => "APP_SCHEME",
    }
}

wire_enum! {
    /// The form of the document (`docType`).
    pub enum DocType {
        /// `TEXT`: shown as plain text.
        Text => "TEXT",
        /// `HTML`: shown as HTML.
        Html => "HTML",
        /// `PDF`: only a hash of the PDF is signed; the document itself never travels.
        Pdf => "PDF",
    }
}

wire_enum! {
    /// The kind of CMS signature the signer makes (`signatureType`).
    pub enum SignatureType {
        /// `PKCS7`: the document is embedded in the signature (the provider's default).
        Pkcs7 => "PKCS7",
        /// `PKCS7_NO_CONTENT_WITH_ATTR`: no embedded content; the messageDigest attribute
        /// carries the document hash. Required for [`DocType::Pdf`].
        Pkcs7NoContentWithAttr => "PKCS7_NO_CONTENT_WITH_ATTR",
    }
}

wire_enum! {
    /// Where a signature request stands (`status`).
    pub enum SignStatus {
        /// `REQUESTED`: sent to the signer's app.
        Requested => "REQUESTED",
        /// `IN_PROGRESS`: the signer is signing.
        InProgress => "IN_PROGRESS",
        /// `COMPLETED`: the signer has signed; fetch the result.
        Completed => "COMPLETED",
        /// `EXPIRED`: the time to sign ran out.
        Expired => "EXPIRED",
    }
}

impl SignStatus {
    /// Whether the request can no longer change: [`Completed`](Self::Completed) or
    /// [`Expired`](Self::Expired).
    #[must_use]
    pub fn is_final(&self) -> bool {
        matches!(self, Self::Completed | Self::Expired)
    }
}

wire_enum! {
    /// The signer's gender, as found in decrypted `personalData.gender`.
    ///
    /// `Other` here means a value this crate does not know, not a third gender the provider
    /// publishes.
    pub enum Gender {
        /// `MALE`.
        Male => "MALE",
        /// `FEMALE`.
        Female => "FEMALE",
    }
}

wire_enum! {
    /// The signer's nationality, as found in decrypted `personalData.nationality`.
    pub enum Nationality {
        /// `LOCAL`: a Korean national.
        Local => "LOCAL",
        /// `FOREIGNER`: a foreign national.
        Foreigner => "FOREIGNER",
    }
}

wire_enum! {
    /// The outcome a response envelope declares (`resultType`).
    pub enum ResultType {
        /// `SUCCESS`: the `success` object holds the answer.
        Success => "SUCCESS",
        /// `FAIL`: the `error` object says what went wrong.
        Fail => "FAIL",
    }
}

wire_enum! {
    /// The OAuth 2.0 grant of a token request (`grant_type`).
    pub enum GrantType {
        /// `client_credentials`, the only grant the provider offers.
        ClientCredentials => "client_credentials",
    }
}

wire_enum! {
    /// The scope of a token (`scope`).
    pub enum Scope {
        /// `ca`, the scope of every Toss Cert call.
        Ca => "ca",
    }
}

wire_enum! {
    /// The kind of access token (`token_type`).
    pub enum TokenType {
        /// `Bearer`: sent as `Authorization: Bearer <token>`.
        Bearer => "Bearer",
    }
}

//! The plaintext of a sign request, each value parsed once by the rule the API document
//! gives it, before anything is encrypted.
//!
//! A [`PlainSignRequest`] is made only of valid parts — a [`Signer`] (a [`SignerName`],
//! [`Phone`] and [`Birthday`], or a [`Ci`]), a [`Document`], a [`ServiceName`], a
//! [`DocTitle`], a [`Trigger`] and an optional [`Expiry`] — so the provider's rules hold by
//! construction, and [`seal`](PlainSignRequest::seal)ing it with a session cannot fail for
//! a rule: the only error left is the encryption's. A sealed request always carries its
//! session key ([`SealedSignRequest::session_key`]).
//!
//! Each type has one parser, which every layer uses: the client on what its caller gives,
//! the emulator on what it decrypts, the command line on what is typed, the result reader
//! on the `personalData` it decrypts. Personal values never show in `Debug` or in errors.

mod document;
mod request;
mod signer;
mod texts;

pub use document::Document;
pub use request::{PlainSignRequest, SealedSignRequest, Trigger};
pub use signer::{Birthday, Ci, Phone, Signer, SignerName};
pub use texts::{DocTitle, Expiry, ServiceName};

//! Which verifier grades which family.

use crate::cipher::CipherVerifier;
use crate::code::CodeVerifier;
use crate::countdown::CountdownVerifier;
use crate::math::MathVerifier;
use crate::sandbox::SandboxLimits;
use crate::Verifier;
use mull_data::Family;

/// One verifier per kind, chosen by problem family.
pub struct Verifiers {
    math: MathVerifier,
    countdown: CountdownVerifier,
    cipher: CipherVerifier,
    code: CodeVerifier,
}

impl Verifiers {
    /// Verifiers with the given sandbox limits for code.
    pub fn new(limits: SandboxLimits) -> Self {
        Verifiers {
            math: MathVerifier::default(),
            countdown: CountdownVerifier,
            cipher: CipherVerifier,
            code: CodeVerifier::new(limits),
        }
    }

    /// The verifier for a family, or `None` for a family mull does not know.
    pub fn for_family(&self, family: &str) -> Option<&dyn Verifier> {
        match family.parse::<Family>().ok()? {
            Family::Arithmetic | Family::Equations => Some(&self.math),
            Family::Countdown => Some(&self.countdown),
            Family::Cipher => Some(&self.cipher),
            Family::Code => Some(&self.code),
        }
    }
}

impl Default for Verifiers {
    fn default() -> Self {
        Self::new(SandboxLimits::default())
    }
}

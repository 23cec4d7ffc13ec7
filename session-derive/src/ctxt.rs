//! The error accumulator (`serde_derive`'s `Ctxt`): every check reports here and
//! carries on, so one build shows every mistake.

use std::cell::RefCell;
use std::fmt::Display;
use std::thread;

use proc_macro2::Span;
use quote::ToTokens;

/// Collects `syn::Error`s; [`Ctxt::check`] combines them into one.
#[derive(Default)]
pub struct Ctxt {
    /// `None` once checked, so forgetting to check is caught in tests.
    errors: RefCell<Option<Vec<syn::Error>>>,
}

impl Ctxt {
    /// An empty accumulator.
    pub fn new() -> Self {
        Ctxt {
            errors: RefCell::new(Some(Vec::new())),
        }
    }

    /// Records an error at `span`.
    pub fn error(&self, span: Span, message: impl Display) {
        self.syn_error(syn::Error::new(span, message));
    }

    /// Records an error spanning all of `tokens` (first to last token).
    pub fn error_spanned_by(&self, tokens: impl ToTokens, message: impl Display) {
        self.syn_error(syn::Error::new_spanned(tokens.into_token_stream(), message));
    }

    /// Records an error produced by syn (a syntax error).
    pub fn syn_error(&self, error: syn::Error) {
        if let Some(errors) = self.errors.borrow_mut().as_mut() {
            errors.push(error);
        }
    }

    /// Consumes the accumulator: `Ok` when nothing was reported, otherwise every
    /// error combined (each keeps its own span and message).
    pub fn check(self) -> syn::Result<()> {
        let errors = self.errors.borrow_mut().take().unwrap_or_default();
        let mut errors = errors.into_iter();
        let Some(mut combined) = errors.next() else {
            return Ok(());
        };
        for error in errors {
            combined.combine(error);
        }
        Err(combined)
    }
}

impl Drop for Ctxt {
    fn drop(&mut self) {
        // A bug in this crate, never reachable from user input: every path
        // through the macros ends in `check`.
        assert!(
            thread::panicking() || self.errors.borrow().is_none(),
            "session-derive: Ctxt dropped without calling check()"
        );
    }
}

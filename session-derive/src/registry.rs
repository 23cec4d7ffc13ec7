//! `registry!`: one application's set of session types, with compile-time
//! proof that no two of them share a cookie name or a namespace.

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, format_ident, quote, quote_spanned};
use syn::ext::IdentExt;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Attribute, Ident, Path, PathArguments, Token, Visibility, braced, token};

use crate::ctxt::Ctxt;
use crate::symbol::SESSION;
use crate::{attr, valid};

/// Longest value a collision message quotes (the cookie-name limit).
const MAX_VALUE_LEN: usize = session_rules::MAX_COOKIE_NAME_LEN;

/// `#[attrs] vis struct Name { Type, Type, ... }`.
pub struct Input {
    attrs: Vec<Attribute>,
    vis: Visibility,
    struct_token: Token![struct],
    ident: Ident,
    brace: token::Brace,
    types: Punctuated<Path, Token![,]>,
}

impl Parse for Input {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let content;
        Ok(Input {
            attrs: input.call(Attribute::parse_outer)?,
            vis: input.parse()?,
            struct_token: input.parse()?,
            ident: input.parse()?,
            brace: braced!(content in input),
            types: content.parse_terminated(Path::parse, Token![,])?,
        })
    }
}

/// A member type as written, with the name used in messages.
struct Member<'a> {
    path: &'a Path,
    name: String,
}

/// `registry! { ... }`.
pub fn expand(input: &Input) -> TokenStream {
    let cx = Ctxt::new();
    let krate = valid::crate_path(&cx, attr::parse_registry(&cx, &input.attrs).as_ref());
    let mut members: Vec<Member> = Vec::new();
    for path in &input.types {
        let name = display(path);
        if members.iter().any(|member| member.name == name) {
            cx.error_spanned_by(path, format!("`{name}` is listed twice in this registry"));
        } else {
            members.push(Member { path, name });
        }
    }
    if members.is_empty() {
        cx.error(
            input.brace.span.join(),
            "a registry needs at least one session type: `struct AppSessions { AdminSession }`",
        );
    }
    let errors = cx.check().err().map(|errors| errors.to_compile_error());

    let Input {
        vis,
        struct_token,
        ident,
        ..
    } = input;
    let attrs = input.attrs.iter().filter(|attr| attr.path() != SESSION);
    let implementation = krate.map(|krate| {
        let private = crate::symbol::private_path(&krate);
        let registry = registry_impl(&private, ident, &members);
        let checks = collision_checks(&private, &members);
        quote!(#registry #checks)
    });
    quote! {
        #errors
        #(#attrs)*
        #[derive(
            ::core::clone::Clone,
            ::core::marker::Copy,
            ::core::fmt::Debug,
            ::core::default::Default,
        )]
        #vis #struct_token #ident;
        #implementation
    }
}

fn registry_impl(private: &TokenStream, ident: &Ident, members: &[Member]) -> TokenStream {
    let specs = members.iter().map(|Member { path, .. }| {
        quote_spanned!(path.span()=> <#path as #private::SessionPayload>::SPEC)
    });
    let paths = members.iter().map(|member| member.path);
    quote! {
        #[automatically_derived]
        impl #private::Registry for #ident {
            const SPECS: &'static [#private::SessionSpec] = &[#(#specs),*];

            fn contains(type_id: #private::TypeId) -> ::core::primitive::bool {
                [#(#private::TypeId::of::<#paths>()),*].contains(&type_id)
            }
        }
    }
}

/// For every pair, a free `const` whose evaluation panics (a compile error at
/// the second type of the pair) when both use the same cookie name, and one for
/// the namespace. Free consts are evaluated by `cargo check`; associated consts
/// of a generic would only be evaluated when used.
fn collision_checks(private: &TokenStream, members: &[Member]) -> TokenStream {
    let message = format_ident!("__session_seal_collision_message");
    let mut checks = Vec::new();
    let mut longest = 0;
    for (i, first) in members.iter().enumerate() {
        for second in &members[i + 1..] {
            for (accessor, what, kind) in [
                ("cookie", "cookie name", "session cookie name collision"),
                ("namespace", "namespace", "session namespace collision"),
            ] {
                let text = format!(
                    "{kind}: `{}` and `{}` both use the {what} `",
                    first.name, second.name
                );
                longest = longest.max(text.len());
                let accessor = Ident::new(accessor, Span::call_site());
                let (a, b) = (first.path, second.path);
                checks.push(quote_spanned! {b.span()=>
                    const _: () = {
                        let first = <#a as #private::SessionPayload>::SPEC.#accessor();
                        let second = <#b as #private::SessionPayload>::SPEC.#accessor();
                        if #private::str_eq(first, second) {
                            let mut buffer = [0u8; BUFFER_LEN];
                            ::core::panic!("{}", #message(&mut buffer, &[#text, first, "`"]));
                        }
                    };
                });
            }
        }
    }
    if checks.is_empty() {
        return TokenStream::new();
    }
    let buffer_len = longest + MAX_VALUE_LEN + 1;
    quote! {
        const _: () = {
            const BUFFER_LEN: ::core::primitive::usize = #buffer_len;

            /// Concatenates `parts` into `buffer` (const string formatting).
            const fn #message<'b>(buffer: &'b mut [::core::primitive::u8], parts: &[&str]) -> &'b str {
                let mut len = 0;
                let mut part = 0;
                while part < parts.len() {
                    let bytes = parts[part].as_bytes();
                    let mut i = 0;
                    while i < bytes.len() && len < buffer.len() {
                        buffer[len] = bytes[i];
                        len += 1;
                        i += 1;
                    }
                    part += 1;
                }
                let buffer: &'b [::core::primitive::u8] = buffer;
                match ::core::str::from_utf8(buffer.split_at(len).0) {
                    ::core::result::Result::Ok(text) => text,
                    ::core::result::Result::Err(_) => "session cookie name or namespace collision",
                }
            }

            #(#checks)*
        };
    }
}

/// A path as a user would write it: `AdminSession`, `auth::TenantSession`.
fn display(path: &Path) -> String {
    let mut out = String::new();
    if path.leading_colon.is_some() {
        out.push_str("::");
    }
    for (i, segment) in path.segments.iter().enumerate() {
        if i > 0 {
            out.push_str("::");
        }
        out.push_str(&segment.ident.unraw().to_string());
        if !matches!(segment.arguments, PathArguments::None) {
            let arguments = segment.arguments.to_token_stream().to_string();
            out.push_str(
                &arguments
                    .replace(" :: ", "::")
                    .replace(":: ", "::")
                    .replace("< ", "<")
                    .replace(" <", "<")
                    .replace(" >", ">")
                    .replace(" ,", ","),
            );
        }
    }
    out
}

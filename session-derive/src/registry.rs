//! `registry!`: one application's set of session types, with compile-time
//! proof that no two of them share a cookie name or a namespace, and that
//! every hybrid access type's refresh type is among them; each member is
//! marked `Registered`, which the extractors require.

use proc_macro2::{Delimiter, Group, Span, TokenStream};
use quote::{ToTokens, format_ident, quote, quote_spanned};
use syn::ext::IdentExt;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Attribute, Ident, Path, PathArguments, Token, Visibility, braced, token};

use crate::ctxt::Ctxt;
use crate::symbol::SESSION;
use crate::{attr, valid};

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
        let checks = member_checks(&private, ident, &members);
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
    // Spanned at the member: listing a type in a second registry is a
    // conflicting implementation, and a type of another crate breaks the
    // orphan rule; either error then underlines the member.
    let marks = members.iter().map(|Member { path, .. }| {
        quote_spanned! {path.span()=>
            #[automatically_derived]
            impl #private::Registered for #path {}
        }
    });
    quote! {
        #[automatically_derived]
        impl #private::Registry for #ident {
            const SPECS: &'static [#private::SessionSpec] = &[#(#specs),*];

            fn contains(type_id: #private::TypeId) -> ::core::primitive::bool {
                [#(#private::TypeId::of::<#paths>()),*].contains(&type_id)
            }
        }
        #(#marks)*
    }
}

// A collision message is `{KIND}{earlier}{AND}{member}{USE}{value}{END}`,
// for the cookie name, then (after `SEPARATOR`) for the namespace.
const COOKIE_KIND: &str = "session cookie name collision: `";
const COOKIE_USE: &str = "` both use the cookie name `";
const NAMESPACE_KIND: &str = "session namespace collision: `";
const NAMESPACE_USE: &str = "` both use the namespace `";
const AND: &str = "` and `";
const END: &str = "`";
const SEPARATOR: &str = "; ";
// A missing refresh type is
// `{REFRESH_KIND}{member}{REFRESH_FROM}{refresh}{REFRESH_MISSING}{refresh}{REFRESH_TO}{registry}{END}`.
const REFRESH_KIND: &str = "session type `";
const REFRESH_FROM: &str = "` refreshes from `";
const REFRESH_MISSING: &str = "`, which is not a member of this registry: add `";
const REFRESH_TO: &str = "` to `";
/// Room for a refresh type's name in the message (it is not a member, so
/// its length is not known here); a longer one is cut.
const REFRESH_NAME_ROOM: usize = 128;

/// One free `const` item per member, spanned at that member, whose
/// evaluation panics (a compile error at the member) when the member
/// shares its cookie name or its namespace with an earlier one, or when it
/// is a hybrid session's access type whose refresh type is not a member.
/// Each calls `const fn`s, emitted once per registry, that compare the
/// member with the others (n items; the n²/2 comparisons happen in `const`
/// evaluation, which is cheap) and write the message into a byte buffer.
/// Free consts are evaluated by `cargo check`; associated consts of a
/// generic would only be evaluated when used.
///
/// A collision message names the member and the first earlier member with
/// the same cookie name, and then (after `; `) the first earlier member with
/// the same namespace, so a member that collides in both reports both at
/// once. A refresh type is found by its cookie name and namespace, which
/// no two members share.
fn member_checks(private: &TokenStream, ident: &Ident, members: &[Member]) -> TokenStream {
    if members.is_empty() {
        return TokenStream::new();
    }
    let collision = format_ident!("__session_seal_collision");
    let refresh = format_ident!("__session_seal_refresh");
    let push = format_ident!("__session_seal_push");
    let text = format_ident!("__session_seal_text");
    let names_const = format_ident!("__SESSION_SEAL_NAMES");
    let buffer_len_const = format_ident!("__SESSION_SEAL_BUFFER_LEN");
    let names = members.iter().map(|member| member.name.as_str());
    let registry_name = ident.unraw().to_string();
    let longest_name = members.iter().map(|m| m.name.len()).max().unwrap_or(0);
    // The longest message (both collisions, the longest names and values)
    // fits: no truncation happens, though the generated code handles it.
    let collision_len = COOKIE_KIND.len()
        + COOKIE_USE.len()
        + NAMESPACE_KIND.len()
        + NAMESPACE_USE.len()
        + 2 * (AND.len() + END.len())
        + SEPARATOR.len()
        + 4 * longest_name
        + session_rules::MAX_COOKIE_NAME_LEN
        + session_rules::MAX_NAMESPACE_LEN;
    let refresh_len = REFRESH_KIND.len()
        + REFRESH_FROM.len()
        + REFRESH_MISSING.len()
        + REFRESH_TO.len()
        + END.len()
        + longest_name
        + 2 * REFRESH_NAME_ROOM
        + registry_name.len();
    let buffer_len = collision_len.max(refresh_len);
    let collides = members.len() > 1;
    let checks = members.iter().enumerate().map(|(i, member)| {
        // The error points at the `panic!` call: from the path's first token
        // to its last, so that it underlines all of `auth::TenantSession`.
        let (first, last) = first_and_last_span(member.path);
        let fail = |message: &Ident| {
            let panic = quote_spanned!(first=> ::core::panic!);
            let mut arguments = Group::new(
                Delimiter::Parenthesis,
                quote_spanned!(last=> "{}", #message),
            );
            arguments.set_span(last);
            quote_spanned!(first=> #panic #arguments;)
        };
        let message = format_ident!("message");
        let collision_check = (i > 0).then(|| {
            let fail = fail(&message);
            quote_spanned! {first=>
                if let ::core::option::Option::Some(#message) = #collision(&mut buffer, #i) {
                    #fail
                }
            }
        });
        let fail = fail(&message);
        quote_spanned! {first=>
            const _: () = {
                let mut buffer = [0u8; #buffer_len_const];
                #collision_check
                if let ::core::option::Option::Some(#message) = #refresh(&mut buffer, #i) {
                    #fail
                }
            };
        }
    });
    let collision_fn = collides.then(|| {
        quote! {
            /// The collisions of member `member` with earlier members, as a
            /// message written into `buffer`; `None` when there are none.
            const fn #collision<'b>(
                buffer: &'b mut [::core::primitive::u8],
                member: ::core::primitive::usize,
            ) -> ::core::option::Option<&'b ::core::primitive::str> {
                let specs = <#ident as #private::Registry>::SPECS;
                let (cookie, namespace) = (specs[member].cookie(), specs[member].namespace());
                let mut same_cookie = ::core::option::Option::None;
                let mut same_namespace = ::core::option::Option::None;
                let mut earlier = member;
                while earlier > 0 {
                    earlier -= 1;
                    if #private::str_eq(specs[earlier].cookie(), cookie) {
                        same_cookie = ::core::option::Option::Some(earlier);
                    }
                    if #private::str_eq(specs[earlier].namespace(), namespace) {
                        same_namespace = ::core::option::Option::Some(earlier);
                    }
                }
                let mut len = 0;
                if let ::core::option::Option::Some(earlier) = same_cookie {
                    len = #push(buffer, len, #COOKIE_KIND);
                    len = #push(buffer, len, #names_const[earlier]);
                    len = #push(buffer, len, #AND);
                    len = #push(buffer, len, #names_const[member]);
                    len = #push(buffer, len, #COOKIE_USE);
                    len = #push(buffer, len, cookie);
                    len = #push(buffer, len, #END);
                }
                if let ::core::option::Option::Some(earlier) = same_namespace {
                    if len > 0 {
                        len = #push(buffer, len, #SEPARATOR);
                    }
                    len = #push(buffer, len, #NAMESPACE_KIND);
                    len = #push(buffer, len, #names_const[earlier]);
                    len = #push(buffer, len, #AND);
                    len = #push(buffer, len, #names_const[member]);
                    len = #push(buffer, len, #NAMESPACE_USE);
                    len = #push(buffer, len, namespace);
                    len = #push(buffer, len, #END);
                }
                if len == 0 {
                    return ::core::option::Option::None;
                }
                ::core::option::Option::Some(
                    #text(buffer, len, "session cookie name or namespace collision"),
                )
            }
        }
    });
    quote! {
        const _: () = {
            const #buffer_len_const: ::core::primitive::usize = #buffer_len;
            const #names_const: &[&::core::primitive::str] = &[#(#names),*];

            /// Appends `part` to `buffer[..len]` (as much as fits); the new length.
            const fn #push(
                buffer: &mut [::core::primitive::u8],
                mut len: ::core::primitive::usize,
                part: &::core::primitive::str,
            ) -> ::core::primitive::usize {
                let bytes = part.as_bytes();
                let mut i = 0;
                while i < bytes.len() && len < buffer.len() {
                    buffer[len] = bytes[i];
                    len += 1;
                    i += 1;
                }
                len
            }

            /// `buffer[..len]` as text. A truncated message may end inside
            /// a character: the whole characters before it are kept.
            const fn #text<'b>(
                buffer: &'b [::core::primitive::u8],
                len: ::core::primitive::usize,
                fallback: &'static ::core::primitive::str,
            ) -> &'b ::core::primitive::str {
                let written = buffer.split_at(len).0;
                match ::core::str::from_utf8(written) {
                    ::core::result::Result::Ok(text) => text,
                    ::core::result::Result::Err(error) => {
                        match ::core::str::from_utf8(written.split_at(error.valid_up_to()).0) {
                            ::core::result::Result::Ok(text) => text,
                            ::core::result::Result::Err(_) => fallback,
                        }
                    }
                }
            }

            #collision_fn

            /// When member `member` is a hybrid session's access type whose
            /// refresh type is not a member (no member has its cookie name
            /// and namespace), the message, written into `buffer`.
            const fn #refresh<'b>(
                buffer: &'b mut [::core::primitive::u8],
                member: ::core::primitive::usize,
            ) -> ::core::option::Option<&'b ::core::primitive::str> {
                let specs = <#ident as #private::Registry>::SPECS;
                let refresh = match specs[member].refresh() {
                    ::core::option::Option::Some(refresh) => refresh,
                    ::core::option::Option::None => return ::core::option::Option::None,
                };
                let mut other = 0;
                while other < specs.len() {
                    if #private::str_eq(specs[other].cookie(), refresh.cookie())
                        && #private::str_eq(specs[other].namespace(), refresh.namespace())
                    {
                        return ::core::option::Option::None;
                    }
                    other += 1;
                }
                let mut len = 0;
                len = #push(buffer, len, #REFRESH_KIND);
                len = #push(buffer, len, #names_const[member]);
                len = #push(buffer, len, #REFRESH_FROM);
                len = #push(buffer, len, refresh.type_name());
                len = #push(buffer, len, #REFRESH_MISSING);
                len = #push(buffer, len, refresh.type_name());
                len = #push(buffer, len, #REFRESH_TO);
                len = #push(buffer, len, #registry_name);
                len = #push(buffer, len, #END);
                ::core::option::Option::Some(
                    #text(buffer, len, "session type's refresh type is not a member of this registry"),
                )
            }

            #(#checks)*
        };
    }
}

/// The spans of the first and the last token of `path`.
fn first_and_last_span(path: &Path) -> (Span, Span) {
    let mut tokens = path.to_token_stream().into_iter();
    let first = tokens
        .next()
        .map_or_else(Span::call_site, |token| token.span());
    let last = tokens.last().map_or(first, |token| token.span());
    (first, last)
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

//! The derive: parse, check, then either the impl or the fallback. Everything
//! below `derive` is `quote!` over a checked [`Spec`]; no decisions are made here.

use proc_macro2::{Ident, Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::DeriveInput;
use syn::spanned::Spanned;

use crate::ctxt::Ctxt;
use crate::valid::{Checked, Migration, Mode, SameSite, Spec, Store, UserField};
use crate::{attr, fallback, valid};
use syn::TypePath;

/// `#[derive(SessionPayload)]`.
pub fn derive(input: &DeriveInput) -> TokenStream {
    let cx = Ctxt::new();
    let attrs = attr::parse(&cx, &input.attrs);
    let Checked { spec, stub } = valid::check(&cx, input, attrs);
    match cx.check() {
        Ok(()) => impl_session_payload(&spec),
        Err(errors) => fallback::expand(&spec, stub, &errors),
    }
}

fn impl_session_payload(spec: &Spec) -> TokenStream {
    let Spec {
        ident,
        where_clause,
        krate,
        type_name,
        cookie,
        namespace,
        version,
        max_age_secs,
        path,
        http_only,
        ..
    } = spec;
    let private = crate::symbol::private_path(krate);
    let same_site = match spec.same_site {
        SameSite::Lax => quote!(Lax),
        SameSite::Strict => quote!(Strict),
        SameSite::None => quote!(None),
    };
    let domain = spec.domain.iter().map(|domain| quote!(.domain(#domain)));
    let secure = spec.secure.iter().map(|secure| quote!(.secure(#secure)));
    let partitioned = spec.partitioned.then(|| quote!(.partitioned()));
    let fingerprint = spec.fingerprint.then(|| quote!(.fingerprint()));
    let absolute_max_age = spec
        .absolute_max_age_secs
        .iter()
        .map(|secs| quote!(.absolute_max_age_secs(#secs)));
    let mode = match &spec.mode {
        Mode::Cookie {
            renew_after_secs,
            encrypted,
            asymmetric,
            revocable,
            flash,
        } => {
            let encrypted = encrypted.then(|| quote!(.encrypted()));
            let asymmetric = asymmetric.then(|| quote!(.asymmetric()));
            let revocable = revocable.then(|| quote!(.revocable()));
            let flash = flash.then(|| quote!(.flash()));
            quote!(.renew_after_secs(#renew_after_secs) #encrypted #asymmetric #revocable #flash)
        }
        Mode::Store(store) => store_settings(store),
    };
    let decode_version = (!spec.migrations.is_empty()).then(|| decode_version(spec));
    let session_user = spec.user.as_ref().map(|user| session_user(spec, user));
    let user = spec.user.is_some().then(|| quote!(.user()));
    let build = match &spec.refresh {
        Some(refresh) => refresh_build(&private, refresh),
        None => quote!(builder.build()),
    };
    let hybrid = spec.refresh.as_ref().map(|refresh| hybrid(spec, refresh));
    let refresh_pairing = spec
        .refresh
        .as_ref()
        .map(|refresh| refresh_pairing(spec, refresh));
    quote! {
        #[automatically_derived]
        impl #private::SessionPayload for #ident #where_clause {
            const SPEC: #private::SessionSpec = {
                let builder = #private::SessionSpec::builder(#type_name, #cookie, #namespace)
                    .version(#version)
                    .max_age_secs(#max_age_secs)
                    #(#absolute_max_age)*
                    #mode
                    .path(#path)
                    #(#domain)*
                    .same_site(#private::SameSite::#same_site)
                    .http_only(#http_only)
                    #(#secure)*
                    #partitioned
                    #fingerprint
                    #user;
                #build
            };

            #decode_version

            #session_user

            #refresh_pairing
        }

        #hybrid
    }
}

/// `SessionPayload::REFRESH` of an access type: its refresh type's spec,
/// `TypeId`, and the conversion of a refresh payload into an access payload.
///
/// The conversion is spanned at `refresh = Type`, so an access type without
/// `From<&Type>` is one E0277 there.
fn refresh_pairing(spec: &Spec, refresh: &TypePath) -> TokenStream {
    let private = crate::symbol::private_path(&spec.krate);
    let span = type_name_span(refresh);
    let from = quote_spanned! {span=>
        <Self as ::core::convert::From<&#refresh>>::from
    };
    quote! {
        const REFRESH: ::core::option::Option<#private::RefreshPairing<Self>> =
            ::core::option::Option::Some(#private::RefreshPairing::new(
                &<#refresh as #private::SessionPayload>::SPEC,
                #private::TypeId::of::<#refresh>,
                |version, json| {
                    match <#refresh as #private::SessionPayload>::decode_version(version, json) {
                        ::core::result::Result::Ok(refresh) => {
                            ::core::result::Result::Ok(#from(&refresh))
                        }
                        ::core::result::Result::Err(error) => ::core::result::Result::Err(error),
                    }
                },
            ));
    }
}

/// `impl HybridAccess` for an access type, and a free `const` that
/// evaluates its spec: the rules comparing it with the refresh type's spec
/// are checked by `cargo check`, not only where the spec is used.
fn hybrid(spec: &Spec, refresh: &TypePath) -> TokenStream {
    let Spec {
        ident,
        where_clause,
        krate,
        ..
    } = spec;
    let private = crate::symbol::private_path(krate);
    let span = type_name_span(refresh);
    let refresh_type = quote_spanned!(span=> type Refresh = #refresh;);
    // "erroneous constant encountered" is noted here: at `refresh = Type`
    // too, where the spec's own error is.
    let spec = quote_spanned!(span=> <#ident as #private::SessionPayload>::SPEC);
    quote! {
        #[automatically_derived]
        impl #private::HybridAccess for #ident #where_clause {
            #refresh_type
        }

        const _: #private::SessionSpec = #spec;
    }
}

/// The last statement of an access type's `SPEC`: `builder` given the
/// refresh type's spec, then built. The rules comparing the two specs are
/// checked there, in const evaluation, so the call is spanned at the type
/// in `refresh = Type`: a broken rule is reported at the attribute, with
/// the rule's message.
fn refresh_build(private: &TokenStream, refresh: &TypePath) -> TokenStream {
    let span = type_name_span(refresh);
    let private: TokenStream = private
        .clone()
        .into_iter()
        .map(|mut tree| {
            tree.set_span(span);
            tree
        })
        .collect();
    // The local of `SPEC`, resolved as the rest of it is (at the call site).
    let builder = Ident::new("builder", Span::call_site().located_at(span));
    quote_spanned! {span=>
        #builder.refresh(&<#refresh as #private::SessionPayload>::SPEC).build()
    }
}

/// Where errors about `refresh = Type` point: the type's name, the last
/// segment of its path (`AdminRefresh` in `auth::AdminRefresh`). rustc
/// reports a method call's const-evaluation failure, and an unsatisfied
/// `Self: From<&Type>`, at a single token of the generated code, so not
/// at the whole path.
fn type_name_span(refresh: &TypePath) -> Span {
    refresh
        .path
        .segments
        .last()
        .map_or_else(|| refresh.span(), |segment| segment.ident.span())
}

/// `.store()` and the store-mode settings that were declared.
fn store_settings(store: &Store) -> TokenStream {
    let touch_after = store
        .touch_after_secs
        .iter()
        .map(|secs| quote!(.touch_after_secs(#secs)));
    let max_per_user = store
        .max_per_user
        .iter()
        .map(|max| quote!(.max_per_user(#max)));
    quote!(.store() #(#touch_after)* #(#max_per_user)*)
}

/// `session_user`, reading the `user = "..."` field through `UserKey`.
///
/// The call is spanned at the attribute's string literal, so a field type
/// without `UserKey` is one E0277 pointing at `user = "..."`.
fn session_user(
    spec: &Spec,
    UserField {
        field,
        nested,
        span,
    }: &UserField,
) -> TokenStream {
    let span = *span;
    let krate = &spec.krate;
    // The whole path too, or rustc labels the call at `#[derive(...)]`.
    let private: TokenStream = crate::symbol::private_path(krate)
        .into_iter()
        .map(|mut tree| {
            tree.set_span(span);
            tree
        })
        .collect();
    let mut field = field.clone();
    field.set_span(span);
    let read = quote_spanned! {span=>
        #private::UserKey::user_key(&self.#field #(.#nested)*)
    };
    quote! {
        fn session_user(&self) -> ::core::option::Option<::std::string::String> {
            #read
        }
    }
}

/// `decode_version`, dispatching each declared version to its schema.
///
/// Each older version is read as its `from` type and converted by a helper
/// whose `Into` bound is spanned at `from = Type`: a missing conversion is one
/// E0277 there, and the only check of it (a separate assertion would report
/// the same error twice).
fn decode_version(spec: &Spec) -> TokenStream {
    let krate = &spec.krate;
    let private = crate::symbol::private_path(krate);
    let current = spec.version;
    let arms = spec.migrations.iter().map(|Migration { from, version }| {
        quote_spanned! {from.span()=>
            #version => {
                fn migrate_from<Old: ::core::convert::Into<New>, New>(old: Old) -> New {
                    ::core::convert::Into::into(old)
                }
                match #private::decode_json::<#from>(json) {
                    ::core::result::Result::Ok(old) => {
                        ::core::result::Result::Ok(migrate_from::<#from, Self>(old))
                    }
                    ::core::result::Result::Err(error) => ::core::result::Result::Err(error),
                }
            }
        }
    });
    quote! {
        fn decode_version(
            version: ::core::primitive::u32,
            json: &[::core::primitive::u8],
        ) -> ::core::result::Result<Self, #private::OpenError> {
            match version {
                #current => #private::decode_json::<Self>(json),
                #(#arms)*
                found => ::core::result::Result::Err(#private::unknown_version::<Self>(found)),
            }
        }
    }
}

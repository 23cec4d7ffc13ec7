//! What the derive emits when something is wrong: the errors, plus (where it
//! can compile) a stub impl with a valid placeholder spec, so code that uses the
//! type as a `SessionPayload` does not add a cascade of errors to the real ones.

use proc_macro2::TokenStream;
use quote::quote;

use crate::valid::Spec;

/// Longest placeholder name (the namespace limit).
const MAX_PLACEHOLDER_LEN: usize = 64;

/// The `compile_error!`s, and the stub impl when `stub` is set.
pub fn expand(spec: &Spec, stub: bool, errors: &syn::Error) -> TokenStream {
    let errors = errors.to_compile_error();
    if !stub {
        return errors;
    }
    let Spec {
        ident,
        where_clause,
        krate,
        type_name,
        ..
    } = spec;
    let private = crate::symbol::private_path(krate);
    let placeholder = placeholder(type_name);
    quote! {
        #errors

        #[automatically_derived]
        impl #private::SessionPayload for #ident #where_clause {
            const SPEC: #private::SessionSpec =
                #private::SessionSpec::builder(#type_name, #placeholder, #placeholder).build();
        }
    }
}

/// A name valid both as a cookie name and as a namespace, derived from the type
/// name so two broken types in one registry do not also report a collision.
fn placeholder(type_name: &str) -> String {
    let mut name = String::from("__invalid.");
    for c in type_name.chars() {
        if name.len() >= MAX_PLACEHOLDER_LEN {
            break;
        }
        name.push(match c {
            'a'..='z' | '0'..='9' | '_' => c,
            'A'..='Z' => c.to_ascii_lowercase(),
            _ => '_',
        });
    }
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholder_is_a_valid_cookie_name_and_namespace() {
        assert_eq!(placeholder("AdminSession"), "__invalid.adminsession");
        assert_eq!(placeholder("Café"), "__invalid.caf_");
        assert_eq!(placeholder(&"X".repeat(100)).len(), MAX_PLACEHOLDER_LEN);
    }
}

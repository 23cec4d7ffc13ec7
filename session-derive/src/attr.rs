//! Reads every `#[session(...)]` attribute into [`Attrs`]: what was written and
//! where, with no judgement about whether it makes sense (that is `valid.rs`).

use proc_macro2::{Span, TokenStream, TokenTree};
use quote::{ToTokens, quote};
use syn::meta::ParseNestedMeta;
use syn::spanned::Spanned;
use syn::{Attribute, Expr, ExprLit, Lit, LitInt, LitStr, Token, Type, TypePath, token};

use crate::ctxt::Ctxt;
use crate::symbol::ASYMMETRIC;
use crate::symbol::{
    self, ABSOLUTE_MAX_AGE, COOKIE, CRATE, CRATE_EXAMPLE, DOMAIN, ENCRYPTED, FINGERPRINT, FLASH,
    FROM, HTTP_ONLY, MAX_AGE, MAX_PER_USER, MIGRATE, MIGRATE_KEYS, NAMESPACE, PARTITIONED, PATH,
    REFRESH, REGISTRY_KEYS, RENEW_AFTER, REVOCABLE, SAME_SITE, SECURE, SESSION, STORE, Symbol,
    TOUCH_AFTER, TYPE_KEYS, USER, VERSION,
};

/// One `key = value` as written.
pub struct Setting<T> {
    /// Where the key is written; duplicates are reported here.
    pub key: Span,
    /// The value (a literal, which carries its own span).
    pub value: T,
}

/// A boolean switch: `secure` alone means `true`.
#[derive(Clone, Copy)]
pub struct Flag {
    /// The value.
    pub value: bool,
    /// The `true`/`false` literal, or the key when written alone.
    pub span: Span,
}

/// One `migrate(from = Type, version = N)`.
pub struct Migration {
    /// The whole `migrate(...)`, for errors about the entry as a whole.
    pub tokens: TokenStream,
    /// `from = Type`.
    pub from: Option<Type>,
    /// `version = N`.
    pub version: Option<LitInt>,
}

/// Everything written in the `#[session(...)]` attributes of one type.
#[derive(Default)]
pub struct Attrs {
    /// The first `#[session(...)]` attribute, where a missing key is reported.
    pub first: Option<TokenStream>,
    /// `cookie = "..."`.
    pub cookie: Option<Setting<LitStr>>,
    /// `namespace = "..."`.
    pub namespace: Option<Setting<LitStr>>,
    /// `version = N`.
    pub version: Option<Setting<LitInt>>,
    /// `max_age = "..."`.
    pub max_age: Option<Setting<LitStr>>,
    /// `renew_after = "..."`.
    pub renew_after: Option<Setting<LitStr>>,
    /// `absolute_max_age = "..."`.
    pub absolute_max_age: Option<Setting<LitStr>>,
    /// `same_site = "..."`.
    pub same_site: Option<Setting<LitStr>>,
    /// `path = "..."`.
    pub path: Option<Setting<LitStr>>,
    /// `domain = "..."`.
    pub domain: Option<Setting<LitStr>>,
    /// `http_only` / `http_only = bool`.
    pub http_only: Option<Setting<Flag>>,
    /// `secure` / `secure = bool`.
    pub secure: Option<Setting<Flag>>,
    /// Every `migrate(...)`, in order.
    pub migrations: Vec<Migration>,
    /// `crate = "..."`.
    pub krate: Option<Setting<LitStr>>,
    /// `store` (a bare flag; the setting records where it is written).
    pub store: Option<Setting<()>>,
    /// `encrypted` (a bare flag; the setting records where it is written).
    pub encrypted: Option<Setting<()>>,
    /// `asymmetric` (a bare flag; the setting records where it is written).
    pub asymmetric: Option<Setting<()>>,
    /// `revocable` (a bare flag; the setting records where it is written).
    pub revocable: Option<Setting<()>>,
    /// `flash` (a bare flag; the setting records where it is written).
    pub flash: Option<Setting<()>>,
    /// `partitioned` (a bare flag; the setting records where it is written).
    pub partitioned: Option<Setting<()>>,
    /// `fingerprint` (a bare flag; the setting records where it is written).
    pub fingerprint: Option<Setting<()>>,
    /// `touch_after = "..."`.
    pub touch_after: Option<Setting<LitStr>>,
    /// `max_per_user = N`.
    pub max_per_user: Option<Setting<LitInt>>,
    /// `user = "field"`.
    pub user: Option<Setting<LitStr>>,
    /// `refresh = Type`.
    pub refresh: Option<Setting<TypePath>>,
    /// Keys written with an invalid value, or suggested for an unknown key
    /// (`cokie` → `cookie`): already reported, so not also reported as missing.
    pub mentioned: Vec<Symbol>,
    /// Whether an attribute had a syntax error, so keys after it were not read
    /// and none can be called missing.
    pub incomplete: bool,
}

/// Reads the `#[session(...)]` attributes among `attrs`, reporting syntax
/// errors, unknown keys, repeated keys and literals of the wrong kind to `cx`.
pub fn parse(cx: &Ctxt, attrs: &[Attribute]) -> Attrs {
    let mut out = Attrs::default();
    for attr in attrs.iter().filter(|attr| attr.path() == SESSION) {
        if out.first.is_none() {
            out.first = Some(attr.to_token_stream());
        }
        if let Err(error) = attr.parse_nested_meta(|meta| parse_key(cx, &mut out, &meta)) {
            cx.syn_error(error);
            out.incomplete = true;
        }
    }
    out
}

/// Reads the `#[session(crate = "...")]` attributes of a `registry!` struct.
pub fn parse_registry(cx: &Ctxt, attrs: &[Attribute]) -> Option<Setting<LitStr>> {
    let mut krate = None;
    for attr in attrs.iter().filter(|attr| attr.path() == SESSION) {
        let result = attr.parse_nested_meta(|meta| {
            if meta.path == CRATE {
                let value = string(cx, &meta, CRATE, CRATE_EXAMPLE)?;
                set(cx, &mut krate, meta.path.span(), value, CRATE);
                Ok(())
            } else {
                unknown_key(cx, &meta, REGISTRY_KEYS, "#[session(...)] on registry!").map(drop)
            }
        });
        if let Err(error) = result {
            cx.syn_error(error);
        }
    }
    krate
}

fn parse_key(cx: &Ctxt, out: &mut Attrs, meta: &ParseNestedMeta) -> syn::Result<()> {
    let key = meta.path.span();
    let path = &meta.path;
    if path == COOKIE {
        let value = string(cx, meta, COOKIE, "\"sid\"")?;
        set_key(out, cx, |a| &mut a.cookie, key, value, COOKIE);
    } else if path == NAMESPACE {
        let value = string(cx, meta, NAMESPACE, "\"admin\"")?;
        set_key(out, cx, |a| &mut a.namespace, key, value, NAMESPACE);
    } else if path == VERSION {
        let value = integer(cx, meta, VERSION, "2")?;
        set_key(out, cx, |a| &mut a.version, key, value, VERSION);
    } else if path == MAX_AGE {
        let value = string(cx, meta, MAX_AGE, "\"8h\"")?;
        set_key(out, cx, |a| &mut a.max_age, key, value, MAX_AGE);
    } else if path == RENEW_AFTER {
        let value = string(cx, meta, RENEW_AFTER, "\"4h\"")?;
        set_key(out, cx, |a| &mut a.renew_after, key, value, RENEW_AFTER);
    } else if path == ABSOLUTE_MAX_AGE {
        let value = string(cx, meta, ABSOLUTE_MAX_AGE, "\"30d\"")?;
        set_key(
            out,
            cx,
            |a| &mut a.absolute_max_age,
            key,
            value,
            ABSOLUTE_MAX_AGE,
        );
    } else if path == SAME_SITE {
        let value = string(cx, meta, SAME_SITE, "\"lax\"")?;
        set_key(out, cx, |a| &mut a.same_site, key, value, SAME_SITE);
    } else if path == PATH {
        let value = string(cx, meta, PATH, "\"/\"")?;
        set_key(out, cx, |a| &mut a.path, key, value, PATH);
    } else if path == DOMAIN {
        let value = string(cx, meta, DOMAIN, "\"example.com\"")?;
        set_key(out, cx, |a| &mut a.domain, key, value, DOMAIN);
    } else if path == HTTP_ONLY {
        let value = flag(cx, meta, HTTP_ONLY)?;
        set_key(out, cx, |a| &mut a.http_only, key, value, HTTP_ONLY);
    } else if path == SECURE {
        let value = flag(cx, meta, SECURE)?;
        set_key(out, cx, |a| &mut a.secure, key, value, SECURE);
    } else if path == CRATE {
        let value = string(cx, meta, CRATE, CRATE_EXAMPLE)?;
        set_key(out, cx, |a| &mut a.krate, key, value, CRATE);
    } else if path == STORE {
        let value = bare(cx, meta, STORE, "leave it out for a cookie-mode session")?;
        set_key(out, cx, |a| &mut a.store, key, value, STORE);
    } else if path == ENCRYPTED {
        let value = bare(cx, meta, ENCRYPTED, "leave it out for a signed session")?;
        set_key(out, cx, |a| &mut a.encrypted, key, value, ENCRYPTED);
    } else if path == ASYMMETRIC {
        let value = bare(
            cx,
            meta,
            ASYMMETRIC,
            "leave it out for a session signed with HMAC",
        )?;
        set_key(out, cx, |a| &mut a.asymmetric, key, value, ASYMMETRIC);
    } else if path == REVOCABLE {
        let value = bare(
            cx,
            meta,
            REVOCABLE,
            "leave it out for a session that ends only when it expires",
        )?;
        set_key(out, cx, |a| &mut a.revocable, key, value, REVOCABLE);
    } else if path == FLASH {
        let value = bare(
            cx,
            meta,
            FLASH,
            "leave it out for a session that is not a flash message",
        )?;
        set_key(out, cx, |a| &mut a.flash, key, value, FLASH);
    } else if path == PARTITIONED {
        let value = bare(
            cx,
            meta,
            PARTITIONED,
            "leave it out for an unpartitioned cookie",
        )?;
        set_key(out, cx, |a| &mut a.partitioned, key, value, PARTITIONED);
    } else if path == FINGERPRINT {
        let value = bare(
            cx,
            meta,
            FINGERPRINT,
            "leave it out for a session that any browser holding its cookie may use",
        )?;
        set_key(out, cx, |a| &mut a.fingerprint, key, value, FINGERPRINT);
    } else if path == TOUCH_AFTER {
        let value = string(cx, meta, TOUCH_AFTER, "\"5m\"")?;
        set_key(out, cx, |a| &mut a.touch_after, key, value, TOUCH_AFTER);
    } else if path == MAX_PER_USER {
        let value = integer(cx, meta, MAX_PER_USER, "5")?;
        set_key(out, cx, |a| &mut a.max_per_user, key, value, MAX_PER_USER);
    } else if path == USER {
        let value = string(cx, meta, USER, "\"user_id\"")?;
        set_key(out, cx, |a| &mut a.user, key, value, USER);
    } else if path == REFRESH {
        let value = type_path(cx, meta, REFRESH, "AdminRefresh")?;
        set_key(out, cx, |a| &mut a.refresh, key, value, REFRESH);
    } else if path == MIGRATE {
        if let Some(migration) = migration(cx, meta)? {
            out.migrations.push(migration);
        }
    } else if let Some(suggestion) = unknown_key(cx, meta, TYPE_KEYS, "#[session(...)]")? {
        out.mentioned.push(suggestion);
    }
    Ok(())
}

/// Stores a setting, or reports a repeated key at its second occurrence.
fn set<T>(cx: &Ctxt, slot: &mut Option<Setting<T>>, key: Span, value: Option<T>, name: Symbol) {
    if slot.is_some() {
        cx.error(key, format!("duplicate session attribute `{name}`"));
    } else if let Some(value) = value {
        *slot = Some(Setting { key, value });
    }
}

/// [`set`] for the keys of a type, remembering keys whose value was refused.
fn set_key<T>(
    out: &mut Attrs,
    cx: &Ctxt,
    slot: fn(&mut Attrs) -> &mut Option<Setting<T>>,
    key: Span,
    value: Option<T>,
    name: Symbol,
) {
    if value.is_none() {
        out.mentioned.push(name);
    }
    set(cx, slot(out), key, value, name);
}

/// Reports an unknown key (with a suggestion when it looks like a typo) and
/// skips its value so the keys after it are still read. Returns the suggestion.
fn unknown_key(
    cx: &Ctxt,
    meta: &ParseNestedMeta,
    known: &[Symbol],
    place: &str,
) -> syn::Result<Option<Symbol>> {
    let written = meta.path.to_token_stream().to_string().replace(' ', "");
    let suggestion = symbol::closest(&written, known);
    let message = if let Some(suggestion) = suggestion {
        format!("unknown session attribute `{written}`; did you mean `{suggestion}`?")
    } else {
        let list: Vec<String> = known.iter().map(|key| format!("`{key}`")).collect();
        format!(
            "unknown session attribute `{written}`; {place} accepts {}",
            list.join(", ")
        )
    };
    cx.error_spanned_by(&meta.path, message);
    skip_value(meta)?;
    Ok(suggestion)
}

/// Consumes `= anything` or `(...)` up to the next comma.
fn skip_value(meta: &ParseNestedMeta) -> syn::Result<()> {
    meta.input.step(|cursor| {
        let mut rest = *cursor;
        while let Some((tree, next)) = rest.token_tree() {
            if matches!(&tree, TokenTree::Punct(punct) if punct.as_char() == ',') {
                break;
            }
            rest = next;
        }
        Ok(((), rest))
    })
}

/// The expression after `=`, or `None` (reported) when the key has no value.
fn value(
    cx: &Ctxt,
    meta: &ParseNestedMeta,
    key: Symbol,
    example: &str,
) -> syn::Result<Option<Expr>> {
    if !meta.input.peek(Token![=]) {
        cx.error_spanned_by(
            &meta.path,
            format!("`{key}` needs a value: `{key} = {example}`"),
        );
        skip_value(meta)?;
        return Ok(None);
    }
    Ok(Some(meta.value()?.parse()?))
}

/// The literal an expression is, looking through invisible groups (which
/// `macro_rules!` expansions put around `$value:expr`).
fn literal(expr: &Expr) -> Option<&Lit> {
    match expr {
        Expr::Lit(lit) => Some(&lit.lit),
        Expr::Group(group) => literal(&group.expr),
        _ => None,
    }
}

fn describe(expr: &Expr) -> &'static str {
    if let Expr::Unary(syn::ExprUnary {
        op: syn::UnOp::Neg(_),
        ..
    }) = expr
    {
        return "a negative number";
    }
    match literal(expr) {
        Some(Lit::Str(_)) => "a string literal",
        Some(Lit::Int(_)) => "an integer literal",
        Some(Lit::Bool(_)) => "a boolean literal",
        Some(Lit::Float(_)) => "a float literal",
        Some(Lit::Char(_)) => "a character literal",
        Some(Lit::Byte(_) | Lit::ByteStr(_) | Lit::CStr(_)) => "a byte or C string literal",
        Some(_) => "a literal",
        None => "an expression",
    }
}

fn string(
    cx: &Ctxt,
    meta: &ParseNestedMeta,
    key: Symbol,
    example: &str,
) -> syn::Result<Option<LitStr>> {
    let Some(expr) = value(cx, meta, key, example)? else {
        return Ok(None);
    };
    let found = literal(&expr);
    if let Some(Lit::Str(lit)) = found {
        return Ok(Some(lit.clone()));
    }
    let message = match found {
        Some(Lit::Int(int)) if key == MAX_AGE || key == RENEW_AFTER || key == TOUCH_AFTER => {
            format!(
                "expected a duration string for `{key}`, found an integer literal: \
                 write `{key} = \"{}s\"` (units: s, m, h, d)",
                int.base10_digits()
            )
        }
        _ => format!(
            "expected a string literal for `{key}`, found {}: write `{key} = {example}`",
            describe(&expr)
        ),
    };
    cx.error_spanned_by(&expr, message);
    Ok(None)
}

fn integer(
    cx: &Ctxt,
    meta: &ParseNestedMeta,
    key: Symbol,
    example: &str,
) -> syn::Result<Option<LitInt>> {
    let Some(expr) = value(cx, meta, key, example)? else {
        return Ok(None);
    };
    let found = literal(&expr);
    if let Some(Lit::Int(lit)) = found {
        return Ok(Some(lit.clone()));
    }
    let hint = match found {
        Some(Lit::Str(lit)) if lit.value().parse::<u32>().is_ok() => lit.value(),
        _ => String::from(example),
    };
    cx.error_spanned_by(
        &expr,
        format!(
            "expected an integer literal for `{key}`, found {}: write `{key} = {hint}`",
            describe(&expr)
        ),
    );
    Ok(None)
}

/// A key that is a switch by being written, with no value (`store`,
/// `encrypted`, `revocable`, `flash`, `partitioned`, `fingerprint`); `None` (reported at
/// the key and whatever follows it, with `otherwise` saying how to get the
/// other behaviour) when a value is given.
fn bare(
    cx: &Ctxt,
    meta: &ParseNestedMeta,
    key: Symbol,
    otherwise: &str,
) -> syn::Result<Option<()>> {
    let path = &meta.path;
    let written = if meta.input.peek(Token![=]) {
        let eq: Token![=] = meta.input.parse()?;
        let expr: Expr = meta.input.parse()?;
        quote!(#path #eq #expr)
    } else if meta.input.peek(token::Paren) {
        let group: TokenTree = meta.input.parse()?;
        quote!(#path #group)
    } else {
        return Ok(Some(()));
    };
    cx.error_spanned_by(
        written,
        format!("`{key}` takes no value: write `{key}` alone ({otherwise})"),
    );
    Ok(None)
}

fn flag(cx: &Ctxt, meta: &ParseNestedMeta, key: Symbol) -> syn::Result<Option<Flag>> {
    if !meta.input.peek(Token![=]) {
        if meta.input.peek(token::Paren) {
            cx.error_spanned_by(
                &meta.path,
                format!("`{key}` takes no arguments: write `{key}` or `{key} = false`"),
            );
            skip_value(meta)?;
            return Ok(None);
        }
        return Ok(Some(Flag {
            value: true,
            span: meta.path.span(),
        }));
    }
    let expr: Expr = meta.value()?.parse()?;
    let found = literal(&expr);
    if let Some(Lit::Bool(lit)) = found {
        return Ok(Some(Flag {
            value: lit.value,
            span: lit.span,
        }));
    }
    cx.error_spanned_by(
        &expr,
        format!(
            "expected `true` or `false` for `{key}`, found {}: write `{key}` or `{key} = false`",
            describe(&expr)
        ),
    );
    Ok(None)
}

fn migration(cx: &Ctxt, meta: &ParseNestedMeta) -> syn::Result<Option<Migration>> {
    let usage = format!("`{MIGRATE}({FROM} = OldType, {VERSION} = N)`");
    if !meta.input.peek(token::Paren) {
        cx.error_spanned_by(&meta.path, format!("expected {usage}"));
        skip_value(meta)?;
        return Ok(None);
    }
    let group: TokenTree = meta.input.fork().parse()?;
    let path = &meta.path;
    let mut migration = Migration {
        tokens: quote!(#path #group),
        from: None,
        version: None,
    };
    let mut from_key: Option<Span> = None;
    let mut version_key: Option<Span> = None;
    meta.parse_nested_meta(|inner| {
        let key = inner.path.span();
        if inner.path == FROM {
            let value = from_type(cx, &inner)?;
            if from_key.replace(key).is_some() {
                cx.error(key, format!("duplicate `{FROM}` in {usage}"));
            } else {
                migration.from = value;
            }
        } else if inner.path == VERSION {
            let value = integer(cx, &inner, VERSION, "2")?;
            if version_key.replace(key).is_some() {
                cx.error(key, format!("duplicate `{VERSION}` in {usage}"));
            } else {
                migration.version = value;
            }
        } else if let Some(suggestion) = unknown_key(cx, &inner, MIGRATE_KEYS, "migrate(...)")? {
            // `form = Old` was reported with "did you mean `from`?"; not also as missing.
            if suggestion == FROM {
                from_key.get_or_insert(key);
            } else {
                version_key.get_or_insert(key);
            }
        }
        Ok(())
    })?;
    let missing: Vec<String> = [
        (from_key.is_none(), format!("`{FROM} = OldType`")),
        (version_key.is_none(), format!("`{VERSION} = N`")),
    ]
    .into_iter()
    .filter_map(|(missing, what)| missing.then_some(what))
    .collect();
    if !missing.is_empty() {
        let message = format!("missing {} in {usage}", missing.join(" and "));
        cx.error_spanned_by(&migration.tokens, message);
    }
    Ok((migration.from.is_some() && migration.version.is_some()).then_some(migration))
}

fn from_type(cx: &Ctxt, meta: &ParseNestedMeta) -> syn::Result<Option<Type>> {
    if !meta.input.peek(Token![=]) {
        cx.error_spanned_by(
            &meta.path,
            format!("`{FROM}` needs a type: `{FROM} = OldType`"),
        );
        skip_value(meta)?;
        return Ok(None);
    }
    let input = meta.value()?;
    if input.peek(LitStr) {
        let lit: LitStr = input.parse()?;
        cx.error(
            lit.span(),
            format!("expected a type for `{FROM}`, found a string literal: write `{FROM} = {}` without quotes", lit.value()),
        );
        return Ok(None);
    }
    Ok(Some(input.parse()?))
}

/// The type path after `=` (`refresh = AdminRefresh`), or `None` (reported
/// at the value) when the key has no value, or a literal or a type that is
/// not a path.
fn type_path(
    cx: &Ctxt,
    meta: &ParseNestedMeta,
    key: Symbol,
    example: &str,
) -> syn::Result<Option<TypePath>> {
    if !meta.input.peek(Token![=]) {
        cx.error_spanned_by(
            &meta.path,
            format!("`{key}` needs a type: `{key} = {example}`"),
        );
        skip_value(meta)?;
        return Ok(None);
    }
    let input = meta.value()?;
    if input.peek(Lit) {
        let lit: Lit = input.parse()?;
        let message = match &lit {
            Lit::Str(text) if text.parse::<TypePath>().is_ok() => format!(
                "expected a type for `{key}`, found a string literal: write `{key} = {}` \
                 without quotes",
                text.value()
            ),
            _ => format!(
                "expected a type for `{key}`, found {}: write `{key} = {example}`, naming the \
                 session type",
                describe(&Expr::Lit(ExprLit {
                    attrs: Vec::new(),
                    lit: lit.clone(),
                }))
            ),
        };
        cx.error(lit.span(), message);
        return Ok(None);
    }
    let mut ty = input.parse::<Type>()?;
    // `macro_rules!` expansions put an invisible group around `$ty:ty`.
    while let Type::Group(group) = ty {
        ty = *group.elem;
    }
    match ty {
        Type::Path(path) if path.qself.is_none() => Ok(Some(path)),
        other => {
            cx.error_spanned_by(
                &other,
                format!(
                    "expected a type path for `{key}`, such as `{key} = {example}` or \
                     `{key} = auth::{example}`: it names a session type"
                ),
            );
            Ok(None)
        }
    }
}

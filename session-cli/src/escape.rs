//! Text that is not ours (a cookie's payload, an error that may quote one)
//! made safe to print on an operator's terminal.
//!
//! serde_json escapes only U+0000–U+001F, `"` and `\`: a payload can still
//! carry C1 controls (U+009B is an 8-bit CSI, which many terminals obey like
//! `ESC [`), DEL, bidi overrides that reorder what the operator reads, and
//! zero-width characters that hide text. Everything printed from such text
//! goes through [`escape_non_printing`].

use std::borrow::Cow;
use std::fmt::Write as _;

/// Whether `c` must not reach a terminal as itself: it controls the terminal,
/// reorders or hides the text around it, or is invisible.
///
/// That is every control character (`char::is_control`: C0, DEL, C1); every
/// format character (Unicode category Cf: soft hyphen, Arabic number signs
/// and letter mark, zero-width space/joiners, LRM/RLM, the bidi embeddings,
/// overrides and isolates, word joiner and invisible operators, BOM,
/// interlinear annotation, the format controls of Egyptian hieroglyphs,
/// shorthand and musical notation, tags); the line and paragraph separators
/// (U+2028, U+2029, which some terminals and editors break lines at); and
/// the letters that render as blank (Hangul fillers, the combining grapheme
/// joiner, Khmer inherent vowels, Mongolian variation selectors).
///
/// Not included: ordinary and non-breaking spaces (visible as space), and
/// the emoji variation selectors U+FE00–U+FE0F (they only choose a glyph's
/// style, and escaping them would break ordinary emoji).
pub fn is_non_printing(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            // Format characters (Cf), Unicode 16.
            '\u{AD}'
                | '\u{600}'..='\u{605}'
                | '\u{61C}'
                | '\u{6DD}'
                | '\u{70F}'
                | '\u{890}'..='\u{891}'
                | '\u{8E2}'
                | '\u{180E}'
                | '\u{200B}'..='\u{200F}'
                | '\u{202A}'..='\u{202E}'
                // Word joiner, invisible operators, isolates, deprecated
                // shaping controls (and the unassigned U+2065 among them).
                | '\u{2060}'..='\u{206F}'
                | '\u{FEFF}'
                | '\u{FFF9}'..='\u{FFFB}'
                | '\u{110BD}'
                | '\u{110CD}'
                | '\u{13430}'..='\u{1343F}'
                | '\u{1BCA0}'..='\u{1BCA3}'
                | '\u{1D173}'..='\u{1D17A}'
                // Language tag and tag characters (the whole tag block).
                | '\u{E0000}'..='\u{E007F}'
                // Line and paragraph separators (Zl, Zp).
                | '\u{2028}'
                | '\u{2029}'
                // Letters and marks that render as nothing.
                | '\u{34F}'
                | '\u{115F}'..='\u{1160}'
                | '\u{17B4}'..='\u{17B5}'
                | '\u{180B}'..='\u{180D}'
                | '\u{180F}'
                | '\u{3164}'
                | '\u{FFA0}'
        )
}

/// `text` with each non-printing character (see [`is_non_printing`])
/// replaced by its JSON escape: `\u009b`, `\u202e` (lowercase hex, as
/// serde_json writes its own), and a UTF-16 surrogate pair such as
/// `\udb40\udc01` beyond U+FFFF.
///
/// One form everywhere, and the JSON one: serde_json's output holds
/// characters like these only inside strings (it writes its own syntax in
/// ASCII), so escaped JSON stays valid JSON that decodes to the very same
/// value, and a literal `\u…` in the text shows up as `\\u…` there, never
/// as an escape. Borrowed when there is nothing to escape (the usual case).
pub fn escape_non_printing(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_non_printing) {
        return Cow::Borrowed(text);
    }
    let mut escaped = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if is_non_printing(c) {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                // Writing to a String cannot fail.
                let _ = write!(escaped, "\\u{unit:04x}");
            }
        } else {
            escaped.push(c);
        }
    }
    Cow::Owned(escaped)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printable_text_is_borrowed_unchanged() {
        for text in [
            "",
            "admin",
            "ümlaut ß 日本語 🦀",
            "tab\\t in JSON",
            "❤\u{FE0F}",
        ] {
            assert!(matches!(escape_non_printing(text), Cow::Borrowed(t) if t == text));
        }
    }

    #[test]
    fn terminal_controls_are_escaped() {
        assert_eq!(escape_non_printing("\u{9b}31mred"), "\\u009b31mred");
        assert_eq!(escape_non_printing("\u{1b}[2J"), "\\u001b[2J");
        assert_eq!(escape_non_printing("a\u{7f}b"), "a\\u007fb");
        assert_eq!(escape_non_printing("\u{85}\u{0}"), "\\u0085\\u0000");
        assert_eq!(
            escape_non_printing("line\nbreak\r"),
            "line\\u000abreak\\u000d"
        );
    }

    #[test]
    fn bidi_and_invisible_characters_are_escaped() {
        assert_eq!(escape_non_printing("abc\u{202e}fed"), "abc\\u202efed");
        for c in [
            '\u{202A}', '\u{202D}', '\u{2066}', '\u{2069}', '\u{200B}', '\u{200F}', '\u{2028}',
            '\u{2029}', '\u{2060}', '\u{206F}', '\u{FEFF}', '\u{FFF9}', '\u{FFFB}', '\u{AD}',
            '\u{61C}', '\u{180E}', '\u{3164}', '\u{115F}',
        ] {
            let escaped = escape_non_printing(&c.to_string()).into_owned();
            assert_eq!(escaped, format!("\\u{:04x}", u32::from(c)), "{c:?}");
        }
    }

    #[test]
    fn beyond_the_bmp_is_a_surrogate_pair() {
        assert_eq!(escape_non_printing("\u{E0001}"), "\\udb40\\udc01");
        assert_eq!(escape_non_printing("x\u{1D173}"), "x\\ud834\\udd73");
    }

    #[test]
    fn escaped_json_decodes_to_the_same_value() {
        let value = serde_json::json!({
            "\u{202e}key": ["\u{9b}31m", "\u{2028}", "\u{E0041}", "plain \\u202e text"],
        });
        let text = serde_json::to_string(&value).expect("serializes");
        let escaped = escape_non_printing(&text);
        assert!(!escaped.chars().any(is_non_printing), "{escaped}");
        assert!(
            escaped.contains("plain \\\\u202e text"),
            "a literal stays distinct"
        );
        let decoded: serde_json::Value = serde_json::from_str(&escaped).expect("still JSON");
        assert_eq!(decoded, value);
    }

    #[test]
    fn every_control_character_is_non_printing() {
        for c in (0..=0x10FFFF).filter_map(char::from_u32) {
            if c.is_control() {
                assert!(is_non_printing(c), "{c:?}");
            }
        }
        assert!(!is_non_printing(' ') && !is_non_printing('\u{A0}'));
    }
}

//! Reading AWS Query answers: the text of elements by name, through quick-xml.

use quick_xml::events::Event;
use quick_xml::Reader;

/// The text of every element named `name`, in document order (unescaped).
pub fn all(xml: &str, name: &str) -> Vec<String> {
    let mut reader = Reader::from_str(xml);
    let mut found = Vec::new();
    let mut inside: Option<String> = None;
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) if e.local_name().as_ref() == name.as_bytes() => {
                inside = Some(String::new());
            }
            Ok(Event::Text(t)) => {
                // Entities come as their own events (below).
                if let (Some(text), Ok(s)) = (inside.as_mut(), t.decode()) {
                    text.push_str(&s);
                }
            }
            Ok(Event::GeneralRef(r)) => {
                if let (Some(text), Ok(Some(c))) = (inside.as_mut(), r.resolve_char_ref()) {
                    text.push(c);
                } else if let (Some(text), Ok(name)) = (inside.as_mut(), r.decode()) {
                    let entity = format!("&{name};");
                    text.push_str(&quick_xml::escape::unescape(&entity).unwrap_or_default());
                }
            }
            Ok(Event::End(e)) if e.local_name().as_ref() == name.as_bytes() => {
                if let Some(text) = inside.take() {
                    found.push(text);
                }
            }
            Ok(Event::Eof) | Err(_) => return found,
            _ => {}
        }
    }
}

/// The text of the first element named `name`.
pub fn first(xml: &str, name: &str) -> Option<String> {
    all(xml, name).into_iter().next()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_are_found_in_order_and_unescaped() {
        let xml = r#"<R xmlns="x"><A>one</A><B><A>t&amp;wo&#33;</A></B><Error><Code>Nope</Code></Error></R>"#;
        assert_eq!(all(xml, "A"), ["one", "t&wo!"]);
        assert_eq!(first(xml, "Code").as_deref(), Some("Nope"));
        assert_eq!(first(xml, "Missing"), None);
        assert_eq!(first("not xml <", "A"), None);
    }
}
